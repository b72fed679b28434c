//! Statistics read models (统计读模型), maintained from events.
//!
//! `case_facts` holds one row of facts per case. Every change to a case's facts is turned into a
//! counter delta (new contribution − old contribution) applied to `indicator_rollup`, a daily
//! rollup per (scope, dimension, value), so that indicator queries read a few thousand rollup rows
//! instead of millions of cases. Adding an event type is a local change: a match arm that changes
//! the facts, and its routing key in [`HANDLED_EVENTS`] so that the indicators it feeds turn from
//! "not yet measured" to measured.

use std::collections::BTreeMap;
use xinfang_messaging::UnitOfWork;

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;
use xinfang_contracts::{events::PetitionRegisteredV1, DomainEvent, Envelope, Event};

/// The five hot fields (五大重点领域) the county watches.
pub const HOT_FIELDS: [&str; 5] = [
    "urban_rural_construction",
    "labour_social_security",
    "agriculture_rural",
    "natural_resources",
    "law_litigation",
];

pub fn field_label_zh(field: &str) -> &str {
    match field {
        "urban_rural_construction" => "城乡建设",
        "labour_social_security" => "劳动保障",
        "agriculture_rural" => "农业农村",
        "natural_resources" => "自然资源",
        "law_litigation" => "涉法涉诉",
        "" => "未分类",
        other => other,
    }
}

/// Routing keys of the events this read model consumes. An indicator is measured when all its
/// source events are here.
pub fn handled_events() -> Vec<String> {
    use xinfang_contracts::events::*;
    vec![
        PetitionRegisteredV1::routing_key(),
        PetitionAcceptedV1::routing_key(),
        PetitionDeclinedV1::routing_key(),
        PetitionBarredV1::routing_key(),
        PetitionTransferredV1::routing_key(),
        PetitionAssignedV1::routing_key(),
        AssignmentAcceptedV1::routing_key(),
        AssignmentObjectedV1::routing_key(),
        RepeatLinkedV1::routing_key(),
        CaseFinalizedV1::routing_key(),
    ]
}

/// The facts of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFacts {
    pub case_id: Uuid,
    pub case_number: String,
    pub registered_on: NaiveDate,
    pub registering_unit: String,
    /// 责任单位: the unit handling it now (the registering unit until it is handed on).
    pub unit_code: String,
    pub township: String,
    pub field: String,
    pub channel: String,
    pub category: Option<String>,
    pub respondent_unit: Option<String>,
    pub status: String,
    pub decision: Option<String>,
    pub decided_on: Option<NaiveDate>,
    /// The first procedural decision came within the acceptance limit; None while unknown.
    pub accepted_on_time: Option<bool>,
    pub transferred: bool,
    pub assigned: bool,
    pub repeat: bool,
    pub closed_on: Option<NaiveDate>,
    pub closed_on_time: Option<bool>,
    /// `substantive` | `procedural`
    pub closure_kind: Option<String>,
    /// `satisfied` | `basically_satisfied` | `dissatisfied`
    pub satisfaction: Option<String>,
    /// `success` | `failure`
    pub mediation_outcome: Option<String>,
}

/// Counter columns of `indicator_rollup`, in order.
pub const COUNTERS: [&str; 16] = [
    "registered",
    "with_field",
    "hot_field",
    "decided_known",
    "accepted_on_time",
    "repeat",
    "transferred",
    "assigned",
    "closed_known",
    "closed_on_time",
    "substantive",
    "procedural",
    "rated",
    "satisfied",
    "mediated",
    "mediation_success",
];

pub type Counters = [i64; 16];

impl CaseFacts {
    /// This case's contribution to each counter (0 or 1).
    pub fn counters(&self) -> Counters {
        let b = |x: bool| x as i64;
        [
            1,
            b(!self.field.is_empty()),
            b(HOT_FIELDS.contains(&self.field.as_str())),
            b(self.accepted_on_time.is_some()),
            b(self.accepted_on_time == Some(true)),
            b(self.repeat),
            b(self.transferred),
            b(self.assigned),
            b(self.closed_on_time.is_some()),
            b(self.closed_on_time == Some(true)),
            b(self.closure_kind.as_deref() == Some("substantive")),
            b(self.closure_kind.as_deref() == Some("procedural")),
            b(self.satisfaction.is_some()),
            b(matches!(
                self.satisfaction.as_deref(),
                Some("satisfied" | "basically_satisfied")
            )),
            b(self.mediation_outcome.is_some()),
            b(self.mediation_outcome.as_deref() == Some("success")),
        ]
    }

