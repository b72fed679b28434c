use chrono::{DateTime, Utc};
use uuid::Uuid;
use xinfang_contracts::Envelope;

use super::{CaseContext, NoticeDraft};

/// A notice (告知书、通知) as stored: pending until a delivery channel serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    /// e.g. `registration_receipt` (登记回执), `acceptance_notice` (受理告知书)
    pub kind: String,
    /// `petitioner` or `unit`
    pub recipient_kind: String,
    /// The receiving unit of a notice to a unit.
    pub recipient_unit: Option<String>,
    /// The unit that owns the case (the registering unit).
    pub unit_code: String,
    pub channel: String,
    pub title: String,
    pub body: String,
    /// `pending` until delivered
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// A notice to create (待送达通知), from a draft and what is known of its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub case_id: Uuid,
    pub case_number: String,
    pub kind: &'static str,
    pub recipient_kind: &'static str,
    pub recipient_unit: Option<String>,
    pub unit_code: String,
    pub channel: &'static str,
    pub title: String,
    pub body: String,
    pub source_event_id: Uuid,
    /// One notice per source event and recipient, however often the event is delivered.
    pub dedup_key: String,
}

/// The notices to create for an event's drafts; none for an event without a case. When the case
/// is unknown here (a unit notice about a case registered before this service kept its register),
/// its number and owning unit are taken from the event's payload.
pub fn notices_for(
    envelope: &Envelope,
    case: Option<&CaseContext>,
    drafts: Vec<NoticeDraft>,
) -> Vec<NewNotice> {
    let Some(case_id) = envelope.case_id else {
        return Vec::new();
    };
    let from_payload = |field: &str| {
        envelope
            .payload
            .get(field)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let case_number = case
        .map(|c| c.case_number.clone())
        .or_else(|| from_payload("case_number"))
        .unwrap_or_default();
    let owner_unit = case
        .map(|c| c.registering_unit.clone())
        .or_else(|| from_payload("registering_unit"))
        .unwrap_or_default();
    let contactable = case.is_some_and(|c| c.contactable);
    drafts
        .into_iter()
        .map(|draft| NewNotice {
            case_id,
            case_number: case_number.clone(),
            kind: draft.kind,
            recipient_kind: draft.recipient.kind(),
            recipient_unit: draft.recipient.unit().map(str::to_string),
            unit_code: owner_unit.clone(),
            channel: draft.recipient.channel(contactable),
            dedup_key: format!("{}:{}", envelope.event_id, draft.recipient.key()),
            title: draft.title,
            body: draft.body,
            source_event_id: envelope.event_id,
        })
        .collect()
}
