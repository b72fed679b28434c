//! Events intake reacts to, one function each: the final conclusion of a case by administrative
//! review (`case.finalized.v1`), after which the same facts and reasons are no longer accepted
//! (art 36). [`publish`] builds the events intake publishes.

use xinfang_contracts::{DomainEvent, Envelope};
use xinfang_messaging::{EventHandler, HandlerError, UnitOfWork};

pub mod case_finalized;
pub mod publish;

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
            DomainEvent::CaseFinalized(e) => case_finalized::on_case_finalized(uow, &e).await,
            _ => Ok(()),
        }
    }
}
