//! Registrations (登记): the case joins notification's register and the petitioner gets the
//! registration receipt (登记回执), for a whole run with two statements.

use sqlx::PgConnection;
use xinfang_contracts::{events::PetitionRegisteredV1, Envelope};

use crate::domain::{notice, templates, CaseContext, NewNotice};
use crate::store;

/// Remember the cases of a run of registrations and store their receipts. Returns, for each
/// registration in order, how many of its notices were new.
#[tracing::instrument(skip_all, fields(registrations = run.len()))]
pub async fn petitions_registered(
    conn: &mut PgConnection,
    run: &[(&Envelope, &PetitionRegisteredV1)],
) -> Result<Vec<usize>, sqlx::Error> {
    let events: Vec<&PetitionRegisteredV1> = run.iter().map(|(_, e)| *e).collect();
    store::cases::remember(&mut *conn, &events).await?;
    let notices: Vec<NewNotice> = run
        .iter()
        .flat_map(|(envelope, e)| {
            let case = CaseContext::registered(e);
            notice::notices_for(envelope, Some(&case), templates::registration_receipt(e))
        })
        .collect();
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
