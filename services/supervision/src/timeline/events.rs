//! Every consumed event goes on its case's timeline; a registration also lets its registering unit
//! see the case.

use xinfang_contracts::{DomainEvent, Envelope};
use xinfang_messaging::UnitOfWork;

use crate::timeline::store::{self, TimelineRow};

/// Put `envelope` on its case's timeline, with the unit it concerns where the event names one.
pub async fn on_event(
    uow: &mut UnitOfWork<'_>,
    envelope: &Envelope,
    event: &DomainEvent,
) -> Result<(), sqlx::Error> {
    let unit = match event {
        DomainEvent::PetitionRegistered(e) => Some(e.registering_unit.as_str()),
        _ => None,
    };
    let row = TimelineRow {
        event_id: envelope.event_id,
        case_id: envelope.case_id,
        routing_key: envelope.routing_key(),
        producer: envelope.producer.as_str().to_string(),
        occurred_at: envelope.occurred_at,
        correlation_id: envelope.correlation_id,
        unit_code: unit.map(str::to_string),
        payload: envelope.payload.clone(),
    };
    store::record(uow, row).await?;
    if let DomainEvent::PetitionRegistered(e) = event {
        store::add_case_unit(uow, e.petition_id, &e.registering_unit).await?;
    }
    Ok(())
}
