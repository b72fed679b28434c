//! The bureau's decisions on a petition (受理、不予受理、不再受理、转送、交办) and a receiving unit's
//! objection: each tells the petitioner and the units concerned.

use sqlx::PgConnection;
use xinfang_contracts::{
    events::{
        AssignmentObjectedV1, PetitionAcceptedV1, PetitionAssignedV1, PetitionBarredV1,
        PetitionDeclinedV1, PetitionTransferredV1,
    },
    Envelope,
};

use super::drafts;
use crate::domain::templates;

pub async fn petition_accepted(
    conn: &mut PgConnection,
    envelope: &Envelope,
    e: &PetitionAcceptedV1,
) -> Result<usize, sqlx::Error> {
    drafts::store(conn, envelope, |case| templates::acceptance(e, case)).await
}

pub async fn petition_declined(
    conn: &mut PgConnection,
    envelope: &Envelope,
    e: &PetitionDeclinedV1,
) -> Result<usize, sqlx::Error> {
    drafts::store(conn, envelope, |case| templates::decline(e, case)).await
}

pub async fn petition_barred(
    conn: &mut PgConnection,
    envelope: &Envelope,
    e: &PetitionBarredV1,
) -> Result<usize, sqlx::Error> {
    drafts::store(conn, envelope, |case| templates::bar(e, case)).await
}

pub async fn petition_transferred(
    conn: &mut PgConnection,
    envelope: &Envelope,
    e: &PetitionTransferredV1,
) -> Result<usize, sqlx::Error> {
    drafts::store(conn, envelope, |case| templates::transfer(e, case)).await
}

pub async fn petition_assigned(
    conn: &mut PgConnection,
    envelope: &Envelope,
    e: &PetitionAssignedV1,
) -> Result<usize, sqlx::Error> {
    drafts::store(conn, envelope, |case| templates::assignment(e, case)).await
}

pub async fn assignment_objected(
    conn: &mut PgConnection,
    envelope: &Envelope,
    e: &AssignmentObjectedV1,
) -> Result<usize, sqlx::Error> {
    drafts::store(conn, envelope, |case| templates::objection(e, case)).await
}
