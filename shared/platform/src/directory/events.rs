//! The directory's consumer (单位变更消费): every service's event handler is wrapped so that
//! `console.unit.changed.v1` updates the copy in the same transaction as the inbox mark, and every
//! other event goes to the service's own handler unchanged.

use std::sync::Arc;

use xinfang_contracts::{DomainEvent, Envelope};
use xinfang_messaging::{EventHandler, HandlerError, UnitOfWork};

use super::{store, Directory};

/// A service's handler with the directory copy in front of it.
pub struct WithDirectory {
    pub inner: Arc<dyn EventHandler>,
    pub directory: Directory,
}

#[async_trait::async_trait]
impl EventHandler for WithDirectory {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    async fn handle(
        &self,
        uow: &mut UnitOfWork<'_>,
        envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        match event {
            DomainEvent::UnitChanged(changed) => {
                if store::upsert(uow.conn(), &changed.unit).await? {
                    tracing::info!(unit = %changed.unit.code, version = changed.unit.version,
                        change = %changed.change, "units directory copy updated");
                }
                // Monotonic by version: applying before the commit shows nothing a redelivery
                // would not show again.
                self.directory.apply(&changed.unit);
                Ok(())
            }
            other => self.inner.handle(uow, envelope, other).await,
        }
    }

    fn batchable(&self, item: &(&Envelope, DomainEvent)) -> bool {
        !matches!(item.1, DomainEvent::UnitChanged(_)) && self.inner.batchable(item)
    }

    async fn handle_together(
        &self,
        uow: &mut UnitOfWork<'_>,
        items: Vec<(&Envelope, DomainEvent)>,
    ) -> Result<(), HandlerError> {
        self.inner.handle_together(uow, items).await
    }
}
