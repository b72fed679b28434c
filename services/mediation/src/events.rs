//! Events mediation reacts to: a registered petition becomes a case it knows.

use sqlx::PgConnection;
use xinfang_contracts::{DomainEvent, Envelope};
use xinfang_messaging::{EventHandler, HandlerError};
use xinfang_platform::case_registry;

pub struct MediationEvents;

#[async_trait::async_trait]
impl EventHandler for MediationEvents {
    fn name(&self) -> &'static str {
        "mediation"
    }

    async fn handle(
        &self,
        conn: &mut PgConnection,
        _envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        match event {
            DomainEvent::PetitionRegistered(e) => {
                case_registry::record(conn, &e).await?;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A batch's registrations with one statement; the other events change nothing here.
    async fn handle_many(
        &self,
        conn: &mut PgConnection,
        items: Vec<(&Envelope, DomainEvent)>,
    ) -> Result<(), HandlerError> {
        case_registry::record_registrations(conn, &items).await?;
        Ok(())
    }
}
