//! Events notification reacts to: each step that the law says a petitioner or a unit must be told.

use sqlx::PgConnection;
use xinfang_contracts::{DomainEvent, Envelope};
use xinfang_messaging::{handle_each, is_registration, runs, EventHandler, HandlerError, Run};
use xinfang_platform::audit::{self, AuditEntry};

use crate::notices;

pub struct NotificationEvents;

#[async_trait::async_trait]
impl EventHandler for NotificationEvents {
    fn name(&self) -> &'static str {
        "notification"
    }

    async fn handle(
        &self,
        conn: &mut PgConnection,
        envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        let created = notices::record(conn, envelope, &event).await?;
        audit_created(conn, envelope, created).await
    }

    /// Runs of registrations with two statements each (their cases, their notices); every other
    /// event one by one, in its place.
    async fn handle_many(
        &self,
        conn: &mut PgConnection,
        items: Vec<(&Envelope, DomainEvent)>,
    ) -> Result<(), HandlerError> {
        for run in runs(items, is_registration) {
            match run {
                Run::OneByOne(run) => handle_each(self, conn, run).await?,
                Run::Together(run) => {
                    let created = notices::record_many(conn, &run).await?;
                    for ((envelope, _), created) in run.iter().zip(created) {
                        audit_created(conn, envelope, created).await?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The audit record of the notices an event created, if any.
async fn audit_created(
    conn: &mut PgConnection,
    envelope: &Envelope,
    created: usize,
) -> Result<(), HandlerError> {
    if created > 0 {
        audit::record(
            conn,
            &AuditEntry::system(
                "notification",
                "notice.create",
                envelope.case_id,
                serde_json::json!({ "event": envelope.routing_key(), "notices": created }),
            ),
        )
        .await?;
        tracing::info!(event = %envelope.routing_key(), case_id = ?envelope.case_id, created, "notices recorded");
    }
    Ok(())
}
