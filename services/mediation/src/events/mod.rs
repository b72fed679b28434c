//! Events mediation reacts to: a registered petition (登记) joins its register of cases (with the
//! field, township and respondent unit the mediator suggestion and recusal need); an accepted one
//! (受理) names its handling unit, which may then refer it. The events it publishes are built in
//! [`publish`].

pub mod publish;

use xinfang_contracts::{events::PetitionRegisteredV1, DomainEvent, Envelope};
use xinfang_messaging::{is_registration, EventHandler, HandlerError, UnitOfWork};

use crate::store::cases;

/// The handler of mediation's queue.
pub struct MediationEvents;

/// The handler of mediation's queue.
pub fn handler() -> MediationEvents {
    MediationEvents
}

#[async_trait::async_trait]
impl EventHandler for MediationEvents {
    fn name(&self) -> &'static str {
        "mediation"
    }

    #[tracing::instrument(skip_all, fields(event_type = %envelope.routing_key()))]
    async fn handle(
        &self,
        uow: &mut UnitOfWork<'_>,
        envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        match event {
            DomainEvent::PetitionRegistered(e) => {
                cases::record_registrations(uow.conn(), &[&e]).await?
            }
            DomainEvent::PetitionAccepted(e) => cases::accepted(uow.conn(), &e).await?,
            _ => {}
        }
        Ok(())
    }

    fn batchable(&self, item: &(&Envelope, DomainEvent)) -> bool {
        is_registration(item)
    }

    /// A run of registrations, with one statement.
    async fn handle_together(
        &self,
        uow: &mut UnitOfWork<'_>,
        items: Vec<(&Envelope, DomainEvent)>,
    ) -> Result<(), HandlerError> {
        let events: Vec<&PetitionRegisteredV1> = items
            .iter()
            .filter_map(|(_, e)| match e {
                DomainEvent::PetitionRegistered(e) => Some(e),
                _ => None,
            })
            .collect();
        cases::record_registrations(uow.conn(), &events).await?;
        Ok(())
    }
}
