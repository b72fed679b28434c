use sqlx::PgConnection;
use xinfang_contracts::Envelope;
use xinfang_messaging::HandlerError;

use crate::domain::names::{InForce, OrganNames};
use crate::domain::{notice, CaseContext, NoticeDraft};
use crate::store;

/// Store the notices that `template` drafts from what is known of the event's case, rendered with
/// the templates in force; returns how many were new. An event without a case asks for none, so
/// its template is not consulted.
#[tracing::instrument(skip_all, fields(event = %envelope.routing_key(), case_id = ?envelope.case_id))]
pub async fn store(
    conn: &mut PgConnection,
    names: &dyn OrganNames,
    envelope: &Envelope,
    template: impl FnOnce(Option<&CaseContext>) -> Vec<NoticeDraft>,
) -> Result<usize, HandlerError> {
    let Some(case_id) = envelope.case_id else {
        return Ok(0);
    };
    let case = store::cases::find(&mut *conn, case_id).await?;
    let drafts = template(case.as_ref());
    store_drafts(conn, names, envelope, case.as_ref(), drafts).await
}

/// Render and store drafts already made.
pub async fn store_drafts(
    conn: &mut PgConnection,
    names: &dyn OrganNames,
    envelope: &Envelope,
    case: Option<&CaseContext>,
    drafts: Vec<NoticeDraft>,
) -> Result<usize, HandlerError> {
    if drafts.is_empty() {
        return Ok(0);
    }
    let composer = InForce {
        stored: store::templates::current(&mut *conn).await?,
        names,
    };
    // A template that cannot be filled is a defect of the event (a required field missing): it
    // is dead-lettered with the reason, never stored half-written.
    let notices = notice::notices_for(envelope, case, drafts, &composer)
        .map_err(|e| HandlerError::Permanent(format!("notice template: {e}")))?;
    Ok(store::notices::insert_many(conn, &notices).await?.len())
}
