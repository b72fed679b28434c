//! Storing the notices (告知文书) an event drafts: at once when the event is applied on its own, or,
//! in a consumer batch, together with the batch's other drafts at its end ([`NoticeBatchWriter`]):
//! the templates in force read once, every notice inserted with one statement, and the audit
//! records of the notices that were new written with them.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::PgConnection;
use uuid::Uuid;
use xinfang_contracts::Envelope;
use xinfang_messaging::{BatchWriter, Deferred, HandlerError, UnitOfWork};
use xinfang_platform::audit::AuditEntry;

use crate::domain::names::{InForce, OrganNames};
use crate::domain::{notice, CaseContext, NewNotice, NoticeDraft};
use crate::store;

/// Store the notices that `template` drafts from what is known of the event's case, rendered with
/// the templates in force; returns how many were new now (0 in a batch: the batch's writer stores
/// them and records their audit). An event without a case asks for none, so its template is not
/// consulted.
#[tracing::instrument(skip_all, fields(event = %envelope.routing_key(), case_id = ?envelope.case_id))]
pub async fn store(
    uow: &mut UnitOfWork<'_>,
    names: &dyn OrganNames,
    envelope: &Envelope,
    template: impl FnOnce(Option<&CaseContext>) -> Vec<NoticeDraft>,
) -> Result<usize, HandlerError> {
    let Some(case_id) = envelope.case_id else {
        return Ok(0);
    };
    let case = store::cases::find(uow.conn(), case_id).await?;
    let drafts = template(case.as_ref());
    store_drafts(uow, names, envelope, case.as_ref(), drafts).await
}

/// Render and store drafts already made (see [`store`] for what it returns).
pub async fn store_drafts(
    uow: &mut UnitOfWork<'_>,
    names: &dyn OrganNames,
    envelope: &Envelope,
    case: Option<&CaseContext>,
    drafts: Vec<NoticeDraft>,
) -> Result<usize, HandlerError> {
    if drafts.is_empty() || envelope.case_id.is_none() {
        return Ok(0);
    }
    let pending = PendingDrafts {
        envelope: envelope.clone(),
        case: case.cloned(),
        drafts,
    };
    let Some(pending) = uow.defer_or_keep(pending) else {
        return Ok(0);
    };
    let composer = InForce {
        stored: store::templates::current(uow.conn()).await?,
        names,
    };
    // A template that cannot be filled is a defect of the event (a required field missing): it
    // is dead-lettered with the reason, never stored half-written.
    let (_, notices) = pending
        .render(&composer)
        .map_err(|e| HandlerError::Permanent(format!("notice template: {e}")))?;
    Ok(store::notices::insert_many(uow.conn(), &notices)
        .await?
        .len())
}

/// One event's drafts, left for the end of its batch.
pub struct PendingDrafts {
    envelope: Envelope,
    case: Option<CaseContext>,
    drafts: Vec<NoticeDraft>,
}

impl PendingDrafts {
    /// The notices, and the envelope back for the audit record.
    fn render(
        self,
        composer: &InForce<'_>,
    ) -> Result<(Envelope, Vec<NewNotice>), crate::domain::template::TemplateError> {
        let notices =
            notice::notices_for(&self.envelope, self.case.as_ref(), self.drafts, composer)?;
        Ok((self.envelope, notices))
    }
}

/// The audit record (审计) of the notices an event created.
pub fn created_entry(envelope: &Envelope, created: usize) -> AuditEntry {
    tracing::info!(event = %envelope.routing_key(), case_id = ?envelope.case_id, created, "notices recorded");
    AuditEntry::system(
        "notification",
        "notice.create",
        envelope.case_id,
        serde_json::json!({ "event": envelope.routing_key(), "notices": created }),
    )
}

/// Stores, at the end of a batch of events, the notices its events drafted ([`store_drafts`]):
/// one read of the templates in force, one insert, then the audit records of the events whose
/// notices were new. A draft that cannot be rendered fails the batch, which is then applied one
/// event at a time, where that event alone is dead-lettered with the reason.
pub struct NoticeBatchWriter {
    pub names: Arc<dyn OrganNames>,
}

#[async_trait::async_trait]
impl BatchWriter for NoticeBatchWriter {
    async fn after_batch(
        &self,
        conn: &mut PgConnection,
        deferred: &mut Deferred,
    ) -> Result<(), sqlx::Error> {
        let pending = deferred.take::<PendingDrafts>();
        if pending.is_empty() {
            return Ok(());
        }
        let composer = InForce {
            stored: store::templates::current(&mut *conn).await?,
            names: self.names.as_ref(),
        };
        let mut notices: Vec<NewNotice> = Vec::new();
        let mut envelopes: Vec<Envelope> = Vec::with_capacity(pending.len());
        for p in pending {
            let (envelope, rendered) = p
                .render(&composer)
                .map_err(|e| sqlx::Error::Protocol(format!("notice template: {e}")))?;
            envelopes.push(envelope);
            notices.extend(rendered);
        }
        let mut created: HashMap<Uuid, usize> = HashMap::new();
        for source in store::notices::insert_many(&mut *conn, &notices).await? {
            *created.entry(source).or_default() += 1;
        }
        let entries: Vec<AuditEntry> = envelopes
            .iter()
            .filter_map(|e| created.get(&e.event_id).map(|&n| created_entry(e, n)))
            .collect();
        xinfang_platform::audit::record_many(conn, &entries).await
    }
}
