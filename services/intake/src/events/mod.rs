//! Events intake reacts to: the final conclusion of a case by administrative review
//! (`case.finalized.v1`), after which the same facts and reasons are no longer accepted (art 36).

use serde_json::json;
use xinfang_contracts::{DomainEvent, Envelope};
use xinfang_messaging::{EventHandler, HandlerError, UnitOfWork};
use xinfang_platform::audit::{AuditEntry, AuditExt};

pub struct IntakeEvents;

#[async_trait::async_trait]
impl EventHandler for IntakeEvents {
    fn name(&self) -> &'static str {
        "intake"
    }

    async fn handle(
        &self,
        uow: &mut UnitOfWork<'_>,
        _envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        match event {
            DomainEvent::CaseFinalized(e) => {
                let n = sqlx::query(
                    "UPDATE petitions SET finalized_on = $2, final_level = $3 WHERE id = $1",
                )
                .bind(e.petition_id)
                .bind(e.concluded_on)
                .bind(&e.level)
                .execute(uow.conn())
                .await?
                .rows_affected();
                if n == 0 {
                    tracing::warn!(petition_id = %e.petition_id, "finalized case unknown to intake");
                }
                uow.audit(AuditEntry::system(
                    "intake",
                    "petition.finalized",
                    Some(e.petition_id),
                    json!({ "concluded_on": e.concluded_on, "level": e.level }),
                ))
                .await?;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}
