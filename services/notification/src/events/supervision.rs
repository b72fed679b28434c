//! Supervision's orders (督查督办) and deadline steps (临期、到期、超期): each goes to the unit
//! concerned, whatever notification knows of the case.

use sqlx::PgConnection;
use xinfang_contracts::{
    events::{DeadlineStepReachedV1, RecommendationIssuedV1, SupervisionOrderIssuedV1},
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

/// A recommendation about a case (三项建议书) goes to its unit; one about no case stays in
/// supervision's records (notices belong to cases).
pub async fn recommendation_issued(
    conn: &mut PgConnection,
    names: &dyn OrganNames,
    envelope: &Envelope,
    e: &RecommendationIssuedV1,
) -> Result<usize, HandlerError> {
    drafts::store(conn, names, envelope, |_| templates::recommendation(e)).await
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
