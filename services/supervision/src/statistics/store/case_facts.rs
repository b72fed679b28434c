//! SQL of the case facts (`case_facts`), one row per case.

use std::collections::HashSet;

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::statistics::domain::read_model::CaseFacts;

/// A case's facts as stored.
#[derive(Debug, sqlx::FromRow)]
struct CaseFactsRow {
    case_id: Uuid,
    case_number: String,
    registered_on: NaiveDate,
    registering_unit: String,
    unit_code: String,
    township: String,
    field: String,
    channel: String,
    category: Option<String>,
    respondent_unit: Option<String>,
    status: String,
    decision: Option<String>,
    decided_on: Option<NaiveDate>,
    accepted_on_time: Option<bool>,
    transferred: bool,
    assigned: bool,
    repeat: bool,
    closed_on: Option<NaiveDate>,
    closed_on_time: Option<bool>,
    closure_kind: Option<String>,
    satisfaction: Option<String>,
    mediation_outcome: Option<String>,
}

impl From<CaseFactsRow> for CaseFacts {
    fn from(r: CaseFactsRow) -> CaseFacts {
        CaseFacts {
            case_id: r.case_id,
            case_number: r.case_number,
            registered_on: r.registered_on,
            registering_unit: r.registering_unit,
            unit_code: r.unit_code,
            township: r.township,
            field: r.field,
            channel: r.channel,
            category: r.category,
            respondent_unit: r.respondent_unit,
            status: r.status,
            decision: r.decision,
            decided_on: r.decided_on,
            accepted_on_time: r.accepted_on_time,
            transferred: r.transferred,
            assigned: r.assigned,
            repeat: r.repeat,
            closed_on: r.closed_on,
            closed_on_time: r.closed_on_time,
            closure_kind: r.closure_kind,
            satisfaction: r.satisfaction,
            mediation_outcome: r.mediation_outcome,
        }
    }
}

/// Load a case's facts, locked for update.
pub async fn load(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Option<CaseFacts>, sqlx::Error> {
    Ok(sqlx::query_as!(
        CaseFactsRow,
        "SELECT case_id, case_number, registered_on, registering_unit, unit_code, township, field, channel,
                category, respondent_unit, status, decision, decided_on, accepted_on_time, transferred, assigned, repeat,
                closed_on, closed_on_time, closure_kind, satisfaction, mediation_outcome
         FROM case_facts WHERE case_id = $1 FOR UPDATE",
        case_id
    )
    .fetch_optional(conn)
    .await?
    .map(CaseFacts::from))
}

/// Insert the facts of new cases with one statement; a case already known is left as it is.
/// Returns the cases inserted.
pub async fn insert_many(
    conn: &mut PgConnection,
    facts: &[CaseFacts],
) -> Result<HashSet<Uuid>, sqlx::Error> {
    let sql = "INSERT INTO case_facts (case_id, case_number, registered_on, registering_unit, unit_code, township, field,
             channel, category, respondent_unit, status, decision, decided_on, accepted_on_time, transferred, assigned,
             repeat, closed_on, closed_on_time, closure_kind, satisfaction, mediation_outcome)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::date[], $4::text[], $5::text[], $6::text[], $7::text[],
                              $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::date[], $14::bool[],
                              $15::bool[], $16::bool[], $17::bool[], $18::date[], $19::bool[], $20::text[], $21::text[],
                              $22::text[])
         ON CONFLICT (case_id) DO NOTHING
         RETURNING case_id";
    let col = |get: fn(&CaseFacts) -> Option<&str>| facts.iter().map(get).collect::<Vec<_>>();
    let inserted: Vec<Uuid> = sqlx::query_scalar(sql)
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

pub async fn save(conn: &mut PgConnection, f: &CaseFacts) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE case_facts SET unit_code = $2, township = $3, field = $4, category = $5, status = $6, decision = $7,
                decided_on = $8, accepted_on_time = $9, transferred = $10, assigned = $11, repeat = $12, closed_on = $13,
                closed_on_time = $14, closure_kind = $15, satisfaction = $16, mediation_outcome = $17, updated_at = now()
         WHERE case_id = $1",
        f.case_id,
        &f.unit_code,
        &f.township,
        &f.field,
        f.category.as_deref(),
        &f.status,
        f.decision.as_deref(),
        f.decided_on,
        f.accepted_on_time,
        f.transferred,
        f.assigned,
        f.repeat,
        f.closed_on,
        f.closed_on_time,
        f.closure_kind.as_deref(),
        f.satisfaction.as_deref(),
        f.mediation_outcome.as_deref()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a first procedural decision on `decided_on` met the case's acceptance deadline; None
/// while the deadline is not projected.
pub async fn acceptance_on_time(
    conn: &mut PgConnection,
    case_id: Uuid,
    decided_on: NaiveDate,
) -> Result<Option<bool>, sqlx::Error> {
    let due: Option<Option<NaiveDate>> = sqlx::query_scalar!(
        "SELECT due_date FROM deadlines WHERE case_id = $1 AND kind = 'acceptance'",
        case_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(due.flatten().map(|d| decided_on <= d))
}
