//! Documents other services ask for (文书送达请求: 延期告知书, 信访处理意见书, 复查/复核意见书, 听证通知,
//! 调解通知, 调解协议书, 办结报告 …), and the case outcomes that close a case for the self-service.

use sqlx::PgConnection;
use xinfang_contracts::{
    events::CaseFinalizedV1,
    notices::{templates as codes, MediationConcludedV1, NoticeRequest},
    Envelope,
};
use xinfang_messaging::{HandlerError, UnitOfWork};

use super::drafts;
use crate::domain::{names::OrganNames, templates};
use crate::store;

/// Render and store a requested document, once per request however often it is redelivered. A
/// request naming an unknown template or lacking a required field is refused (dead-lettered with
/// the reason).
#[tracing::instrument(skip_all, fields(request_id = %r.request_id, template = %r.template))]
pub async fn notice_requested(
    uow: &mut UnitOfWork<'_>,
    names: &dyn OrganNames,
    envelope: &Envelope,
    r: &NoticeRequest,
) -> Result<usize, HandlerError> {
    let case = store::cases::find(uow.conn(), r.petition_id).await?;
    let drafts = templates::requested(r, case.as_ref())
        .map_err(|e| HandlerError::Permanent(format!("notice request refused: {e}")))?;
    if let Some((stage, closed)) = stage_of(&r.template) {
        store::cases::advance(uow.conn(), r.petition_id, stage, r.dated_on, closed).await?;
    }
    // The envelope's case is the petition's, whatever the producer put in it.
    let mut envelope = envelope.clone();
    envelope.case_id = Some(r.petition_id);
    if envelope.payload.get("case_number").is_none() {
        envelope.payload["case_number"] = r.case_number.clone().into();
    }
    drafts::store_drafts(uow, names, &envelope, case.as_ref(), drafts).await
}

/// The stage a requested document marks, and whether the case has then ended at some level
/// (an opinion was given: the petitioner may rate it).
fn stage_of(template: &str) -> Option<(&'static str, bool)> {
    Some(match template {
        codes::EXTENSION_NOTICE => ("extended", false),
        codes::HANDLING_OPINION => ("opinion_issued", true),
        codes::REVIEW_OPINION => ("review_opinion_issued", true),
        codes::RE_REVIEW_OPINION => ("re_review_opinion_issued", true),
        codes::HEARING_NOTICE => ("hearing_scheduled", false),
        codes::MEDIATION_NOTICE => ("mediation", false),
        codes::ASSIGNMENT_ACCEPTANCE_NOTICE => ("accepted", false),
        _ => return None,
    })
}

pub async fn case_finalized(
    conn: &mut PgConnection,
    e: &CaseFinalizedV1,
) -> Result<usize, HandlerError> {
    store::cases::advance(conn, e.petition_id, "finalized", e.concluded_on, true).await?;
    Ok(0)
}

pub async fn mediation_concluded(
    conn: &mut PgConnection,
    e: &MediationConcludedV1,
) -> Result<usize, HandlerError> {
    if e.resolves_petition {
        store::cases::advance(conn, e.petition_id, "mediated", e.concluded_on, true).await?;
    }
    Ok(0)
}
