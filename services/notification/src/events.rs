//! Events notification reacts to: each step that the law says the petitioner must be told of.

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
        match event {
            DomainEvent::PetitionRegistered(e) => {
                if e.anonymous {
                    tracing::info!(case_number = %e.case_number, "anonymous petition: no receipt to send");
                    return Ok(());
                }
                if notices::record_receipt(conn, &e, envelope.event_id).await? {
                    audit::record(
                        conn,
                        &AuditEntry::system(
                            "notification",
                            "notice.create",
                            Some(e.petition_id),
                            serde_json::json!({ "kind": "registration_receipt" }),
                        ),
                    )
                    .await?;
                    tracing::info!(case_number = %e.case_number, "registration receipt recorded");
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}
