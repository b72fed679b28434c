//! Events notification reacts to: each step that the law says a petitioner or a unit must be
//! told. Every consumed event has its function. Decisions, requests and supervision steps draft
//! their template's notices for the case as notification knows it (`drafts::store`); in a consumer
//! batch the drafts wait for its end, where `drafts::NoticeBatchWriter` renders and stores all of
//! them with one read of the templates and one insert. Registrations carry their case, so
//! `registrations::petitions_registered` remembers the cases of a whole run and stores its
//! receipts with one `store::notices::insert_many`, set-wise.

mod decisions;
mod drafts;
pub use drafts::NoticeBatchWriter;
pub mod publish;
mod registrations;
mod requests;
mod supervision;

use std::sync::Arc;

use xinfang_contracts::{DomainEvent, Envelope};
use xinfang_messaging::{is_registration, EventHandler, HandlerError, UnitOfWork};
use xinfang_platform::audit::AuditExt;

use crate::domain::names::OrganNames;

/// Notification's consumer: the organs' names come from the units directory.
pub struct NotificationEvents {
    pub names: Arc<dyn OrganNames>,
}

#[async_trait::async_trait]
impl EventHandler for NotificationEvents {
    fn name(&self) -> &'static str {
        "notification"
    }

    async fn handle(
        &self,
        uow: &mut UnitOfWork<'_>,
        envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        let names = self.names.as_ref();
        let created = match &event {
            DomainEvent::PetitionRegistered(e) => {
                registrations::petitions_registered(uow.conn(), names, &[(envelope, e)])
                    .await?
                    .into_iter()
                    .sum()
            }
            DomainEvent::PetitionAccepted(e) => {
                decisions::petition_accepted(uow, names, envelope, e).await?
            }
            DomainEvent::PetitionDeclined(e) => {
                decisions::petition_declined(uow, names, envelope, e).await?
            }
            DomainEvent::PetitionBarred(e) => {
                decisions::petition_barred(uow, names, envelope, e).await?
            }
            DomainEvent::PetitionTransferred(e) => {
                decisions::petition_transferred(uow, names, envelope, e).await?
            }
            DomainEvent::PetitionAssigned(e) => {
                decisions::petition_assigned(uow, names, envelope, e).await?
            }
            DomainEvent::AssignmentObjected(e) => {
                decisions::assignment_objected(uow, names, envelope, e).await?
            }
            DomainEvent::SupervisionOrderIssued(e) => {
                supervision::order_issued(uow, names, envelope, e).await?
            }
            DomainEvent::RecommendationIssued(e) => {
                supervision::recommendation_issued(uow, names, envelope, e).await?
            }
            DomainEvent::DeadlineStepReached(e) => {
                supervision::deadline_step_reached(uow, names, envelope, e).await?
            }
            DomainEvent::ReviewNoticeRequested(e) => {
                requests::notice_requested(uow, names, envelope, &e.request).await?
            }
            DomainEvent::MediationNoticeRequested(e) => {
                requests::notice_requested(uow, names, envelope, &e.request).await?
            }
            DomainEvent::IntakeNoticeRequested(e) => {
                requests::notice_requested(uow, names, envelope, &e.request).await?
            }
            DomainEvent::CaseFinalized(e) => {
                crate::archive::events::case_finalized(uow.conn(), envelope, e).await?;
                requests::case_finalized(uow.conn(), e).await?
            }
            DomainEvent::MediationConcluded(e) => {
                requests::mediation_concluded(uow.conn(), e).await?
            }
            _ => 0,
        };
        audit_created(uow, envelope, created).await
    }

    fn batchable(&self, item: &(&Envelope, DomainEvent)) -> bool {
        is_registration(item)
    }

    /// A run of registrations with two statements (their cases, their notices).
    async fn handle_together(
        &self,
        uow: &mut UnitOfWork<'_>,
        run: Vec<(&Envelope, DomainEvent)>,
    ) -> Result<(), HandlerError> {
        let registered: Vec<_> = run
            .iter()
            .filter_map(|(envelope, event)| match event {
                DomainEvent::PetitionRegistered(e) => Some((*envelope, e)),
                _ => None,
            })
            .collect();
        // `batchable` lets only registrations into a run; anything else would be lost here.
        if registered.len() != run.len() {
            return Err(HandlerError::Permanent(
                "a run of registrations holds another event".into(),
            ));
        }
        let created =
            registrations::petitions_registered(uow.conn(), self.names.as_ref(), &registered)
                .await?;
        for ((envelope, _), created) in registered.iter().zip(created) {
            audit_created(uow, envelope, created).await?;
        }
        Ok(())
    }
}

/// The audit record of the notices an event created now, if any (those a batch's writer stores
/// are recorded by it).
async fn audit_created(
    uow: &mut UnitOfWork<'_>,
    envelope: &Envelope,
    created: usize,
) -> Result<(), HandlerError> {
    if created > 0 {
        uow.audit(drafts::created_entry(envelope, created)).await?;
    }
    Ok(())
}
