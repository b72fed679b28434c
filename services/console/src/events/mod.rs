//! Events (事件): the console publishes `console.unit.changed.v1` and consumes nothing yet.

pub mod unit_changed;

use xinfang_contracts::{DomainEvent, Envelope};
use xinfang_messaging::{EventHandler, HandlerError, UnitOfWork};

/// The console's consumer. Its queue is bound to no routing key, so nothing arrives; an event that
/// did (a manual publish) is acknowledged and ignored.
pub struct ConsoleEvents;

#[async_trait::async_trait]
impl EventHandler for ConsoleEvents {
    fn name(&self) -> &'static str {
        "console"
    }

    async fn handle(
        &self,
        _uow: &mut UnitOfWork<'_>,
        envelope: &Envelope,
        _event: DomainEvent,
    ) -> Result<(), HandlerError> {
        tracing::debug!(event = %envelope.routing_key(), "console ignores consumed events");
        Ok(())
    }
}
