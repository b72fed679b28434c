//! The audit trail of one case with its chain proof (审计轨迹及链证明), for the archive (信访档案):
//! the case's rows of this service's audit log with their hashes, the links of every chain the case
//! touched from its first row there to its last (sequence number, previous hash and hash only, so
//! that other cases' content is not copied), and the head of each of those chains when the trail
//! was read. [`verify_trail`] checks it without the database: every case row's hash recomputes
//! from its content and its previous hash, the links are contiguous and each one names the hash of
//! the one before, and each case row is the link at its place. The heads anchor the trail in the
//! live log (`xinfangctl audit verify` checks the whole chain; the row at a head's sequence number
//! keeps that hash, the log being append-only).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use crate::audit::{canonical, hash, AuditEntry};

/// One audit row of the case, with everything needed to recompute its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailRow {
    pub chain: i16,
    pub chain_seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub unit: String,
    pub action: String,
    pub case_id: Option<Uuid>,
    pub details: Value,
    /// Hex.
    pub prev_hash: String,
    /// Hex.
    pub row_hash: String,
}

/// A row of a chain, by its hashes only (链节点).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainLink {
    pub chain: i16,
    pub chain_seq: i64,
    pub prev_hash: String,
    pub row_hash: String,
}

/// The newest row of a chain when the trail was read (链头).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainHead {
    pub chain: i16,
    pub chain_seq: i64,
    pub row_hash: String,
}

/// A case's audit trail and its chain proof.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseTrail {
    /// The service whose audit log this is.
    pub service: String,
    pub case_id: Uuid,
    pub rows: Vec<TrailRow>,
    pub links: Vec<ChainLink>,
    pub heads: Vec<ChainHead>,
}

#[derive(FromRow)]
struct RowOfCase {
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

#[derive(FromRow)]
struct LinkRow {
    chain: i16,
    chain_seq: i64,
    prev_hash: Vec<u8>,
    row_hash: Vec<u8>,
}

/// Read the trail of `case_id` from this service's audit log (one snapshot: call it in a
/// transaction for a consistent view).
pub async fn case_trail(
    conn: &mut PgConnection,
    service: &str,
    case_id: Uuid,
) -> Result<CaseTrail, sqlx::Error> {
    let rows = sqlx::query_as::<_, RowOfCase>(
        "SELECT chain, chain_seq, occurred_at, actor, unit, action, case_id, details, prev_hash, row_hash
         FROM audit_log WHERE case_id = $1 ORDER BY seq",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    let links = sqlx::query_as::<_, LinkRow>(
        "WITH span AS (SELECT chain, min(chain_seq) AS lo, max(chain_seq) AS hi
                       FROM audit_log WHERE case_id = $1 GROUP BY chain)
         SELECT l.chain, l.chain_seq, l.prev_hash, l.row_hash
         FROM audit_log l JOIN span s ON s.chain = l.chain AND l.chain_seq BETWEEN s.lo AND s.hi
         ORDER BY l.chain, l.chain_seq",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    let heads = sqlx::query_as::<_, LinkRow>(
        "SELECT DISTINCT ON (l.chain) l.chain, l.chain_seq, l.prev_hash, l.row_hash
         FROM audit_log l
         WHERE l.chain IN (SELECT DISTINCT chain FROM audit_log WHERE case_id = $1)
         ORDER BY l.chain, l.chain_seq DESC",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(CaseTrail {
        service: service.to_string(),
        case_id,
        rows: rows
            .into_iter()
            .map(|r| TrailRow {
                chain: r.chain,
                chain_seq: r.chain_seq,
                occurred_at: r.occurred_at,
                actor: r.actor,
                unit: r.unit,
                action: r.action,
                case_id: r.case_id,
                details: r.details,
                prev_hash: hex::encode(r.prev_hash),
                row_hash: hex::encode(r.row_hash),
            })
            .collect(),
        links: links
            .into_iter()
            .map(|l| ChainLink {
                chain: l.chain,
                chain_seq: l.chain_seq,
                prev_hash: hex::encode(l.prev_hash),
                row_hash: hex::encode(l.row_hash),
            })
            .collect(),
        heads: heads
            .into_iter()
            .map(|h| ChainHead {
                chain: h.chain,
                chain_seq: h.chain_seq,
                row_hash: hex::encode(h.row_hash),
            })
            .collect(),
    })
}

