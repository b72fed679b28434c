//! Append-only, hash-chained audit log (审计日志), written in the same transaction as each state
//! change: `uow.audit(entry).await?` ([`AuditExt`]) in the change's [`UnitOfWork`], which writes the
//! row at once, or, in a consumer batch, with the batch's other rows at its end
//! ([`AuditBatchWriter`]). [`record_many`] is for a writer of collected entries only. `row_hash = SHA-256(prev_hash ‖ canonical JSON of the entry)`. Rows are spread over
//! [`CHAINS`] chains so that unrelated writers do not queue behind one lock: a writer claims the
//! first free chain from its case's (a transaction-scoped advisory lock, tried without waiting;
//! migration 0004) and writes all its rows there, so a chain holds rows of many cases and a case's
//! rows may be in several chains. UPDATE, DELETE and TRUNCATE are refused
//! by triggers; [`verify`] finds the first row whose hash, link or sequence is broken.

use chrono::{DateTime, SubsecRound, Utc};
use futures::TryStreamExt;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;
use xinfang_messaging::{Deferred, UnitOfWork};

use crate::auth::Actor;

/// 256 since 2026-11-28 (16 before), when a batch appended to as many chains as it had cases and
/// two batches sharing one queued. Since 2026-12-02 a writer claims one free chain for all its rows
/// (migration 0004), so the number only bounds how many writers append at once without waiting.
/// Rows already written stay in their chains; a case's rows may be in several chains, which changes
/// nothing for verification (each chain is checked on its own) or for the case's history (read by
/// case id).
pub const CHAINS: i16 = 256;
const LOCK_CLASS: i32 = 0x5846; // "XF"

/// What happened, by whom.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub actor: String,
    pub unit: String,
    /// e.g. `petition.register`, `petition.view_pii`
    pub action: String,
    pub case_id: Option<Uuid>,
    pub details: Value,
}

impl AuditEntry {
    pub fn by(actor: &Actor, action: &str, case_id: Option<Uuid>, details: Value) -> AuditEntry {
        AuditEntry {
            actor: actor.user_id.clone(),
            unit: actor.unit.clone(),
            action: action.to_string(),
            case_id,
            details,
        }
    }

    /// An entry written by the system itself (an event handler or a timer).
    pub fn system(
        service: &str,
        action: &str,
        case_id: Option<Uuid>,
        details: Value,
    ) -> AuditEntry {
        AuditEntry {
            actor: format!("system:{service}"),
            unit: "system".into(),
            action: action.to_string(),
            case_id,
            details,
        }
    }
}

/// Take the chain locks of several cases' preferred chains at once, in ascending chain order, waiting
/// for them. Writers no longer need this (they claim a free chain without waiting); it remains for a
/// caller that wants its cases' preferred chains, which its later appends then get back (the locks
/// are re-entrant).
pub async fn lock_chains(
    conn: &mut PgConnection,
    case_ids: impl IntoIterator<Item = Option<Uuid>>,
) -> Result<(), sqlx::Error> {
    let mut chains: Vec<i32> = case_ids.into_iter().map(|c| chain_of(c) as i32).collect();
    chains.sort_unstable();
    chains.dedup();
    // unnest yields the (sorted) array in order; the function scan locks one chain at a time.
    sqlx::query("SELECT count(pg_advisory_xact_lock($1, c)) FROM unnest($2::int4[]) AS t(c)")
        .bind(LOCK_CLASS)
        .bind(&chains)
        .execute(conn)
        .await?;
    Ok(())
}

/// The [`BatchWriter`](xinfang_messaging::BatchWriter) of every service's consumer: the audit rows
/// a batch's handlers recorded are written at the end of the batch with one statement
/// ([`record_many`]), which is also when their chains are locked (ascending), so a chain is held
/// only from there to the commit.
pub struct AuditBatchWriter;

#[async_trait::async_trait]
impl xinfang_messaging::BatchWriter for AuditBatchWriter {
    async fn after_batch(
        &self,
        conn: &mut PgConnection,
        deferred: &mut Deferred,
    ) -> Result<(), sqlx::Error> {
        let entries: Vec<AuditEntry> = deferred
            .take::<DeferredEntry>()
            .into_iter()
            .map(|e| e.0)
            .collect();
        record_many(conn, &entries).await
    }
}

fn chain_of(case_id: Option<Uuid>) -> i16 {
    match case_id {
        None => 0,
        Some(id) => (id.as_u128() % CHAINS as u128) as i16,
    }
}

// Cannot fail: a `serde_json::Value` always serializes.
#[allow(clippy::expect_used)]
pub(crate) fn canonical(chain: i16, chain_seq: i64, at: &DateTime<Utc>, e: &AuditEntry) -> Vec<u8> {
    // serde_json's Map is ordered by key, so this is canonical for the same values.
    let v = json!({
        "chain": chain,
        "chain_seq": chain_seq,
        "occurred_at": at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "actor": e.actor,
        "unit": e.unit,
        "action": e.action,
        "case_id": e.case_id,
        "details": e.details,
    });
    serde_json::to_vec(&v).expect("audit entries serialize")
}

