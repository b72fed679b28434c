//! Events notification reacts to: each step that the law says a petitioner or a unit must be told.

use xinfang_contracts::{DomainEvent, Envelope};
use xinfang_messaging::{is_registration, EventHandler, HandlerError, UnitOfWork};
use xinfang_platform::audit::{AuditEntry, AuditExt};

use crate::notices;

pub struct NotificationEvents;

#[async_trait::async_trait]
impl EventHandler for NotificationEvents {
    fn name(&self) -> &'static str {
        "notification"
    }

    async fn handle(
        &self,
        uow: &mut UnitOfWork<'_>,
        envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        let created = notices::record(uow.conn(), envelope, &event).await?;
        audit_created(uow, envelope, created).await
    }

    fn batchable(&self, item: &(&Envelope, DomainEvent)) -> bool {
        is_registration(item)
    }

    /// A run of registrations with two statements (their cases, their notices).
    async fn handle_together(
        &self,
        uow: &mut UnitOfWork<'_>,
        run: Vec<(&Envelope, DomainEvent)>,
    ) -> Result<(), HandlerError> {
        let created = notices::record_many(uow.conn(), &run).await?;
        for ((envelope, _), created) in run.iter().zip(created) {
            audit_created(uow, envelope, created).await?;
        }
        Ok(())
    }
}

/// The audit record of the notices an event created, if any.
async fn audit_created(
    uow: &mut UnitOfWork<'_>,
    envelope: &Envelope,
    created: usize,
) -> Result<(), HandlerError> {
    if created > 0 {
        uow.audit(AuditEntry::system(
            "notification",
            "notice.create",
            envelope.case_id,
            serde_json::json!({ "event": envelope.routing_key(), "notices": created }),
        ))
        .await?;
        tracing::info!(event = %envelope.routing_key(), case_id = ?envelope.case_id, created, "notices recorded");
    }
    Ok(())
}
