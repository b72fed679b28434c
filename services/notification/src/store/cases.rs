//! The register of cases (案件登记副本) notification keeps from registrations, so that a later
//! decision knows whom to tell and how.

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
    sqlx::query!(
        "INSERT INTO notification_cases (case_id, case_number, registering_unit, received_on, anonymous, contactable)
         SELECT t.case_id, t.case_number, t.registering_unit, t.received_on, t.anonymous, t.contactable
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::bool[], $6::bool[])
              AS t(case_id, case_number, registering_unit, received_on, anonymous, contactable)
         ON CONFLICT (case_id) DO NOTHING",
        &ids,
        &numbers as &[&str],
        &units as &[&str],
        &received,
        &anonymous,
        &contactable,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The case as registered, if this service has seen its registration.
pub async fn find(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Option<CaseContext>, sqlx::Error> {
    sqlx::query_as!(
        CaseContext,
        "SELECT case_number, registering_unit, received_on, anonymous, contactable
         FROM notification_cases WHERE case_id = $1",
        case_id
    )
    .fetch_optional(conn)
    .await
}
