//! The mediator suggestion's query (推荐调解员): active mediators who cover the field or the
//! township, not recused for this mediation, ranked by field match, township match, current load
//! and their record in the field. One statement; the GIN indexes on `fields` and `townships` find
//! the candidates and `mediator_field_record` carries the record, so the cost does not grow with
//! the number of past mediations.

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

/// The best `limit` candidates, best first.
pub async fn candidates(
    conn: &mut PgConnection,
    field: &str,
    township: &str,
    excluded: &[Uuid],
    parties: &[String],
    respondent_unit: Option<&str>,
    limit: i64,
) -> Result<Vec<Candidate>, sqlx::Error> {
    let rows = sqlx::query_as::<_, CandidateRow>(
        "WITH pool AS (
             SELECT id FROM mediators WHERE active AND fields @> ARRAY[$1::text]
             UNION
             SELECT id FROM mediators WHERE active AND townships @> ARRAY[$2::text]
         )
         SELECT m.id AS mediator_id, m.name, m.kind, m.body_id, b.name AS body_name,
                $1 = ANY(m.fields) AS field_match, $2 = ANY(m.townships) AS township_match,
                m.open_mediations, coalesce(r.ended, 0) AS ended_in_field, coalesce(r.agreed, 0) AS agreed_in_field
         FROM pool JOIN mediators m ON m.id = pool.id
         JOIN bodies b ON b.id = m.body_id AND b.active
         LEFT JOIN mediator_field_record r ON r.mediator_id = m.id AND r.field = $1
         WHERE m.id <> ALL($3) AND m.name <> ALL($4)
           AND ($5::text IS NULL OR m.employer_unit IS DISTINCT FROM $5)
         ORDER BY field_match DESC, township_match DESC, m.open_mediations ASC,
                  (coalesce(r.agreed, 0) + 1)::float8 / (coalesce(r.ended, 0) + 2) DESC, m.name, m.id
         LIMIT $6",
    )
    .bind(field)
    .bind(township)
    .bind(excluded)
    .bind(parties)
    .bind(respondent_unit)
    .bind(limit)
    .fetch_all(conn)
    .await?;
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
