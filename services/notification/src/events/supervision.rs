//! Supervision's orders (督查督办) and deadline steps (临期、到期、超期): each goes to the unit
//! concerned, whatever notification knows of the case.

use sqlx::PgConnection;
use xinfang_contracts::{
    events::{DeadlineStepReachedV1, SupervisionOrderIssuedV1},
    Envelope,
};
use xinfang_messaging::HandlerError;

use super::drafts;
use crate::domain::{names::OrganNames, templates};

pub async fn order_issued(
    conn: &mut PgConnection,
    names: &dyn OrganNames,
    envelope: &Envelope,
    e: &SupervisionOrderIssuedV1,
) -> Result<usize, HandlerError> {
    let today = envelope.occurred_at.date_naive();
    drafts::store(conn, names, envelope, |_| {
        templates::supervision_order(e, today)
    })
    .await
}

pub async fn deadline_step_reached(
    conn: &mut PgConnection,
    names: &dyn OrganNames,
    envelope: &Envelope,
    e: &DeadlineStepReachedV1,
) -> Result<usize, HandlerError> {
    let today = envelope.occurred_at.date_naive();
    drafts::store(conn, names, envelope, |_| {
        templates::deadline_step(e, today)
    })
    .await
}
