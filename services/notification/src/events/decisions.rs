//! The bureau's decisions on a petition (受理、不予受理、不再受理、转送、交办) and a receiving unit's
//! objection: each tells the petitioner and the units concerned, and moves the case's stage as the
//! self-service shows it.

use xinfang_contracts::{
    events::{
        AssignmentObjectedV1, PetitionAcceptedV1, PetitionAssignedV1, PetitionBarredV1,
        PetitionDeclinedV1, PetitionTransferredV1,
    },
    Envelope,
};
use xinfang_messaging::{HandlerError, UnitOfWork};

use super::drafts;
use crate::domain::{names::OrganNames, templates};
use crate::store;

pub async fn petition_accepted(
    uow: &mut UnitOfWork<'_>,
    names: &dyn OrganNames,
    envelope: &Envelope,
    e: &PetitionAcceptedV1,
) -> Result<usize, HandlerError> {
    store::cases::advance(uow.conn(), e.petition_id, "accepted", e.accepted_on, false).await?;
    drafts::store(uow, names, envelope, |case| templates::acceptance(e, case)).await
}

pub async fn petition_declined(
    uow: &mut UnitOfWork<'_>,
    names: &dyn OrganNames,
    envelope: &Envelope,
    e: &PetitionDeclinedV1,
) -> Result<usize, HandlerError> {
    store::cases::advance(uow.conn(), e.petition_id, "declined", e.decided_on, true).await?;
    drafts::store(uow, names, envelope, |case| templates::decline(e, case)).await
}

pub async fn petition_barred(
    uow: &mut UnitOfWork<'_>,
    names: &dyn OrganNames,
    envelope: &Envelope,
    e: &PetitionBarredV1,
) -> Result<usize, HandlerError> {
    store::cases::advance(uow.conn(), e.petition_id, "barred", e.decided_on, true).await?;
    drafts::store(uow, names, envelope, |case| templates::bar(e, case)).await
}

pub async fn petition_transferred(
    uow: &mut UnitOfWork<'_>,
    names: &dyn OrganNames,
    envelope: &Envelope,
    e: &PetitionTransferredV1,
) -> Result<usize, HandlerError> {
    store::cases::advance(
        uow.conn(),
        e.petition_id,
        "transferred",
        e.decided_on,
        false,
    )
    .await?;
    drafts::store(uow, names, envelope, |case| templates::transfer(e, case)).await
}

pub async fn petition_assigned(
    uow: &mut UnitOfWork<'_>,
    names: &dyn OrganNames,
    envelope: &Envelope,
    e: &PetitionAssignedV1,
) -> Result<usize, HandlerError> {
    store::cases::advance(uow.conn(), e.petition_id, "assigned", e.decided_on, false).await?;
    drafts::store(uow, names, envelope, |case| templates::assignment(e, case)).await
}

pub async fn assignment_objected(
    uow: &mut UnitOfWork<'_>,
    names: &dyn OrganNames,
    envelope: &Envelope,
    e: &AssignmentObjectedV1,
) -> Result<usize, HandlerError> {
    drafts::store(uow, names, envelope, |case| templates::objection(e, case)).await
}
