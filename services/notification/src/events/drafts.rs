use sqlx::PgConnection;
use xinfang_contracts::Envelope;

use crate::domain::{notice, CaseContext, NoticeDraft};
use crate::store;

/// Store the notices that `template` drafts from what is known of the event's case; returns how
/// many were new. An event without a case asks for none, so its template is not consulted.
#[tracing::instrument(skip_all, fields(event = %envelope.routing_key(), case_id = ?envelope.case_id))]
pub async fn store(
    conn: &mut PgConnection,
    envelope: &Envelope,
    template: impl FnOnce(Option<&CaseContext>) -> Vec<NoticeDraft>,
) -> Result<usize, sqlx::Error> {
    let Some(case_id) = envelope.case_id else {
        return Ok(0);
    };
    let case = store::cases::find(&mut *conn, case_id).await?;
    let drafts = template(case.as_ref());
    if drafts.is_empty() {
        return Ok(0);
    }
    let notices = notice::notices_for(envelope, case.as_ref(), drafts);
    Ok(store::notices::insert_many(conn, &notices).await?.len())
}
