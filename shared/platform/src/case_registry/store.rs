//! SQL of the case register: set-wise writes and typed rows.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use xinfang_contracts::{events::PetitionRegisteredV1, DomainEvent, Envelope};

/// Record a registered petition (idempotent).
pub async fn record(conn: &mut PgConnection, e: &PetitionRegisteredV1) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO cases (case_id, case_number, registering_unit, received_on, status)
         VALUES ($1, $2, $3, $4, 'registered') ON CONFLICT (case_id) DO NOTHING",
    )
    .bind(e.petition_id)
    .bind(&e.case_number)
    .bind(&e.registering_unit)
    .bind(e.received_on)
    .execute(conn)
    .await?;
    Ok(())
}

/// Record the registered petitions among a batch's events with one statement (idempotent, like
/// [`record`]); the other events are not this register's business.
pub async fn record_registrations(
    conn: &mut PgConnection,
    items: &[(&Envelope, DomainEvent)],
) -> Result<(), sqlx::Error> {
    let events: Vec<&PetitionRegisteredV1> = items
        .iter()
        .filter_map(|(_, event)| match event {
            DomainEvent::PetitionRegistered(e) => Some(e),
            _ => None,
        })
        .collect();
    match events.as_slice() {
        [] => Ok(()),
        [one] => record(conn, one).await,
        many => record_many(conn, many).await,
    }
}

/// Record several registered petitions with one statement (idempotent, like [`record`]).
pub async fn record_many(
    conn: &mut PgConnection,
    events: &[&PetitionRegisteredV1],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO cases (case_id, case_number, registering_unit, received_on, status)
         SELECT t.id, t.num, t.unit, t.received, 'registered'
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[]) AS t(id, num, unit, received)
         ON CONFLICT (case_id) DO NOTHING",
    )
    .bind(events.iter().map(|e| e.petition_id).collect::<Vec<_>>())
    .bind(
        events
            .iter()
            .map(|e| e.case_number.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        events
            .iter()
            .map(|e| e.registering_unit.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(events.iter().map(|e| e.received_on).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// A case as the register keeps it.
#[derive(Debug, sqlx::FromRow)]
pub struct CaseRow {
    pub case_id: Uuid,
    pub case_number: String,
    pub registering_unit: String,
    pub received_on: NaiveDate,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// One case of the register, if it is there.
pub async fn find(pool: &PgPool, case_id: Uuid) -> Result<Option<CaseRow>, sqlx::Error> {
    sqlx::query_as::<_, CaseRow>(
        "SELECT case_id, case_number, registering_unit, received_on, status, created_at
         FROM cases WHERE case_id = $1",
    )
    .bind(case_id)
    .fetch_optional(pool)
    .await
}
