//! Supervision consumes every event: each goes on the case timeline, some open or close deadlines,
//! and the case events feed the statistics. The handler dispatches each event to the function of
//! every feature it concerns, in this order: clocks, timeline, statistics.

use xinfang_contracts::{events::PetitionRegisteredV1, DomainEvent, Envelope};
use xinfang_messaging::{is_registration, EventHandler, HandlerError, UnitOfWork};

use crate::{
    configuration::Limits,
    deadlines::{
        domain::calendar::{current, SharedCalendar},
        events as deadlines,
    },
    mediation::events as mediation,
    statistics::events as statistics,
    timeline::events as timeline,
};

/// The supervision service's event handler (督查督办事件处理).
pub struct SupervisionEvents {
    pub calendar: SharedCalendar,
    pub limits: Limits,
}

#[async_trait::async_trait]
impl EventHandler for SupervisionEvents {
    fn name(&self) -> &'static str {
        "supervision"
    }

    #[tracing::instrument(skip_all, fields(event_type = %envelope.routing_key()))]
    async fn handle(
        &self,
        uow: &mut UnitOfWork<'_>,
        envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        deadlines::on_event(uow, &self.calendar, &self.limits, envelope, &event).await?;
        let calendar = current(&self.calendar);
        mediation::on_event(uow, calendar.as_ref(), &self.limits, envelope, &event).await?;
        timeline::on_event(uow, envelope, &event).await?;
        // The statistics rollup updates shared daily rows (the county's, the unit's): it runs last,
        // so that those row locks are held only from here to the commit.
        statistics::apply(uow, envelope, &event).await?;
        Ok(())
    }

    fn batchable(&self, item: &(&Envelope, DomainEvent)) -> bool {
        is_registration(item)
    }

    /// A run of registrations set-wise: their clocks with one statement, their case facts with
    /// another (timeline rows, case units, audit rows and rollup deltas are written at the end of
    /// the batch as always).
    #[tracing::instrument(skip_all, fields(registrations = run.len()))]
    async fn handle_together(
        &self,
        uow: &mut UnitOfWork<'_>,
        run: Vec<(&Envelope, DomainEvent)>,
    ) -> Result<(), HandlerError> {
        let registered: Vec<(&Envelope, &PetitionRegisteredV1)> = run
            .iter()
            .filter_map(|(envelope, event)| match event {
                DomainEvent::PetitionRegistered(e) => Some((*envelope, e)),
                _ => None,
            })
            .collect();
        let calendar = current(&self.calendar);
        deadlines::open_registrations(uow, calendar.as_ref(), &self.limits, &registered).await?;
        for (envelope, event) in &run {
            timeline::on_event(uow, envelope, event).await?;
        }
        let events: Vec<&PetitionRegisteredV1> = registered.iter().map(|(_, e)| *e).collect();
        statistics::apply_registrations(uow, &events).await?;
        Ok(())
    }
}