    /// The rollup rows this case counts in: its unit and the county, each by every dimension.
    pub fn keys(&self) -> Vec<RollupKey> {
        let mut keys = Vec::with_capacity(10);
        for scope in [self.unit_code.as_str(), "*"] {
            for (dim, value) in [
                ("all", ""),
                ("unit", self.unit_code.as_str()),
                ("township", self.township.as_str()),
                ("field", self.field.as_str()),
                ("channel", self.channel.as_str()),
            ] {
                keys.push(RollupKey {
                    scope_unit: scope.to_string(),
                    dim: dim.to_string(),
                    day: self.registered_on,
                    dim_value: value.to_string(),
                });
            }
        }
        keys
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RollupKey {
    pub scope_unit: String,
    pub dim: String,
    pub day: NaiveDate,
    pub dim_value: String,
}

/// The rollup change from `old` to `new` facts (either may be absent), without zero rows.
pub fn delta(old: Option<&CaseFacts>, new: Option<&CaseFacts>) -> BTreeMap<RollupKey, Counters> {
    let mut out: BTreeMap<RollupKey, Counters> = BTreeMap::new();
    for (facts, sign) in [(old, -1i64), (new, 1i64)] {
        if let Some(f) = facts {
            let c = f.counters();
            for k in f.keys() {
                let e = out.entry(k).or_insert([0; 16]);
                for (slot, v) in e.iter_mut().zip(c.iter()) {
                    *slot += sign * v;
                }
            }
        }
    }
    out.retain(|_, c| c.iter().any(|v| *v != 0));
    out
}

fn upsert_sql() -> String {
    let cols = COUNTERS.join(", ");
    let casts: Vec<String> = (0..COUNTERS.len())
        .map(|i| format!("${}::int8[]", i + 6))
        .collect();
    let sets: Vec<String> = COUNTERS
        .iter()
        .map(|c| format!("{c} = indicator_rollup.{c} + EXCLUDED.{c}"))
        .collect();
    format!(
        "INSERT INTO indicator_rollup (scope_unit, dim, day, dim_value, shard, {cols})
         SELECT u.scope_unit, u.dim, u.day, u.dim_value, $5::int2, {cols}
         FROM UNNEST($1::text[], $2::text[], $3::date[], $4::text[], {}) AS u(scope_unit, dim, day, dim_value, {cols})
         ON CONFLICT (scope_unit, dim, day, dim_value, shard) DO UPDATE SET {}",
        casts.join(", "),
        sets.join(", ")
    )
}

/// Shards per rollup key (migration 0005): writers side by side rarely add to the same row.
pub const ROLLUP_SHARDS: usize = 8;

fn next_shard() -> i16 {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    (NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % ROLLUP_SHARDS) as i16
}

/// A rollup delta waiting for the end of its batch of events.
struct DeferredDelta(BTreeMap<RollupKey, Counters>);

/// Add `delta` to the rollup: at once outside a batch of events; inside one, summed with the
/// batch's other deltas and written by [`RollupBatchWriter`] with one statement before the commit.
/// The county's rows are shared by every event, so this keeps them locked only from there to the
/// commit, once per batch.
pub async fn add_delta(
    uow: &mut UnitOfWork<'_>,
    delta: BTreeMap<RollupKey, Counters>,
) -> Result<(), sqlx::Error> {
    match uow.defer_or_keep(DeferredDelta(delta)) {
        None => Ok(()),
        Some(delta) => apply_delta(uow.conn(), &delta.0).await,
    }
}

/// Sum several deltas, dropping rows that net to zero.
pub fn merge(
    deltas: impl IntoIterator<Item = BTreeMap<RollupKey, Counters>>,
) -> BTreeMap<RollupKey, Counters> {
    let mut out: BTreeMap<RollupKey, Counters> = BTreeMap::new();
    for d in deltas {
        for (k, c) in d {
            let e = out.entry(k).or_insert([0; 16]);
            for (slot, v) in e.iter_mut().zip(c.iter()) {
                *slot += v;
            }
        }
    }
    out.retain(|_, c| c.iter().any(|v| *v != 0));
    out
}

/// Writes a batch's rollup deltas, summed, with one statement; runs after the audit rows, last
/// before the commit.
pub struct RollupBatchWriter;

#[async_trait::async_trait]
impl xinfang_messaging::BatchWriter for RollupBatchWriter {
    async fn after_batch(
        &self,
        conn: &mut PgConnection,
        deferred: &mut xinfang_messaging::Deferred,
    ) -> Result<(), sqlx::Error> {
        let deltas = deferred.take::<DeferredDelta>();
        apply_delta(conn, &merge(deltas.into_iter().map(|d| d.0))).await
    }
}

/// Apply a rollup delta in one statement (keys sorted, so concurrent writers lock in one order).
pub async fn apply_delta(
    conn: &mut PgConnection,
    delta: &BTreeMap<RollupKey, Counters>,
) -> Result<(), sqlx::Error> {
    if delta.is_empty() {
        return Ok(());
    }
    let mut q = sqlx::query(sqlx::AssertSqlSafe(upsert_sql()))
        .bind(
            delta
                .keys()
                .map(|k| k.scope_unit.clone())
                .collect::<Vec<_>>(),
        )
        .bind(delta.keys().map(|k| k.dim.clone()).collect::<Vec<_>>())
        .bind(delta.keys().map(|k| k.day).collect::<Vec<_>>())
        .bind(
            delta
                .keys()
                .map(|k| k.dim_value.clone())
                .collect::<Vec<_>>(),
        )
        .bind(next_shard());
    for i in 0..COUNTERS.len() {
        q = q.bind(delta.values().map(|c| c[i]).collect::<Vec<i64>>());
    }
    q.execute(conn).await?;
    Ok(())
}

const FACT_COLUMNS: &str = "case_id, case_number, registered_on, registering_unit, unit_code, township, field, channel,
    category, respondent_unit, status, decision, decided_on, accepted_on_time, transferred, assigned, repeat,
    closed_on, closed_on_time, closure_kind, satisfaction, mediation_outcome";

fn facts_from_row(r: &sqlx::postgres::PgRow) -> Result<CaseFacts, sqlx::Error> {
    Ok(CaseFacts {
        case_id: r.try_get("case_id")?,
        case_number: r.try_get("case_number")?,
        registered_on: r.try_get("registered_on")?,
        registering_unit: r.try_get("registering_unit")?,
        unit_code: r.try_get("unit_code")?,
        township: r.try_get("township")?,
        field: r.try_get("field")?,
        channel: r.try_get("channel")?,
        category: r.try_get("category")?,
        respondent_unit: r.try_get("respondent_unit")?,
        status: r.try_get("status")?,
        decision: r.try_get("decision")?,
        decided_on: r.try_get("decided_on")?,
        accepted_on_time: r.try_get("accepted_on_time")?,
        transferred: r.try_get("transferred")?,
        assigned: r.try_get("assigned")?,
        repeat: r.try_get("repeat")?,
        closed_on: r.try_get("closed_on")?,
        closed_on_time: r.try_get("closed_on_time")?,
        closure_kind: r.try_get("closure_kind")?,
        satisfaction: r.try_get("satisfaction")?,
        mediation_outcome: r.try_get("mediation_outcome")?,
    })
}

pub async fn load(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Option<CaseFacts>, sqlx::Error> {
    let sql = format!("SELECT {FACT_COLUMNS} FROM case_facts WHERE case_id = $1 FOR UPDATE");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(case_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(facts_from_row).transpose()
}

/// Insert the facts of new cases with one statement; a case already known is left as it is.
/// Returns the cases inserted.
async fn insert_many(
    conn: &mut PgConnection,
    facts: &[CaseFacts],
) -> Result<std::collections::HashSet<Uuid>, sqlx::Error> {
    let sql = format!(
        "INSERT INTO case_facts ({FACT_COLUMNS})
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::date[], $4::text[], $5::text[], $6::text[], $7::text[],
                              $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::date[], $14::bool[],
                              $15::bool[], $16::bool[], $17::bool[], $18::date[], $19::bool[], $20::text[], $21::text[],
                              $22::text[])
         ON CONFLICT (case_id) DO NOTHING
         RETURNING case_id"
    );
    let col = |get: fn(&CaseFacts) -> Option<&str>| facts.iter().map(get).collect::<Vec<_>>();
    let inserted: Vec<Uuid> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(facts.iter().map(|f| f.case_id).collect::<Vec<_>>())
        .bind(col(|f| Some(&f.case_number)))
        .bind(facts.iter().map(|f| f.registered_on).collect::<Vec<_>>())
        .bind(col(|f| Some(&f.registering_unit)))
        .bind(col(|f| Some(&f.unit_code)))
        .bind(col(|f| Some(&f.township)))
        .bind(col(|f| Some(&f.field)))
        .bind(col(|f| Some(&f.channel)))
        .bind(col(|f| f.category.as_deref()))
        .bind(col(|f| f.respondent_unit.as_deref()))
        .bind(col(|f| Some(&f.status)))
        .bind(col(|f| f.decision.as_deref()))
        .bind(facts.iter().map(|f| f.decided_on).collect::<Vec<_>>())
        .bind(facts.iter().map(|f| f.accepted_on_time).collect::<Vec<_>>())
        .bind(facts.iter().map(|f| f.transferred).collect::<Vec<_>>())
        .bind(facts.iter().map(|f| f.assigned).collect::<Vec<_>>())
        .bind(facts.iter().map(|f| f.repeat).collect::<Vec<_>>())
        .bind(facts.iter().map(|f| f.closed_on).collect::<Vec<_>>())
        .bind(facts.iter().map(|f| f.closed_on_time).collect::<Vec<_>>())
        .bind(col(|f| f.closure_kind.as_deref()))
        .bind(col(|f| f.satisfaction.as_deref()))
        .bind(col(|f| f.mediation_outcome.as_deref()))
        .fetch_all(conn)
        .await?;
    Ok(inserted.into_iter().collect())
}

async fn save(conn: &mut PgConnection, f: &CaseFacts) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE case_facts SET unit_code = $2, township = $3, field = $4, category = $5, status = $6, decision = $7,
                decided_on = $8, accepted_on_time = $9, transferred = $10, assigned = $11, repeat = $12, closed_on = $13,
                closed_on_time = $14, closure_kind = $15, satisfaction = $16, mediation_outcome = $17, updated_at = now()
         WHERE case_id = $1",
    )
    .bind(f.case_id)
    .bind(&f.unit_code)
    .bind(&f.township)
    .bind(&f.field)
    .bind(&f.category)
    .bind(&f.status)
    .bind(&f.decision)
    .bind(f.decided_on)
    .bind(f.accepted_on_time)
    .bind(f.transferred)
    .bind(f.assigned)
    .bind(f.repeat)
    .bind(f.closed_on)
    .bind(f.closed_on_time)
    .bind(&f.closure_kind)
    .bind(&f.satisfaction)
    .bind(&f.mediation_outcome)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a first procedural decision on `decided_on` met the case's acceptance deadline; None
/// while the deadline is not projected.
async fn acceptance_on_time(
    conn: &mut PgConnection,
    case_id: Uuid,
    decided_on: NaiveDate,
) -> Result<Option<bool>, sqlx::Error> {
    let due: Option<Option<NaiveDate>> = sqlx::query_scalar(
        "SELECT due_date FROM deadlines WHERE case_id = $1 AND kind = 'acceptance'",
    )
    .bind(case_id)
    .fetch_optional(conn)
    .await?;
    Ok(due.flatten().map(|d| decided_on <= d))
}

/// Record a first procedural decision (受理, 不予受理, 不再受理, 转送, 交办).
async fn decide(
    conn: &mut PgConnection,
    f: &mut CaseFacts,
    decision: &str,
    on: NaiveDate,
) -> Result<(), sqlx::Error> {
    if f.decision.is_none() {
        f.decision = Some(decision.to_string());
        f.decided_on = Some(on);
        f.accepted_on_time = acceptance_on_time(conn, f.case_id, on).await?;
    }
    Ok(())
}

/// The facts of a case as its registration makes them.
fn registered_facts(e: &PetitionRegisteredV1) -> CaseFacts {
    CaseFacts {
        case_id: e.petition_id,
        case_number: e.case_number.clone(),
        registered_on: e.received_on,
        registering_unit: e.registering_unit.clone(),
        unit_code: e.registering_unit.clone(),
        township: e.township.clone().unwrap_or_default(),
        field: e.field.clone().unwrap_or_default(),
        channel: e.channel.as_str().to_string(),
        category: e.category.map(|c| c.as_str().to_string()),
        respondent_unit: e.respondent_unit.clone(),
        status: "registered".into(),
        decision: None,
        decided_on: None,
        accepted_on_time: None,
        transferred: false,
        assigned: false,
        repeat: false,
        closed_on: None,
        closed_on_time: None,
        closure_kind: None,
        satisfaction: None,
        mediation_outcome: None,
    }
}

/// Record the facts of registered cases with one statement, and count each new one in the rollup,
/// as [`apply`] would one by one (a case registered twice counts once).
pub async fn apply_registrations(
    uow: &mut UnitOfWork<'_>,
    events: &[&PetitionRegisteredV1],
) -> Result<(), sqlx::Error> {
    let facts: Vec<CaseFacts> = events.iter().map(|e| registered_facts(e)).collect();
    let mut inserted = insert_many(uow.conn(), &facts).await?;
    for f in &facts {
        if inserted.remove(&f.case_id) {
            add_delta(uow, delta(None, Some(f))).await?;
        }
    }
    Ok(())
}

/// Feed the read models from one event, inside the inbox transaction.
#[tracing::instrument(skip_all, fields(event_type = %envelope.routing_key()))]
pub async fn apply(
    uow: &mut UnitOfWork<'_>,
    envelope: &Envelope,
    event: &DomainEvent,
) -> Result<(), sqlx::Error> {
    let _ = envelope;
    if let DomainEvent::PetitionRegistered(e) = event {
        return apply_registrations(uow, &[e]).await;
    }
    let case_id = match event {
        DomainEvent::PetitionAccepted(e) => e.petition_id,
        DomainEvent::PetitionDeclined(e) => e.petition_id,
        DomainEvent::PetitionBarred(e) => e.petition_id,
        DomainEvent::PetitionTransferred(e) => e.petition_id,
        DomainEvent::PetitionAssigned(e) => e.petition_id,
        DomainEvent::AssignmentAccepted(e) => e.petition_id,
        DomainEvent::AssignmentObjected(e) => e.petition_id,
        DomainEvent::RepeatLinked(e) => e.petition_id,
        DomainEvent::CaseFinalized(e) => e.petition_id,
        _ => return Ok(()),
    };
    let Some(old) = load(uow.conn(), case_id).await? else {
        tracing::warn!(%case_id, "event for a case not registered here; statistics skip it");
        return Ok(());
    };
    let mut f = old.clone();
    match event {
        DomainEvent::PetitionAccepted(e) => {
            decide(uow.conn(), &mut f, "accepted", e.accepted_on).await?;
            if let Some(u) = &e.handling_unit {
                f.unit_code = u.clone();
            }
            if let Some(c) = e.category {
                f.category = Some(c.as_str().to_string());
            }
            f.status = "accepted".into();
        }
        DomainEvent::PetitionDeclined(e) => {
            decide(uow.conn(), &mut f, "declined", e.decided_on).await?;
            f.status = "declined".into();
        }
        DomainEvent::PetitionBarred(e) => {
            decide(uow.conn(), &mut f, "barred", e.decided_on).await?;
            f.status = "barred".into();
        }
        DomainEvent::PetitionTransferred(e) => {
            decide(uow.conn(), &mut f, "transferred", e.decided_on).await?;
            f.transferred = true;
            f.unit_code = e.to_unit.clone();
            f.status = "transferred".into();
        }
        DomainEvent::PetitionAssigned(e) => {
            decide(uow.conn(), &mut f, "assigned", e.decided_on).await?;
            f.assigned = true;
            f.unit_code = e.to_unit.clone();
            f.status = "assigned".into();
        }
        DomainEvent::AssignmentAccepted(_) => f.status = "in_handling".into(),
        DomainEvent::AssignmentObjected(_) => {
            f.unit_code = f.registering_unit.clone();
            f.status = "objected".into();
        }
        DomainEvent::RepeatLinked(_) => f.repeat = true,
        DomainEvent::CaseFinalized(_) => f.status = "finalized".into(),
        _ => {}
    }
    if f != old {
        save(uow.conn(), &f).await?;
        add_delta(uow, delta(Some(&old), Some(&f))).await?;
    }
    Ok(())
}

/// Statuses in which a case needs nothing more from the county (for progress boards).
pub const CLOSED_STATUSES: [&str; 4] = ["declined", "barred", "finalized", "closed"];

/// Rebuild `indicator_rollup` from `case_facts` (after a new event type is added, or for the
/// benchmark). The counters here are the SQL twin of [`CaseFacts::counters`]; a test checks that
/// both agree.
pub async fn rebuild_rollup(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("TRUNCATE indicator_rollup")
        .execute(&mut *tx)
        .await?;
    let hot = HOT_FIELDS
        .iter()
        .map(|f| format!("'{f}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let cols = COUNTERS.join(", ");
    let sql = format!(
        "INSERT INTO indicator_rollup (scope_unit, dim, day, dim_value, {cols})
         SELECT s.scope, d.dim, f.registered_on, d.val,
                count(*),
                count(*) FILTER (WHERE f.field <> ''),
                count(*) FILTER (WHERE f.field IN ({hot})),
                count(*) FILTER (WHERE f.accepted_on_time IS NOT NULL),
                count(*) FILTER (WHERE f.accepted_on_time),
                count(*) FILTER (WHERE f.repeat),
                count(*) FILTER (WHERE f.transferred),
                count(*) FILTER (WHERE f.assigned),
                count(*) FILTER (WHERE f.closed_on_time IS NOT NULL),
                count(*) FILTER (WHERE f.closed_on_time),
                count(*) FILTER (WHERE f.closure_kind = 'substantive'),
                count(*) FILTER (WHERE f.closure_kind = 'procedural'),
                count(*) FILTER (WHERE f.satisfaction IS NOT NULL),
                count(*) FILTER (WHERE f.satisfaction IN ('satisfied', 'basically_satisfied')),
                count(*) FILTER (WHERE f.mediation_outcome IS NOT NULL),
                count(*) FILTER (WHERE f.mediation_outcome = 'success')
         FROM case_facts f
         CROSS JOIN LATERAL (VALUES (f.unit_code), ('*')) s(scope)
         CROSS JOIN LATERAL (VALUES ('all', ''), ('unit', f.unit_code), ('township', f.township),
                                    ('field', f.field), ('channel', f.channel)) d(dim, val)
         GROUP BY 1, 2, 3, 4"
    );
    let n = sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A case as its registration makes it (visit, township t1, labour and social security).
    fn facts() -> CaseFacts {
        registered_facts(&PetitionRegisteredV1 {
            case_number: "c".into(),
            received_on: NaiveDate::from_ymd_opt(2025, 3, 3).unwrap(),
            registering_unit: "XFJ".into(),
            channel: xinfang_contracts::events::Channel::Visit,
            township: Some("t1".into()),
            field: Some("labour_social_security".into()),
            ..PetitionRegisteredV1::minimal_defaults()
        })
    }

    #[test]
    fn a_new_case_counts_once_in_each_of_ten_rows() {
        let f = facts();
        let d = delta(None, Some(&f));
        assert_eq!(d.len(), 10);
        assert!(d.values().all(|c| c[0] == 1 && c[2] == 1 && c[3] == 0));
    }

    #[test]
    fn moving_a_case_to_another_unit_moves_its_counters() {
        let old = facts();
        let mut new = old.clone();
        new.unit_code = "RSJ".into();
        new.accepted_on_time = Some(true);
        let d = delta(Some(&old), Some(&new));
        let county_all = RollupKey {
            scope_unit: "*".into(),
            dim: "all".into(),
            day: old.registered_on,
            dim_value: "".into(),
        };
        // The county total keeps its volume and gains an on-time decision.
        assert_eq!(d[&county_all][0], 0);
        assert_eq!(d[&county_all][4], 1);
        let old_unit = RollupKey {
            scope_unit: "XFJ".into(),
            dim: "all".into(),
            day: old.registered_on,
            dim_value: "".into(),
        };
        assert_eq!(d[&old_unit][0], -1);
        let county_by_unit = RollupKey {
            scope_unit: "*".into(),
            dim: "unit".into(),
            day: old.registered_on,
            dim_value: "RSJ".into(),
        };
        assert_eq!(d[&county_by_unit][0], 1);
    }

    #[test]
    fn deltas_of_a_batch_sum_and_rows_that_net_to_zero_go() {
        let a = facts();
        let mut b = a.clone();
        b.unit_code = "140423-B".into();
        b.case_id = uuid::Uuid::now_v7();
        // Register a, register b, then move b back into a's unit: the sum is two cases in a's unit.
        let merged = merge([
            delta(None, Some(&a)),
            delta(None, Some(&b)),
            delta(
                Some(&b),
                Some(&CaseFacts {
                    unit_code: a.unit_code.clone(),
                    ..b.clone()
                }),
            ),
        ]);
        let mut expected = delta(None, Some(&a));
        for c in expected.values_mut() {
            for v in c.iter_mut() {
                *v *= 2;
            }
        }
        assert_eq!(merged, expected);
        assert!(merged
            .keys()
            .all(|k| k.scope_unit != "140423-B" && k.dim_value != "140423-B"));
        assert!(merge([delta(None, Some(&a)), delta(Some(&a), None)]).is_empty());
    }

    #[test]
    fn unchanged_facts_give_no_delta() {
        let f = facts();
        assert!(delta(Some(&f), Some(&f)).is_empty());
    }
}
