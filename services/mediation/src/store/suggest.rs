//! The mediator suggestion's queries (推荐调解员): active mediators of active bodies who cover the
//! field or the township, not recused for this mediation, ranked by field match, township match,
//! current load and their record in the field (`docs/performance.md` shows the plans).
//!
//! Everything reads `mediator_reach`, which triggers keep as mediators, their load, their record
//! (`mediator_field_record`, itself kept as mediations end) and bodies change: one row per
//! (field, township), field alone and township alone a mediator covers, with the load and the
//! record in the row's field, indexed in ranking order. So a group of candidates is one short
//! ordered btree range, the recused are row filters (the mediation's exclusions and parties come
//! with its [`context`]), and the cost grows neither with the mediators nor with past mediations.

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

/// What the suggestion needs of a mediation, in one statement: who may see and take it (the
/// body's unit and the matter's), what it is about, and who may not mediate it (the excluded
/// mediators, the parties' names).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Context {
    pub id: Uuid,
    pub body_unit: String,
    pub matter_unit: String,
    pub field: String,
    pub township: String,
    pub respondent_unit: Option<String>,
    pub excluded: Vec<Uuid>,
    pub parties: Vec<String>,
}

pub async fn context(conn: &mut PgConnection, id: Uuid) -> Result<Option<Context>, sqlx::Error> {
    sqlx::query_as::<_, Context>(
        "SELECT md.id, b.unit_code AS body_unit,
                coalesce(c.handling_unit, c.registering_unit, d.unit_code, b.unit_code) AS matter_unit,
                md.field, md.township, md.respondent_unit,
                ARRAY(SELECT x.mediator_id FROM mediator_exclusions x WHERE x.mediation_id = md.id) AS excluded,
                ARRAY(SELECT p.name FROM parties p WHERE p.mediation_id = md.id) AS parties
         FROM mediations md
         JOIN bodies b ON b.id = md.body_id
         LEFT JOIN cases c ON c.case_id = md.petition_id
         LEFT JOIN disputes d ON d.id = md.dispute_id
         WHERE md.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The filters every group applies: not excluded, not a party's namesake, not of the respondent
/// unit.
const NOT_RECUSED: &str = "r.mediator_id <> ALL($5::uuid[]) AND r.name <> ALL($6::text[])
    AND ($4::text IS NULL OR r.employer_unit IS DISTINCT FROM $4)";

const COLUMNS: &str = "r.mediator_id, r.name, r.kind, r.body_id, r.body_name, r.open_mediations";

/// Those who cover the field and the township (group 1), then the field only (group 2): each the
/// first `limit` of one btree range, already in ranking order (load, then record in the field,
/// name, id), so the answer is exact without ties.
pub fn field_groups() -> String {
    format!(
        "SELECT * FROM (
           (SELECT 1 AS grp, {COLUMNS}, true AS field_match, true AS township_match, r.ended AS ended_in_field,
                   r.agreed AS agreed_in_field, r.rate
            FROM mediator_reach r
            WHERE r.field = $1 AND r.township = $2 AND {NOT_RECUSED}
            ORDER BY r.open_mediations, r.rate DESC, r.name, r.mediator_id LIMIT $3)
           UNION ALL
           (SELECT 2 AS grp, {COLUMNS}, true, false, r.ended, r.agreed, r.rate
            FROM mediator_reach r
            WHERE r.field = $1 AND r.township = '' AND NOT ($2 = ANY(r.townships)) AND {NOT_RECUSED}
            ORDER BY r.open_mediations, r.rate DESC, r.name, r.mediator_id LIMIT $3)
         ) AS g
         ORDER BY grp, open_mediations, rate DESC, name, mediator_id
         LIMIT $3"
    )
}

/// Those who cover the township only (group 3): their record in *this* field is not in their
/// rows, so the first `limit` by load are taken with their ties and only those look it up.
pub fn township_group() -> String {
    format!(
        "WITH c AS (
           SELECT {COLUMNS} FROM mediator_reach r
           WHERE r.field = '' AND r.township = $2 AND NOT ($1 = ANY(r.fields)) AND {NOT_RECUSED}
           ORDER BY r.open_mediations FETCH FIRST $3 ROWS WITH TIES)
         SELECT r.mediator_id, r.name, r.kind, r.body_id, r.body_name, r.open_mediations,
                false AS field_match, true AS township_match,
                coalesce(rec.ended, 0) AS ended_in_field, coalesce(rec.agreed, 0) AS agreed_in_field
         FROM c AS r
         LEFT JOIN mediator_field_record rec ON rec.mediator_id = r.mediator_id AND rec.field = $1
         ORDER BY r.open_mediations, (coalesce(rec.agreed, 0) + 1)::float8 / (coalesce(rec.ended, 0) + 2) DESC,
                  r.name, r.mediator_id
         LIMIT $3"
    )
}

/// The best `limit` candidates for the mediation of `ctx`, best first: one statement, and a second
/// only when fewer than `limit` cover the field.
pub async fn candidates(
    conn: &mut PgConnection,
    ctx: &Context,
    limit: i64,
) -> Result<Vec<Candidate>, sqlx::Error> {
    let mut rows: Vec<CandidateRow> = Vec::new();
    for (statement, wanted) in [(field_groups(), limit), (township_group(), 0)] {
        let wanted = if wanted == 0 {
            limit - rows.len() as i64
        } else {
            wanted
        };
        if wanted <= 0 {
            break;
        }
        let more = sqlx::query_as::<_, CandidateRow>(sqlx::AssertSqlSafe(statement))
            .bind(&ctx.field)
            .bind(&ctx.township)
            .bind(wanted)
            .bind(ctx.respondent_unit.as_deref())
            .bind(&ctx.excluded)
            .bind(&ctx.parties)
            .fetch_all(&mut *conn)
            .await?;
        rows.extend(more);
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