pub(crate) fn hash(prev: &[u8], body: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(body);
    h.finalize().to_vec()
}

/// An entry waiting for the end of its batch.
struct DeferredEntry(AuditEntry);

/// The audit entries among the items a batch unit of work collected
/// ([`UnitOfWork::into_deferred`]), for a caller that writes them itself with [`record_many`]; an
/// item of another kind is an error.
pub fn deferred_entries(mut deferred: Deferred) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let entries = deferred.take::<DeferredEntry>();
    if !deferred.is_empty() {
        return Err(sqlx::Error::Protocol(
            "a deferred write that is not an audit entry".into(),
        ));
    }
    Ok(entries.into_iter().map(|e| e.0).collect())
}

/// Appending to the audit log in a [`UnitOfWork`]: `uow.audit(entry).await?`.
#[async_trait::async_trait]
pub trait AuditExt {
    /// Append `entry` in this unit's transaction: at once, or, in a consumer batch, at the end of
    /// the batch together with its other entries ([`AuditBatchWriter`]).
    async fn audit(&mut self, entry: AuditEntry) -> Result<(), sqlx::Error>;
}

#[async_trait::async_trait]
impl AuditExt for UnitOfWork<'_> {
    async fn audit(&mut self, entry: AuditEntry) -> Result<(), sqlx::Error> {
        match self.defer_or_keep(DeferredEntry(entry)) {
            None => Ok(()),
            Some(DeferredEntry(entry)) => append(self.conn(), &entry).await,
        }
    }
}

/// The chain a writer claimed and its newest row (`None`s for an empty chain).
#[derive(FromRow)]
struct HeadRow {
    chain: i16,
    chain_seq: Option<i64>,
    row_hash: Option<Vec<u8>>,
}

/// Claim a chain and read its newest row, in one round trip: the function `audit_claim_chain`
/// (migration 0004) tries `preferred` and then the next chains without waiting and takes the first
/// free one (waiting for `preferred` only when all [`CHAINS`] are held), then reads its head with a
/// second statement, whose snapshot (READ COMMITTED) is taken after the lock is granted, so it sees
/// every row committed before. `(chain, seq, hash)` of the newest row, `(chain, 0, zeros)` for an
/// empty chain. The lock is held to the end of the transaction.
async fn claim_chain(
    conn: &mut PgConnection,
    preferred: i16,
) -> Result<(i16, i64, Vec<u8>), sqlx::Error> {
    let h: HeadRow =
        sqlx::query_as("SELECT chain, chain_seq, row_hash FROM audit_claim_chain($1, $2, $3)")
            .bind(LOCK_CLASS)
            .bind(preferred)
            .bind(CHAINS)
            .fetch_one(&mut *conn)
            .await?;
    Ok((
        h.chain,
        h.chain_seq.unwrap_or(0),
        h.row_hash.unwrap_or_else(|| vec![0u8; 32]),
    ))
}

