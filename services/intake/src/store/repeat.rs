//! Repeat detection (重复信访识别): earlier petitions by the same person (keyed blind index of
//! identity number or phone, any petitioner or representative) or with similar content in the same
//! field against the same respondent (Jaccard similarity of character-bigram tokens, see
//! [`crate::text`]), compared only within that scope through `content_signatures`.
//!
//! Score: content similarity in 0–1; a petition by the same person scores `0.5 + 0.5 × content`,
//! so it ranks above content-only matches.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, Row};
use utoipa::ToSchema;
use uuid::Uuid;

/// A candidate earlier petition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Candidate {
    pub petition_id: Uuid,
    pub case_number: String,
    pub score: f32,
    /// `same_id_number`, `same_phone`, `similar_content`
    pub reasons: Vec<String>,
    /// Content similarity (Jaccard of bigram tokens, same field and respondent).
    pub content_similarity: f32,
    pub status: String,
    pub received_on: NaiveDate,
    pub registered_at: DateTime<Utc>,
    /// Set when administrative review concluded the case (no longer accepted, art 36).
    pub finalized_on: Option<NaiveDate>,
}

/// What to look for.
pub struct Probe<'a> {
    pub id_number_bidx: &'a [Vec<u8>],
    pub phone_bidx: &'a [Vec<u8>],
    /// The matter's scope ([`crate::text::scope_of`]): content is compared only within it.
    pub scope: &'a str,
    /// Sorted, distinct content tokens ([`crate::text::search_tokens`]).
    pub tokens: &'a [i32],
    pub min_score: f32,
    pub limit: i64,
    /// Most earlier petitions of the scope compared, newest first.
    pub max_scope_scan: i64,
}

/// The token counts a petition must have to reach Jaccard similarity `min` with a probe of `n`
/// tokens: |A ∩ B| ≤ min(|A|, |B|) and |A ∪ B| ≥ max(|A|, |B|), so `min·n ≤ |B| ≤ n / min`.
pub fn token_count_bounds(n: usize, min: f32) -> (i32, i32) {
    if n == 0 {
        return (1, 0);
    }
    if min <= 0.0 {
        return (0, i32::MAX);
    }
    let n = n as f64;
    // (slightly wide: the threshold is an f32, and the similarity is filtered exactly afterwards)
    let min = f64::from(min);
    let lo = (min * n - 1e-3).ceil().max(0.0);
    let hi = (n / min + 1e-3).floor().min(f64::from(i32::MAX));
    (lo as i32, hi as i32)
}

