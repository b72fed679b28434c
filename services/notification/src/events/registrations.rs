//! Registrations (登记): the case joins notification's register and the petitioner gets the
//! registration receipt (登记回执), for a whole run with two statements.

use sqlx::PgConnection;
use xinfang_contracts::{events::PetitionRegisteredV1, Envelope};
use xinfang_messaging::HandlerError;

use crate::domain::names::{InForce, OrganNames};
use crate::domain::{notice, templates, CaseContext, NewNotice};
use crate::store;

/// Remember the cases of a run of registrations and store their receipts. Returns, for each
/// registration in order, how many of its notices were new.
#[tracing::instrument(skip_all, fields(registrations = run.len()))]
pub async fn petitions_registered(
    conn: &mut PgConnection,
    names: &dyn OrganNames,
    run: &[(&Envelope, &PetitionRegisteredV1)],
) -> Result<Vec<usize>, HandlerError> {
    let events: Vec<&PetitionRegisteredV1> = run.iter().map(|(_, e)| *e).collect();
    store::cases::remember(&mut *conn, &events).await?;
    let composer = InForce {
        stored: store::templates::current(&mut *conn).await?,
        names,
    };
    let mut notices: Vec<NewNotice> = Vec::new();
    for (envelope, e) in run {
        let case = CaseContext::registered(e);
        notices.extend(
            notice::notices_for(
                envelope,
                Some(&case),
                templates::registration_receipt(e),
                &composer,
            )
            .map_err(|err| HandlerError::Permanent(format!("notice template: {err}")))?,
        );
    }
    let created = store::notices::insert_many(conn, &notices).await?;
    Ok(run
        .iter()
        .map(|(envelope, _)| {
            created
                .iter()
                .filter(|id| **id == envelope.event_id)
                .count()
        })
        .collect())
}
