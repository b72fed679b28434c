//! Events mediation reacts to: a registered petition becomes a case it knows.

use xinfang_contracts::{DomainEvent, Envelope};
use xinfang_messaging::{EventHandler, HandlerError, UnitOfWork};
use xinfang_platform::case_registry;

pub struct MediationEvents;

#[async_trait::async_trait]
impl EventHandler for MediationEvents {
    fn name(&self) -> &'static str {
        "mediation"
    }

    async fn handle(
        &self,
        uow: &mut UnitOfWork<'_>,
        _envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        match event {
            DomainEvent::PetitionRegistered(e) => {
                case_registry::record(uow.conn(), &e).await?;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Every event goes with its neighbours: the other events change nothing here, so a whole
    /// batch is one run, written with one statement.
    fn batchable(&self, _item: &(&Envelope, DomainEvent)) -> bool {
        true
    }

    /// A batch's registrations with one statement.
    async fn handle_together(
        &self,
        uow: &mut UnitOfWork<'_>,
        items: Vec<(&Envelope, DomainEvent)>,
    ) -> Result<(), HandlerError> {
        case_registry::record_registrations(uow.conn(), &items).await?;
        Ok(())
    }
}