/// Append several entries, in order, with two round trips: claim one free chain and read its newest
/// row ([`claim_chain`]), then insert every row into it. For writers of collected entries (the batch
/// writer, intake's group registration); a state change audits through [`AuditExt::audit`].
pub async fn record_many(
    conn: &mut PgConnection,
    entries: &[AuditEntry],
) -> Result<(), sqlx::Error> {
    if entries.is_empty() {
        return Ok(());
    }
    // All the entries go to one chain, the first free one from the first entry's.
    let (chain, mut seq, mut prev) = claim_chain(&mut *conn, chain_of(entries[0].case_id)).await?;
    let at = Utc::now().trunc_subsecs(6);
    let n = entries.len();
    let (
        mut c_chain,
        mut c_seq,
        mut c_actor,
        mut c_unit,
        mut c_action,
        mut c_case,
        mut c_details,
        mut c_prev,
        mut c_hash,
    ) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for e in entries {
        seq += 1;
        let entry = AuditEntry {
            details: serde_json::from_str(&e.details.to_string()).unwrap_or(Value::Null),
            ..e.clone()
        };
        let row_hash = hash(&prev, &canonical(chain, seq, &at, &entry));
        c_chain.push(chain);
        c_seq.push(seq);
        c_actor.push(entry.actor);
        c_unit.push(entry.unit);
        c_action.push(entry.action);
        c_case.push(entry.case_id);
        c_details.push(entry.details);
        c_prev.push(std::mem::replace(&mut prev, row_hash.clone()));
        c_hash.push(row_hash);
    }
    sqlx::query(
        "INSERT INTO audit_log (chain, chain_seq, occurred_at, actor, unit, action, case_id, details, prev_hash, row_hash)
         SELECT t.chain, t.seq, $3, t.actor, t.unit, t.action, t.case_id, t.details, t.prev, t.hash
         FROM unnest($1::int2[], $2::int8[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::jsonb[], $9::bytea[], $10::bytea[])
              AS t(chain, seq, actor, unit, action, case_id, details, prev, hash)
         ORDER BY t.chain, t.seq",
    )
    .bind(&c_chain)
    .bind(&c_seq)
    .bind(at)
    .bind(&c_actor)
    .bind(&c_unit)
    .bind(&c_action)
    .bind(&c_case)
    .bind(&c_details)
    .bind(&c_prev)
    .bind(&c_hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn append(conn: &mut PgConnection, entry: &AuditEntry) -> Result<(), sqlx::Error> {
    let (chain, last_seq, prev) = claim_chain(&mut *conn, chain_of(entry.case_id)).await?;
    let chain_seq = last_seq + 1;
    let at = Utc::now().trunc_subsecs(6);
    // Round-trip details through JSON values so that what we hash is what JSONB gives back.
    let entry = AuditEntry {
        details: serde_json::from_str(&entry.details.to_string()).unwrap_or(Value::Null),
        ..entry.clone()
    };
    let row_hash = hash(&prev, &canonical(chain, chain_seq, &at, &entry));
    sqlx::query(
        "INSERT INTO audit_log (chain, chain_seq, occurred_at, actor, unit, action, case_id, details, prev_hash, row_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(chain)
    .bind(chain_seq)
    .bind(at)
    .bind(&entry.actor)
    .bind(&entry.unit)
    .bind(&entry.action)
    .bind(entry.case_id)
    .bind(&entry.details)
    .bind(&prev)
    .bind(&row_hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The first broken row found by [`verify`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Break {
    pub seq: i64,
    pub chain: i16,
    pub chain_seq: i64,
    pub reason: String,
}

/// Outcome of a verification.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Verification {
    pub rows_checked: u64,
    /// The broken row with the lowest `seq`, if any.
    pub first_break: Option<Break>,
}

/// A row of the audit log as [`verify`] reads it.
#[derive(FromRow)]
struct VerifyRow {
    seq: i64,
    chain: i16,
    chain_seq: i64,
    occurred_at: DateTime<Utc>,
    actor: String,
    unit: String,
    action: String,
    case_id: Option<Uuid>,
    details: Value,
    prev_hash: Vec<u8>,
    row_hash: Vec<u8>,
}

/// Walk every chain and report the first row (lowest `seq`) whose content, link or sequence is wrong.
pub async fn verify(pool: &PgPool) -> Result<Verification, sqlx::Error> {
    let mut rows = sqlx::query_as::<_, VerifyRow>(
        "SELECT seq, chain, chain_seq, occurred_at, actor, unit, action, case_id, details, prev_hash, row_hash
         FROM audit_log ORDER BY chain, chain_seq",
    )
    .fetch(pool);
    let mut checked = 0u64;
    let mut breaks: Vec<Break> = Vec::new();
    let mut current_chain: Option<i16> = None;
    let mut expected_seq = 1i64;
    let mut prev = vec![0u8; 32];
    let mut chain_broken = false;
    while let Some(r) = rows.try_next().await? {
        checked += 1;
        let VerifyRow {
            seq,
            chain,
            chain_seq,
            occurred_at: at,
            actor,
            unit,
            action,
            case_id,
            details,
            prev_hash: stored_prev,
            row_hash: stored_hash,
        } = r;
        if current_chain != Some(chain) {
            current_chain = Some(chain);
            expected_seq = 1;
            prev = vec![0u8; 32];
            chain_broken = false;
        }
        if chain_broken {
            continue;
        }
        let entry = AuditEntry {
            actor,
            unit,
            action,
            case_id,
            details,
        };
        let reason = if chain_seq != expected_seq {
            Some(format!(
                "sequence gap: expected {expected_seq}, found {chain_seq} (a row was removed)"
            ))
        } else if stored_prev != prev {
            Some("prev_hash does not match the previous row".to_string())
        } else if hash(&prev, &canonical(chain, chain_seq, &at, &entry)) != stored_hash {
            Some("row content does not match its hash (the row was altered)".to_string())
        } else {
            None
        };
        if let Some(reason) = reason {
            breaks.push(Break {
                seq,
                chain,
                chain_seq,
                reason,
            });
            chain_broken = true;
            continue;
        }
        prev = stored_hash;
        expected_seq += 1;
    }
    breaks.sort_by_key(|b| b.seq);
    Ok(Verification {
        rows_checked: checked,
        first_break: breaks.into_iter().next(),
    })
}

/// An audit row of one case, as [`for_case`] reads it.
#[derive(FromRow)]
struct CaseAuditRow {
    seq: i64,
    occurred_at: DateTime<Utc>,
    actor: String,
    unit: String,
    action: String,
    details: Value,
}

/// Audit rows of one case, oldest first.
pub async fn for_case(pool: &PgPool, case_id: Uuid) -> Result<Vec<Value>, sqlx::Error> {
    let rows = sqlx::query_as::<_, CaseAuditRow>(
        "SELECT seq, occurred_at, actor, unit, action, details FROM audit_log WHERE case_id = $1 ORDER BY seq",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            json!({
                "seq": r.seq,
                "occurred_at": r.occurred_at,
                "actor": r.actor,
                "unit": r.unit,
                "action": r.action,
                "details": r.details,
            })
        })
        .collect())
}
