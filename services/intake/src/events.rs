//! Events intake reacts to. For now none changes intake's state; later issues add the final
//! decisions of administrative review (to bar repeats) and supervision's orders.

use sqlx::PgConnection;
use xinfang_contracts::{DomainEvent, Envelope};
use xinfang_messaging::{EventHandler, HandlerError};

pub struct IntakeEvents;

#[async_trait::async_trait]
impl EventHandler for IntakeEvents {
    fn name(&self) -> &'static str {
        "intake"
    }

    async fn handle(
        &self,
        _conn: &mut PgConnection,
        _envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        match event {
            _ => Ok(()),
        }
    }
}
