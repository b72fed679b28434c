//! SQL of the timeline (`case_events`) and of the units that may see a case (`case_units`). Inside
//! a batch of events both are written set-wise at its end by [`TimelineBatchWriter`].

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use xinfang_messaging::{Deferred, UnitOfWork};

/// A case-timeline row (案件时间线), waiting for the end of its batch.
pub struct TimelineRow {
    pub event_id: Uuid,
    pub case_id: Option<Uuid>,
    pub routing_key: String,
    pub producer: String,
    pub occurred_at: DateTime<Utc>,
    pub correlation_id: Uuid,
    pub unit_code: Option<String>,
    pub payload: serde_json::Value,
}

/// A unit that may see a case, waiting for the end of its batch.
struct CaseUnit {
    case_id: Uuid,
    unit_code: String,
}

/// Put a row on its case's timeline: inside a batch with the batch's other rows by
/// [`TimelineBatchWriter`] (nothing in the event handlers reads the timeline), else at once.
pub async fn record(uow: &mut UnitOfWork<'_>, row: TimelineRow) -> Result<(), sqlx::Error> {
    match uow.defer_or_keep(row) {
        None => Ok(()),
        Some(row) => insert_timeline(uow.conn(), &[row]).await,
    }
}

/// Let `unit` see the case (the registering unit, and each unit it is handed to). Inside a batch
/// the row is written at its end by [`TimelineBatchWriter`]; event handlers never read these rows.
pub async fn add_case_unit(
    uow: &mut UnitOfWork<'_>,
    case_id: Uuid,
    unit: &str,
) -> Result<(), sqlx::Error> {
    let row = CaseUnit {
        case_id,
        unit_code: unit.to_string(),
    };
    match uow.defer_or_keep(row) {
        None => Ok(()),
        Some(row) => insert_case_units(uow.conn(), &[row]).await,
    }
}

async fn insert_timeline(conn: &mut PgConnection, rows: &[TimelineRow]) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO case_events (event_id, case_id, routing_key, producer, occurred_at, correlation_id, unit_code, payload)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::uuid[], $7::text[], $8::jsonb[])
         ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(rows.iter().map(|r| r.event_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.case_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.routing_key.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.producer.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.occurred_at).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.correlation_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.unit_code.as_deref()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| &r.payload).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

async fn insert_case_units(conn: &mut PgConnection, rows: &[CaseUnit]) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO case_units (case_id, unit_code)
         SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT DO NOTHING",
    )
    .bind(rows.iter().map(|r| r.case_id).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|r| r.unit_code.as_str())
            .collect::<Vec<_>>(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes a batch's timeline rows and case units, each with one statement, before its audit rows
/// and its statistics rollup.
pub struct TimelineBatchWriter;

#[async_trait::async_trait]
impl xinfang_messaging::BatchWriter for TimelineBatchWriter {
    async fn after_batch(
        &self,
        conn: &mut PgConnection,
        deferred: &mut Deferred,
    ) -> Result<(), sqlx::Error> {
        let rows = deferred.take::<TimelineRow>();
        insert_timeline(&mut *conn, &rows).await?;
        let units = deferred.take::<CaseUnit>();
        insert_case_units(conn, &units).await
    }
}

/// The units that may see a case.
pub async fn case_units(pool: &PgPool, case_id: Uuid) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT unit_code FROM case_units WHERE case_id = $1",
        case_id
    )
    .fetch_all(pool)
    .await
}

/// One event of a case's timeline.
#[derive(Debug, sqlx::FromRow)]
pub struct CaseEventRow {
    pub event_id: Uuid,
    pub routing_key: String,
    pub producer: String,
    pub occurred_at: DateTime<Utc>,
    pub unit_code: Option<String>,
    pub payload: serde_json::Value,
}

/// Every event of a case, in order.
pub async fn events_of(pool: &PgPool, case_id: Uuid) -> Result<Vec<CaseEventRow>, sqlx::Error> {
    sqlx::query_as!(
        CaseEventRow,
        "SELECT event_id, routing_key, producer, occurred_at, unit_code, payload FROM case_events
         WHERE case_id = $1 ORDER BY occurred_at, event_id",
        case_id
    )
    .fetch_all(pool)
    .await
}
