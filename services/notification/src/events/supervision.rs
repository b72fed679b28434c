//! Supervision's orders (督查督办) and deadline steps (临期、到期、超期): each goes to the unit
//! concerned, whatever notification knows of the case.

use xinfang_contracts::{
    events::{DeadlineStepReachedV1, RecommendationIssuedV1, SupervisionOrderIssuedV1},
    Envelope,
};
use xinfang_messaging::{HandlerError, UnitOfWork};

use super::drafts;
use crate::domain::{names::OrganNames, templates};

pub async fn order_issued(
    uow: &mut UnitOfWork<'_>,
    names: &dyn OrganNames,
    envelope: &Envelope,
    e: &SupervisionOrderIssuedV1,
) -> Result<usize, HandlerError> {
    let today = xinfang_platform::time::china_date(envelope.occurred_at);
    drafts::store(uow, names, envelope, |_| {
        templates::supervision_order(e, today)
    })
    .await
}

/// A recommendation (三项建议书) goes to the unit it is made to. One about a case is filed with the
/// case; one about no case (a unit's way of working, a policy) is filed under its own reference
/// (`建议-<id>`), owned by the unit that made it, as a dispute's notices are.
pub async fn recommendation_issued(
    uow: &mut UnitOfWork<'_>,
    names: &dyn OrganNames,
    envelope: &Envelope,
    e: &RecommendationIssuedV1,
) -> Result<usize, HandlerError> {
    if envelope.case_id.is_some() {
        return drafts::store(uow, names, envelope, |_| templates::recommendation(e)).await;
    }
    let Some(issuing) = e.issuing_unit.as_deref().filter(|u| !u.is_empty()) else {
        // Written before events named the issuing unit: nobody to sign the letter.
        return Ok(0);
    };
    let filed = caseless(envelope, e.recommendation_id, issuing);
    drafts::store_drafts(uow, names, &filed, None, templates::recommendation(e)).await
}

/// The envelope of a recommendation about no case, filed under its own reference.
fn caseless(envelope: &Envelope, id: uuid::Uuid, issuing_unit: &str) -> Envelope {
    let mut filed = envelope.clone();
    filed.case_id = Some(id);
    if let Some(p) = filed.payload.as_object_mut() {
        p.insert("case_number".into(), format!("建议-{id}").into());
        p.insert("issuing_unit".into(), issuing_unit.into());
    }
    filed
}

pub async fn deadline_step_reached(
    uow: &mut UnitOfWork<'_>,
    names: &dyn OrganNames,
    envelope: &Envelope,
    e: &DeadlineStepReachedV1,
) -> Result<usize, HandlerError> {
    let today = xinfang_platform::time::china_date(envelope.occurred_at);
    drafts::store(uow, names, envelope, |_| templates::deadline_step(e, today)).await
}
