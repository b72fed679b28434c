//! Supervision's orders (督查督办) and deadline steps (临期、到期、超期): each goes to the unit
//! concerned, whatever notification knows of the case.

use sqlx::PgConnection;
use xinfang_contracts::{
    events::{DeadlineStepReachedV1, SupervisionOrderIssuedV1},
    Envelope,
};

use super::drafts;
use crate::domain::templates;

pub async fn order_issued(
    conn: &mut PgConnection,
    envelope: &Envelope,
    e: &SupervisionOrderIssuedV1,
) -> Result<usize, sqlx::Error> {
    drafts::store(conn, envelope, |_| templates::supervision_order(e)).await
}

pub async fn deadline_step_reached(
    conn: &mut PgConnection,
    envelope: &Envelope,
    e: &DeadlineStepReachedV1,
) -> Result<usize, sqlx::Error> {
    drafts::store(conn, envelope, |_| templates::deadline_step(e)).await
}
