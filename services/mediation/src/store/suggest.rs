//! The mediator suggestion's query (推荐调解员): active mediators who cover the field or the
//! township, not recused for this mediation, ranked by field match, township match, current load
//! and their record in the field. One statement: the GIN indexes on `fields` and `townships` find
//! the candidates, a top-N sort keeps the best `limit` by match and load *with their ties* (so the
//! tie-break on the record is exact), and only those look up `mediator_field_record`, which the
//! service keeps as mediations end, so the cost does not grow with the number of past mediations.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::mediator_choice::Candidate;

#[derive(Debug, sqlx::FromRow)]
struct CandidateRow {
    mediator_id: Uuid,
    name: String,
    kind: String,
    body_id: Uuid,
    body_name: String,
    field_match: bool,
    township_match: bool,
    open_mediations: i32,
    ended_in_field: i32,
    agreed_in_field: i32,
}

/// The statement, for mediators who cover the field **and** the township (`BOTH`) or either
/// (`EITHER`): fixed strings, never user text.
const BOTH: &str = "m.fields @> ARRAY[$1::text] AND m.townships @> ARRAY[$2::text]";
const EITHER: &str = "(m.fields @> ARRAY[$1::text] OR m.townships @> ARRAY[$2::text])";

fn statement(pool: &str) -> String {
    format!(
        "WITH ranked AS (
             SELECT m.id, m.name, m.kind, m.body_id, b.name AS body_name,
                    $1 = ANY(m.fields) AS field_match, $2 = ANY(m.townships) AS township_match, m.open_mediations
             FROM mediators m JOIN bodies b ON b.id = m.body_id AND b.active
             WHERE m.active AND {pool}
               AND NOT EXISTS (SELECT 1 FROM mediator_exclusions x WHERE x.mediation_id = $3 AND x.mediator_id = m.id)
               AND NOT EXISTS (SELECT 1 FROM parties p WHERE p.mediation_id = $3 AND p.name = m.name)
               AND ($5::text IS NULL OR m.employer_unit IS DISTINCT FROM $5)
             ORDER BY field_match DESC, township_match DESC, m.open_mediations ASC
             FETCH FIRST $4 ROWS WITH TIES
         )
         SELECT c.id AS mediator_id, c.name, c.kind, c.body_id, c.body_name, c.field_match, c.township_match,
                c.open_mediations, coalesce(r.ended, 0) AS ended_in_field, coalesce(r.agreed, 0) AS agreed_in_field
         FROM ranked c
         LEFT JOIN mediator_field_record r ON r.mediator_id = c.id AND r.field = $1
         ORDER BY c.field_match DESC, c.township_match DESC, c.open_mediations ASC,
                  (coalesce(r.agreed, 0) + 1)::float8 / (coalesce(r.ended, 0) + 2) DESC, c.name, c.id
         LIMIT $4"
    )
}

/// The best `limit` candidates, best first. The mediators excluded from `mediation_id` (回避, a
/// party's request) and those bearing a party's name are left out in the same statement. Those who
/// cover both the field and the township rank first, so when there are `limit` of them they are
/// the answer (a small index intersection); otherwise the wider pool is ranked.
pub async fn candidates(
    conn: &mut PgConnection,
    mediation_id: Uuid,
    field: &str,
    township: &str,
    respondent_unit: Option<&str>,
    limit: i64,
) -> Result<Vec<Candidate>, sqlx::Error> {
    let mut rows = Vec::new();
    for pool in [BOTH, EITHER] {
        rows = sqlx::query_as::<_, CandidateRow>(sqlx::AssertSqlSafe(statement(pool)))
            .bind(field)
            .bind(township)
            .bind(mediation_id)
            .bind(limit)
            .bind(respondent_unit)
            .fetch_all(&mut *conn)
            .await?;
        if rows.len() as i64 >= limit {
            break;
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| Candidate {
            mediator_id: r.mediator_id,
            name: r.name,
            kind: r.kind,
            body_id: r.body_id,
            body_name: r.body_name,
            field_match: r.field_match,
            township_match: r.township_match,
            open_mediations: r.open_mediations,
            ended_in_field: r.ended_in_field,
            agreed_in_field: r.agreed_in_field,
        })
        .collect())
}
