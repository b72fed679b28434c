//! The local register of cases (案件登记副本) that downstream services keep from intake's events, so
//! that they can scope access and show a case without reading intake's tables. One library for every
//! service that keeps such a register: its event handler ([`CaseRegisterEvents`]), its SQL
//! ([`store`]) and its HTTP view ([`api`]).

pub mod api;
pub mod store;

use xinfang_contracts::{DomainEvent, Envelope};
use xinfang_messaging::{EventHandler, HandlerError, UnitOfWork};

pub use api::{configure, get_case, CaseView};
pub use store::{record, record_many, record_registrations};

/// The event handler of a service whose only reaction to events is to keep the register: a
/// registered petition (登记) becomes a case it knows. Every other event changes nothing, so a whole
/// batch is one run, written with one statement.
pub struct CaseRegisterEvents {
    /// The handler's name in `processed_events` (the service's name).
    pub name: &'static str,
}

#[async_trait::async_trait]
impl EventHandler for CaseRegisterEvents {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn handle(
        &self,
        uow: &mut UnitOfWork<'_>,
        _envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        if let DomainEvent::PetitionRegistered(e) = event {
            record(uow.conn(), &e).await?;
        }
        Ok(())
    }

    fn batchable(&self, _item: &(&Envelope, DomainEvent)) -> bool {
        true
    }

    async fn handle_together(
        &self,
        uow: &mut UnitOfWork<'_>,
        items: Vec<(&Envelope, DomainEvent)>,
    ) -> Result<(), HandlerError> {
        record_registrations(uow.conn(), &items).await?;
        Ok(())
    }
}
