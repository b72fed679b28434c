//! Supervision consumes every event: each goes on the case timeline, and some open or close
//! deadlines.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;
use xinfang_contracts::{events::PetitionRegisteredV1, DomainEvent, Envelope};
use xinfang_messaging::{is_registration, Deferred, EventHandler, HandlerError, UnitOfWork};
use xinfang_platform::audit::{AuditEntry, AuditExt};

use crate::{configuration::Limits, deadlines::SharedCalendar};

pub struct SupervisionEvents {
    pub calendar: SharedCalendar,
    pub limits: Limits,
}

/// A case-timeline row (案件时间线), waiting for the end of its batch.
struct TimelineRow {
    event_id: Uuid,
    case_id: Option<Uuid>,
    routing_key: String,
    producer: String,
    occurred_at: DateTime<Utc>,
    correlation_id: Uuid,
    unit_code: Option<String>,
    payload: serde_json::Value,
}

/// A unit that may see a case, waiting for the end of its batch.
struct CaseUnit {
    case_id: Uuid,
    unit_code: String,
}

/// Put an event on its case's timeline. Inside a batch the row is written with the batch's other
/// rows by [`TimelineBatchWriter`]; nothing in the event handlers reads the timeline.
async fn record_timeline(
    uow: &mut UnitOfWork<'_>,
    envelope: &Envelope,
    unit: Option<&str>,
) -> Result<(), sqlx::Error> {
    let row = TimelineRow {
        event_id: envelope.event_id,
        case_id: envelope.case_id,
        routing_key: envelope.routing_key(),
        producer: envelope.producer.as_str().to_string(),
        occurred_at: envelope.occurred_at,
        correlation_id: envelope.correlation_id,
        unit_code: unit.map(str::to_string),
        payload: envelope.payload.clone(),
    };
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

#[async_trait::async_trait]
impl EventHandler for SupervisionEvents {
    fn name(&self) -> &'static str {
        "supervision"
    }

    async fn handle(
        &self,
        uow: &mut UnitOfWork<'_>,
        envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        crate::clocks::on_event(uow, &self.calendar, &self.limits, envelope, &event).await?;
        // The statistics rollup updates shared daily rows (the county's, the unit's): it runs last,
        // so that those row locks are held only from here to the commit.
        let for_statistics = event.clone();
        self.apply_event(uow, envelope, event).await?;
        crate::read_models::apply(uow, envelope, &for_statistics).await?;
        Ok(())
    }

    fn batchable(&self, item: &(&Envelope, DomainEvent)) -> bool {
        is_registration(item)
    }

    /// A run of registrations set-wise: their clocks with one statement, their case facts with
    /// another (timeline rows, case units, audit rows and rollup deltas are written at the end of
    /// the batch as always).
    async fn handle_together(
        &self,
        uow: &mut UnitOfWork<'_>,
        run: Vec<(&Envelope, DomainEvent)>,
    ) -> Result<(), HandlerError> {
        let registered: Vec<(&Envelope, &PetitionRegisteredV1)> = run
            .iter()
            .filter_map(|(envelope, event)| match event {
                DomainEvent::PetitionRegistered(e) => Some((*envelope, e)),
                _ => None,
            })
            .collect();
        let calendar = crate::deadlines::current(&self.calendar);
        crate::clocks::open_registrations(uow.conn(), calendar.as_ref(), &self.limits, &registered)
            .await?;
        for (envelope, event) in &run {
            self.apply_event(uow, envelope, event.clone()).await?;
        }
        let events: Vec<&PetitionRegisteredV1> = registered.iter().map(|(_, e)| *e).collect();
        crate::read_models::apply_registrations(uow, &events).await?;
        Ok(())
    }
}

impl SupervisionEvents {
    async fn apply_event(
        &self,
        uow: &mut UnitOfWork<'_>,
        envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        match event {
            DomainEvent::PetitionRegistered(e) => {
                record_timeline(uow, envelope, Some(&e.registering_unit)).await?;
                add_case_unit(uow, e.petition_id, &e.registering_unit).await?;
                // The acceptance clock itself was opened, with its timers, by `clocks::on_event`.
                uow.audit(AuditEntry::system(
                    "supervision",
                    "deadline.open",
                    Some(e.petition_id),
                    serde_json::json!({ "kind": "acceptance", "start": e.received_on, "period": self.limits.acceptance_days }),
                ))
                .await?;
                tracing::info!(case_number = %e.case_number, "acceptance deadline opened");
                Ok(())
            }
            _ => {
                record_timeline(uow, envelope, None).await?;
                Ok(())
            }
        }
    }
}