/// Check a trail on its own (see the module's documentation); `Ok(rows checked)` or the first
/// fault found.
pub fn verify_trail(trail: &CaseTrail) -> Result<usize, String> {
    use std::collections::HashMap;
    let mut by_place: HashMap<(i16, i64), &ChainLink> = HashMap::new();
    let mut last: Option<&ChainLink> = None;
    for link in &trail.links {
        if let Some(prev) = last.filter(|p| p.chain == link.chain) {
            if link.chain_seq != prev.chain_seq + 1 {
                return Err(format!(
                    "链 {} 在序号 {} 之后缺少节点",
                    link.chain, prev.chain_seq
                ));
            }
            if link.prev_hash != prev.row_hash {
                return Err(format!(
                    "链 {} 序号 {} 的前序哈希与上一节点不符",
                    link.chain, link.chain_seq
                ));
            }
        }
        by_place.insert((link.chain, link.chain_seq), link);
        last = Some(link);
    }
    for row in &trail.rows {
        if row.case_id != Some(trail.case_id) {
            return Err(format!(
                "链 {} 序号 {} 不属于本案",
                row.chain, row.chain_seq
            ));
        }
        let prev = hex::decode(&row.prev_hash).map_err(|e| e.to_string())?;
        let entry = AuditEntry {
            actor: row.actor.clone(),
            unit: row.unit.clone(),
            action: row.action.clone(),
            case_id: row.case_id,
            details: row.details.clone(),
        };
        let computed = hex::encode(hash(
            &prev,
            &canonical(row.chain, row.chain_seq, &row.occurred_at, &entry),
        ));
        if computed != row.row_hash {
            return Err(format!(
                "链 {} 序号 {} 的内容与其哈希不符",
                row.chain, row.chain_seq
            ));
        }
        match by_place.get(&(row.chain, row.chain_seq)) {
            Some(link) if link.row_hash == row.row_hash && link.prev_hash == row.prev_hash => {}
            _ => {
                return Err(format!(
                    "链 {} 序号 {} 不在链证明之中",
                    row.chain, row.chain_seq
                ))
            }
        }
    }
    for head in &trail.heads {
        let behind = trail
            .links
            .iter()
            .filter(|l| l.chain == head.chain)
            .any(|l| l.chain_seq > head.chain_seq);
        if behind {
            return Err(format!("链 {} 的链头早于链证明", head.chain));
        }
    }
    Ok(trail.rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn trail() -> CaseTrail {
        let case_id = Uuid::now_v7();
        let at = Utc::now();
        let mut rows = Vec::new();
        let mut links = Vec::new();
        let mut prev = vec![0u8; 32];
        for seq in 1..=3i64 {
            let mine = seq != 2;
            let entry = AuditEntry {
                actor: "a".into(),
                unit: "u".into(),
                action: "x".into(),
                case_id: Some(if mine { case_id } else { Uuid::nil() }),
                details: json!({ "n": seq }),
            };
            let h = hash(&prev, &canonical(7, seq, &at, &entry));
            links.push(ChainLink {
                chain: 7,
                chain_seq: seq,
                prev_hash: hex::encode(&prev),
                row_hash: hex::encode(&h),
            });
            if mine {
                rows.push(TrailRow {
                    chain: 7,
                    chain_seq: seq,
                    occurred_at: at,
                    actor: entry.actor,
                    unit: entry.unit,
                    action: entry.action,
                    case_id: entry.case_id,
                    details: entry.details,
                    prev_hash: hex::encode(&prev),
                    row_hash: hex::encode(&h),
                });
            }
            prev = h;
        }
        CaseTrail {
            service: "t".into(),
            case_id,
            rows,
            heads: vec![ChainHead {
                chain: 7,
                chain_seq: 3,
                row_hash: hex::encode(&prev),
            }],
            links,
        }
    }

    #[test]
    fn an_intact_trail_verifies() {
        assert_eq!(verify_trail(&trail()), Ok(2));
    }

    #[test]
    fn altered_content_or_a_missing_link_is_found() {
        let mut t = trail();
        t.rows[1].details = json!({ "n": 99 });
        assert!(verify_trail(&t).unwrap_err().contains("内容"));
        let mut t = trail();
        t.links.remove(1);
        assert!(verify_trail(&t).is_err());
    }
}
