//! Supervision consumes every event: each goes on the case timeline, and some open or close
//! deadlines.

use sqlx::PgConnection;
use xinfang_contracts::{DomainEvent, Envelope};
use xinfang_messaging::{EventHandler, HandlerError};
use xinfang_platform::audit::{self, AuditEntry};

use crate::{configuration::Limits, deadlines::SharedCalendar};

pub struct SupervisionEvents {
    pub calendar: SharedCalendar,
    pub limits: Limits,
}

async fn record_timeline(
    conn: &mut PgConnection,
    envelope: &Envelope,
    unit: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO case_events (event_id, case_id, routing_key, producer, occurred_at, correlation_id, unit_code, payload)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(envelope.event_id)
    .bind(envelope.case_id)
    .bind(envelope.routing_key())
    .bind(envelope.producer.as_str())
    .bind(envelope.occurred_at)
    .bind(envelope.correlation_id)
    .bind(unit)
    .bind(&envelope.payload)
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl EventHandler for SupervisionEvents {
    fn name(&self) -> &'static str {
        "supervision"
    }

    async fn handle(
        &self,
        conn: &mut PgConnection,
        envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        crate::clocks::on_event(conn, &self.calendar, &self.limits, envelope, &event).await?;
        // The statistics rollup updates shared daily rows (the county's, the unit's): it runs last,
        // so that those row locks are held only from here to the commit.
        let for_statistics = event.clone();
        self.apply_event(conn, envelope, event).await?;
        crate::read_models::apply(conn, envelope, &for_statistics).await?;
        Ok(())
    }
}

impl SupervisionEvents {
    async fn apply_event(
        &self,
        conn: &mut PgConnection,
        envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        match event {
            DomainEvent::PetitionRegistered(e) => {
                record_timeline(conn, envelope, Some(&e.registering_unit)).await?;
                sqlx::query("INSERT INTO case_units (case_id, unit_code) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(e.petition_id)
                    .bind(&e.registering_unit)
                    .execute(&mut *conn)
                    .await?;
                // The acceptance clock itself was opened, with its timers, by `clocks::on_event`.
                audit::record(
                    conn,
                    &AuditEntry::system(
                        "supervision",
                        "deadline.open",
                        Some(e.petition_id),
                        serde_json::json!({ "kind": "acceptance", "start": e.received_on, "period": self.limits.acceptance_days }),
                    ),
                )
                .await?;
                tracing::info!(case_number = %e.case_number, "acceptance deadline opened");
                Ok(())
            }
            _ => {
                record_timeline(conn, envelope, None).await?;
                Ok(())
            }
        }
    }
}
