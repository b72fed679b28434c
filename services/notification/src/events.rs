//! Events notification reacts to: each step that the law says a petitioner or a unit must be told.

use sqlx::PgConnection;
use xinfang_contracts::{DomainEvent, Envelope};
use xinfang_messaging::{EventHandler, HandlerError};
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
            tracing::info!(event = %envelope.routing_key(), created, "notices recorded");
        }
        Ok(())
    }
}
