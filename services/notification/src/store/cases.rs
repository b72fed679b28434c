//! The register of cases (案件登记副本) notification keeps from registrations, so that a later
//! decision knows whom to tell and how, and the self-service can say where the case stands.

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;
use xinfang_contracts::events::PetitionRegisteredV1;

use crate::domain::CaseContext;

/// Remember the cases of several registrations with one statement (idempotent).
pub async fn remember(
    conn: &mut PgConnection,
    events: &[&PetitionRegisteredV1],
) -> Result<(), sqlx::Error> {
    let ids: Vec<Uuid> = events.iter().map(|e| e.petition_id).collect();
    let numbers: Vec<&str> = events.iter().map(|e| e.case_number.as_str()).collect();
    let units: Vec<&str> = events.iter().map(|e| e.registering_unit.as_str()).collect();
    let received: Vec<NaiveDate> = events.iter().map(|e| e.received_on).collect();
    let anonymous: Vec<bool> = events.iter().map(|e| e.anonymous).collect();
    let contactable: Vec<bool> = events.iter().map(|e| e.contactable).collect();
    sqlx::query(
        "INSERT INTO notification_cases (case_id, case_number, registering_unit, received_on, anonymous, contactable, stage_on)
         SELECT t.case_id, t.case_number, t.registering_unit, t.received_on, t.anonymous, t.contactable, t.received_on
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::bool[], $6::bool[])
              AS t(case_id, case_number, registering_unit, received_on, anonymous, contactable)
         ON CONFLICT (case_id) DO NOTHING",
    )
    .bind(&ids)
    .bind(&numbers)
    .bind(&units)
    .bind(&received)
    .bind(&anonymous)
    .bind(&contactable)
    .execute(conn)
    .await?;
    Ok(())
}

/// The case as registered, if this service has seen its registration.
pub async fn find(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Option<CaseContext>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        case_number: String,
        registering_unit: String,
        received_on: NaiveDate,
        anonymous: bool,
        contactable: bool,
    }
    let row = sqlx::query_as::<_, Row>(
        "SELECT case_number, registering_unit, received_on, anonymous, contactable
         FROM notification_cases WHERE case_id = $1",
    )
    .bind(case_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| CaseContext {
        case_number: r.case_number,
        registering_unit: r.registering_unit,
        received_on: r.received_on,
        anonymous: r.anonymous,
        contactable: r.contactable,
    }))
}

/// Move the case to `stage` (办理进度) on `on`; `closed` once it has ended at some level. A stage
/// is only ever replaced by a later one (by date), so a redelivered old event changes nothing.
pub async fn advance(
    conn: &mut PgConnection,
    case_id: Uuid,
    stage: &str,
    on: NaiveDate,
    closed: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notification_cases SET stage = $2, stage_on = $3, closed = closed OR $4
         WHERE case_id = $1 AND (stage_on IS NULL OR stage_on <= $3)",
    )
    .bind(case_id)
    .bind(stage)
    .bind(on)
    .bind(closed)
    .execute(conn)
    .await?;
    Ok(())
}

/// Where a case stands, for the petitioner (办理进度).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseStatus {
    pub case_id: Uuid,
    pub case_number: String,
    pub registering_unit: String,
    pub received_on: NaiveDate,
    pub stage: String,
    pub stage_on: Option<NaiveDate>,
    pub closed: bool,
}

pub async fn status(pool: &sqlx::PgPool, case_id: Uuid) -> Result<Option<CaseStatus>, sqlx::Error> {
    sqlx::query_as::<_, CaseStatus>(
        "SELECT case_id, case_number, registering_unit, received_on, stage, stage_on, closed
         FROM notification_cases WHERE case_id = $1",
    )
    .bind(case_id)
    .fetch_optional(pool)
    .await
}
