//! `case.finalized.v1`: administrative review concluded the case (办理终结); intake records it so
//! that the same facts and reasons are barred from then on (art 36 ¶3).

use serde_json::json;
use xinfang_contracts::events::CaseFinalizedV1;
use xinfang_messaging::{HandlerError, UnitOfWork};
use xinfang_platform::audit::{AuditEntry, AuditExt};

use crate::store::petitions::mark_finalized;

#[tracing::instrument(skip_all, fields(case_id = %event.petition_id))]
pub async fn on_case_finalized(
    uow: &mut UnitOfWork<'_>,
    event: &CaseFinalizedV1,
) -> Result<(), HandlerError> {
    // The final opinion (终结所依据的意见书) is kept: a later bar (不再受理) cites it.
    let final_opinion = event
        .final_opinion
        .as_ref()
        .map(serde_json::to_value)
        .transpose()
        .map_err(|e| HandlerError::Permanent(e.to_string()))?;
    let known = mark_finalized(
        uow.conn(),
        event.petition_id,
        event.concluded_on,
        &event.level,
        final_opinion.as_ref(),
    )
    .await?;
    if !known {
        tracing::warn!(petition_id = %event.petition_id, "finalized case unknown to intake");
    }
    uow.audit(AuditEntry::system(
        "intake",
        "petition.finalized",
        Some(event.petition_id),
        json!({ "concluded_on": event.concluded_on, "level": event.level, "final_opinion": final_opinion }),
    ))
    .await?;
    Ok(())
}
