//! Events administrative review reacts to: a registered petition (登记) becomes a case it may
//! handle, review or re-review, in the shared case register.

use xinfang_contracts::{DomainEvent, Envelope};
use xinfang_messaging::{EventHandler, HandlerError, UnitOfWork};
use xinfang_platform::case_registry;

pub struct ReviewEvents;

#[async_trait::async_trait]
impl EventHandler for ReviewEvents {
    fn name(&self) -> &'static str {
        "administrative-review"
    }

    async fn handle(
        &self,
        uow: &mut UnitOfWork<'_>,
        _envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        if let DomainEvent::PetitionRegistered(e) = event {
            case_registry::record(uow.conn(), &e).await?;
        }
        Ok(())
    }

    /// The other events change nothing here, so a whole batch is one run, written with one
    /// statement.
    fn batchable(&self, _item: &(&Envelope, DomainEvent)) -> bool {
        true
    }

    async fn handle_together(
        &self,
        uow: &mut UnitOfWork<'_>,
        items: Vec<(&Envelope, DomainEvent)>,
    ) -> Result<(), HandlerError> {
        case_registry::record_registrations(uow.conn(), &items).await?;
        Ok(())
    }
}
