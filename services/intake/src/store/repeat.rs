//! The repeat lookup (重复信访比对): earlier petitions by the same person (blind index) or with
//! similar content in the same scope, read through `content_signatures`; scored in
//! [`crate::domain::repeat`].

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::repeat::{rank, token_count_bounds, Candidate, Match};

/// What to look for.
pub struct Probe<'a> {
    pub id_number_bidx: &'a [Vec<u8>],
    pub phone_bidx: &'a [Vec<u8>],
    /// The matter's scope ([`crate::domain::text::scope_of`]): content is compared only within it.
    pub scope: &'a str,
    /// Sorted, distinct content tokens ([`crate::domain::text::search_tokens`]).
    pub tokens: &'a [i32],
    pub min_score: f32,
    pub limit: i64,
    /// Most earlier petitions of the scope compared, newest first.
    pub max_scope_scan: i64,
}

#[derive(sqlx::FromRow)]
struct MatchRow {
    petition_id: Uuid,
    case_number: String,
    status: String,
    received_on: NaiveDate,
    registered_at: DateTime<Utc>,
    finalized_on: Option<NaiveDate>,
    same_id_number: bool,
    same_phone: bool,
    similarity: f32,
}

impl From<MatchRow> for Match {
    fn from(r: MatchRow) -> Match {
        Match {
            petition_id: r.petition_id,
            case_number: r.case_number,
            status: r.status,
            received_on: r.received_on,
            registered_at: r.registered_at,
            finalized_on: r.finalized_on,
            same_id_number: r.same_id_number,
            same_phone: r.same_phone,
            similarity: r.similarity,
        }
    }
}

/// Find candidates, best first.
///
/// Content: an index-only scan of `content_signatures` over the probe's scope, newest first, up to
/// `max_scope_scan` entries; those whose token count can reach the threshold
/// ([`token_count_bounds`]) get their Jaccard similarity computed on the index entry. The cost grows
/// with the petitions of the scope (about 1 µs each, bounded), not with the whole table. Person:
/// petitioners by blind index (B-tree), however old.
///
/// The statement is prepared, and PostgreSQL may run it with a generic plan made from statistics
/// of a much smaller table; it is written so that every plan reads by index: one arm per blind
/// index, each saying `IS NOT NULL` as the partial indexes do, and the earlier petitions fetched by
/// `id = ANY(ARRAY(…))`. (Written as one `OR` and a join, the generic plan read every petitioner
/// and every petition at each registration: a sequential scan that grew with the register.)
#[tracing::instrument(name = "find_repeat_candidates", skip_all, fields(scope = %p.scope))]
pub async fn find_candidates(
    conn: &mut PgConnection,
    p: &Probe<'_>,
) -> Result<Vec<Candidate>, sqlx::Error> {
    let (lo, hi) = token_count_bounds(p.tokens.len(), p.min_score);
    let rows = sqlx::query_as::<_, MatchRow>(
        "WITH person AS (
             SELECT petition_id,
                    bool_or(id_number_bidx = ANY($1)) AS same_id,
                    bool_or(phone_bidx = ANY($2)) AS same_phone
             FROM (SELECT petition_id, id_number_bidx, phone_bidx FROM petitioners
                   WHERE id_number_bidx = ANY($1) AND id_number_bidx IS NOT NULL
                   UNION ALL
                   SELECT petition_id, id_number_bidx, phone_bidx FROM petitioners
                   WHERE phone_bidx = ANY($2) AND phone_bidx IS NOT NULL) matched
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
         ),
         found AS (
             SELECT * FROM petitions WHERE id = ANY(ARRAY(SELECT id FROM ids))
         )
         SELECT p.id AS petition_id, p.case_number, p.status, p.received_on, p.registered_at, p.finalized_on,
                coalesce(pe.same_id, false) AS same_id_number, coalesce(pe.same_phone, false) AS same_phone,
                coalesce(sc.sim,
                    CASE WHEN $4 > 0 AND coalesce(p.field, '-') || '|' || coalesce(p.respondent_unit, '-') = $7
                         THEN coalesce((icount(cs.tokens & $3::int4[])::real
                              / greatest(1, cs.token_count + $4 - icount(cs.tokens & $3::int4[])))::real, 0::real)
                         ELSE 0::real END) AS similarity
         FROM found p
         LEFT JOIN content_signatures cs ON cs.petition_id = p.id
         LEFT JOIN person pe ON pe.petition_id = p.id
         LEFT JOIN similar_content sc ON sc.id = p.id"
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
    .persistent(true)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rank(
        rows.into_iter().map(Match::from).collect(),
        p.min_score,
        p.limit,
    ))
}
