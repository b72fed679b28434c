//! This service's register of petitions (案件登记副本): the shared register's columns plus field,
//! township, respondent unit and handling unit, kept from intake's events.

use sqlx::PgConnection;
use uuid::Uuid;
use xinfang_contracts::events::{PetitionAcceptedV1, PetitionRegisteredV1};

/// Record registered petitions with one statement (idempotent).
pub async fn record_registrations(
    conn: &mut PgConnection,
    events: &[&PetitionRegisteredV1],
) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO cases (case_id, case_number, registering_unit, received_on, status, field, township, respondent_unit, category)
         SELECT t.id, t.num, t.unit, t.received, 'registered', t.field, t.township, t.respondent, t.category
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::text[], $6::text[], $7::text[], $8::text[])
              AS t(id, num, unit, received, field, township, respondent, category)
         ON CONFLICT (case_id) DO NOTHING",
    )
    .bind(events.iter().map(|e| e.petition_id).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.case_number.clone()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.registering_unit.clone()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.received_on).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.field.clone().unwrap_or_default()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.township.clone().unwrap_or_default()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.respondent_unit.clone()).collect::<Vec<_>>())
    .bind(
        events
            .iter()
            .map(|e| e.category.map(|c| c.as_str().to_string()))
            .collect::<Vec<_>>(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// An accepted petition: its handling unit and its category, when named (acceptance classifies).
pub async fn accepted(conn: &mut PgConnection, e: &PetitionAcceptedV1) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE cases SET status = 'accepted', handling_unit = coalesce($2, handling_unit),
             category = coalesce($3, category)
         WHERE case_id = $1",
    )
    .bind(e.petition_id)
    .bind(&e.handling_unit)
    .bind(e.category.map(|c| c.as_str()))
    .execute(conn)
    .await?;
    Ok(())
}

/// A petition as referral needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    pub case_id: Uuid,
    pub case_number: String,
    pub registering_unit: String,
    pub handling_unit: Option<String>,
    pub status: String,
    pub field: String,
    pub township: String,
    pub respondent_unit: Option<String>,
    /// `claim` | `suggestion` | `accusation`, when known
    pub category: Option<String>,
}

impl CaseRow {
    /// The unit that answers for the case now (责任单位).
    pub fn unit(&self) -> &str {
        self.handling_unit
            .as_deref()
            .unwrap_or(&self.registering_unit)
    }
}

pub async fn find(conn: &mut PgConnection, case_id: Uuid) -> Result<Option<CaseRow>, sqlx::Error> {
    sqlx::query_as::<_, CaseRow>(
        "SELECT case_id, case_number, registering_unit, handling_unit, status, field, township, respondent_unit,
                category
         FROM cases WHERE case_id = $1",
    )
    .bind(case_id)
    .fetch_optional(conn)
    .await
}
