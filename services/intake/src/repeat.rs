//! Repeat detection (重复信访识别): earlier petitions by the same person (keyed blind index of
//! identity number or phone, any petitioner or representative) or with similar content in the same
//! field against the same respondent (Jaccard similarity of character-bigram tokens, see
//! [`crate::text`]).
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
    pub exclude: Option<Uuid>,
    pub id_number_bidx: &'a [Vec<u8>],
    pub phone_bidx: &'a [Vec<u8>],
    pub scoped_tokens: &'a [i32],
    pub min_score: f32,
    pub limit: i64,
}

/// Find candidates, best first.
#[tracing::instrument(name = "find_repeat_candidates", skip_all)]
pub async fn find_candidates(
    conn: &mut PgConnection,
    p: &Probe<'_>,
) -> Result<Vec<Candidate>, sqlx::Error> {
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
         content AS (
             SELECT id, (icount(scoped_tokens & $3::int4[])::real
                        / greatest(1, icount(scoped_tokens) + $4 - icount(scoped_tokens & $3::int4[])))::real AS sim
             FROM petitions
             WHERE cardinality($3::int4[]) > 0 AND scoped_tokens && $3::int4[]
         ),
         similar_content AS (
             SELECT id, sim FROM content WHERE sim >= $5 ORDER BY sim DESC LIMIT $6
         ),
         ids AS (
             SELECT petition_id AS id FROM person UNION SELECT id FROM similar_content
         )
         SELECT p.id, p.case_number, p.status, p.received_on, p.registered_at, p.finalized_on,
                coalesce(pe.same_id, false) AS same_id, coalesce(pe.same_phone, false) AS same_phone,
                CASE WHEN cardinality($3::int4[]) = 0 THEN 0::real
                     ELSE (icount(p.scoped_tokens & $3::int4[])::real
                          / greatest(1, icount(p.scoped_tokens) + $4 - icount(p.scoped_tokens & $3::int4[])))::real END AS sim
         FROM ids JOIN petitions p ON p.id = ids.id
         LEFT JOIN person pe ON pe.petition_id = p.id
         WHERE p.id IS DISTINCT FROM $7",
    )
    .bind(p.id_number_bidx)
    .bind(p.phone_bidx)
    .bind(p.scoped_tokens)
    .bind(p.scoped_tokens.len() as i32)
    .bind(p.min_score)
    .bind(p.limit)
    .bind(p.exclude)
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