/// Find candidates, best first.
///
/// Content: an index-only scan of `content_signatures` over the probe's scope, newest first, up to
/// `max_scope_scan` entries; those whose token count can reach the threshold
/// ([`token_count_bounds`]) get their Jaccard similarity computed on the index entry. The cost grows
/// with the petitions of the scope (about 1 µs each, bounded), not with the whole table. Person:
/// petitioners by blind index (B-tree), however old.
#[tracing::instrument(name = "find_repeat_candidates", skip_all, fields(scope = %p.scope))]
pub async fn find_candidates(
    conn: &mut PgConnection,
    p: &Probe<'_>,
) -> Result<Vec<Candidate>, sqlx::Error> {
    let (lo, hi) = token_count_bounds(p.tokens.len(), p.min_score);
    let rows = sqlx::query(
        "WITH person AS (
             SELECT petition_id,
                    bool_or(id_number_bidx = ANY($1)) AS same_id,
                    bool_or(phone_bidx = ANY($2)) AS same_phone
             FROM petitioners
             WHERE id_number_bidx = ANY($1) OR phone_bidx = ANY($2)
             GROUP BY petition_id
             ORDER BY petition_id DESC
             LIMIT 200
         ),
         similar_content AS (
             SELECT petition_id AS id, sim FROM (
                 SELECT petition_id, (icount(tokens & $3::int4[])::real
                        / greatest(1, token_count + $4 - icount(tokens & $3::int4[])))::real AS sim
                 FROM (SELECT petition_id, token_count, tokens FROM content_signatures
                       WHERE $4 > 0 AND scope = $7 ORDER BY petition_id DESC LIMIT $10) recent
                 WHERE token_count BETWEEN $8 AND $9
             ) c
             WHERE sim >= $5 ORDER BY sim DESC, petition_id DESC LIMIT $6
         ),
         ids AS (
             SELECT petition_id AS id FROM person UNION SELECT id FROM similar_content
         )
         SELECT p.id, p.case_number, p.status, p.received_on, p.registered_at, p.finalized_on,
                coalesce(pe.same_id, false) AS same_id, coalesce(pe.same_phone, false) AS same_phone,
                coalesce(sc.sim,
                    CASE WHEN $4 > 0 AND coalesce(p.field, '-') || '|' || coalesce(p.respondent_unit, '-') = $7
                         THEN (icount(p.search_tokens & $3::int4[])::real
                              / greatest(1, icount(p.search_tokens) + $4 - icount(p.search_tokens & $3::int4[])))::real
                         ELSE 0::real END) AS sim
         FROM ids JOIN petitions p ON p.id = ids.id
         LEFT JOIN person pe ON pe.petition_id = p.id
         LEFT JOIN similar_content sc ON sc.id = p.id",
    )
    .bind(p.id_number_bidx)
    .bind(p.phone_bidx)
    .bind(p.tokens)
    .bind(p.tokens.len() as i32)
    .bind(p.min_score)
    .bind(p.limit)
    .bind(p.scope)
    .bind(lo)
    .bind(hi)
    .bind(p.max_scope_scan)
    // Prepared once per connection. PostgreSQL re-plans it whenever `ANALYZE` (autovacuum) changes
    // the statistics of a table it reads, so a plan made while the tables were small does not
    // outlive their growth; planning it at every call cost about 0.4 ms of PostgreSQL's CPU per
    // registration (docs/performance.md, session 4).
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let same_id: bool = r.try_get("same_id")?;
        let same_phone: bool = r.try_get("same_phone")?;
        let sim: f32 = r.try_get("sim")?;
        let mut reasons = Vec::new();
        if same_id {
            reasons.push("same_id_number".to_string());
        }
        if same_phone {
            reasons.push("same_phone".to_string());
        }
        if sim >= p.min_score {
            reasons.push("similar_content".to_string());
        }
        if reasons.is_empty() {
            continue;
        }
        let score = if same_id || same_phone {
            0.5 + 0.5 * sim
        } else {
            sim
        };
        out.push(Candidate {
            petition_id: r.try_get("id")?,
            case_number: r.try_get("case_number")?,
            score: (score * 1000.0).round() / 1000.0,
            reasons,
            content_similarity: (sim * 1000.0).round() / 1000.0,
            status: r.try_get("status")?,
            received_on: r.try_get("received_on")?,
            registered_at: r.try_get("registered_at")?,
            finalized_on: r.try_get("finalized_on")?,
        });
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.registered_at.cmp(&a.registered_at))
    });
    out.truncate(p.limit.max(1) as usize);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::jaccard;

    #[test]
    fn token_count_bounds_keep_every_petition_that_can_reach_the_threshold() {
        assert_eq!(token_count_bounds(10, 0.3), (3, 33));
        assert_eq!(token_count_bounds(0, 0.3), (1, 0));
        assert_eq!(token_count_bounds(7, 0.0), (0, i32::MAX));
        // Exhaustive check on small sets: whenever Jaccard ≥ min, the count is within bounds.
        for n in 1..30usize {
            let a: Vec<i32> = (0..n as i32).collect();
            for m in 1..120usize {
                for shared in 0..=n.min(m) {
                    let b: Vec<i32> = (0..shared as i32)
                        .chain(1000..1000 + (m - shared) as i32)
                        .collect();
                    let mut b = b;
                    b.sort_unstable();
                    let (lo, hi) = token_count_bounds(n, 0.3);
                    if jaccard(&a, &b) >= 0.3 {
                        assert!(
                            lo <= m as i32 && m as i32 <= hi,
                            "n={n} m={m} shared={shared}"
                        );
                    }
                }
            }
        }
    }
}
