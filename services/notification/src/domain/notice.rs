use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;
use xinfang_contracts::Envelope;

use super::catalog::{self, Audience};
use super::document::FormalDocument;
use super::template::{TemplateError, TemplateText};
use super::{CaseContext, NoticeDraft};

/// A notice (告知书、通知) as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    /// The template code, e.g. `registration_receipt` (登记回执), `acceptance_notice` (受理告知书)
    pub kind: String,
    /// `petitioner` or `unit`
    pub recipient_kind: String,
    /// The receiving unit of a notice to a unit.
    pub recipient_unit: Option<String>,
    /// The unit that owns the case (the registering unit).
    pub unit_code: String,
    /// The first channel planned (送达方式); every channel's delivery is in `deliveries`.
    pub channel: String,
    pub title: String,
    pub body: String,
    /// `pending` until one delivery serves it, then `delivered`; `failed` when every channel failed.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub template_version: i32,
    pub request_id: Option<Uuid>,
    pub organ_name: String,
    pub addressee: String,
    pub document_number: Option<String>,
    pub dated_on: NaiveDate,
    pub needs_proof: bool,
}

impl Notice {
    /// The document as printed.
    pub fn document(&self) -> FormalDocument {
        FormalDocument {
            organ_name: self.organ_name.clone(),
            document_number: self.document_number.clone(),
            case_number: self.case_number.clone(),
            title: self.title.clone(),
            addressee: self.addressee.clone(),
            body: self.body.clone(),
            dated_on: self.dated_on,
        }
    }
}

/// A notice to create (待送达通知), rendered from a draft and what is known of its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    pub kind: &'static str,
    pub recipient_kind: &'static str,
    pub recipient_unit: Option<String>,
    pub unit_code: String,
    /// The channels to deliver by (送达渠道), in order; the first is shown as the notice's channel.
    pub channels: Vec<&'static str>,
    pub title: String,
    pub body: String,
    pub source_event_id: Uuid,
    /// One notice per source event (or request) and recipient, however often it is delivered.
    pub dedup_key: String,
    pub template_version: i32,
    pub request_id: Option<Uuid>,
    pub organ_name: String,
    pub addressee: String,
    pub document_number: Option<String>,
    pub dated_on: NaiveDate,
    pub needs_proof: bool,
}

/// The templates in force and the organs' names, as the composer needs them.
pub trait Composer {
    /// The current version of a template and its text.
    fn template(&self, code: &str) -> (i32, TemplateText);
    /// An organ's full Chinese name (单位全称); never the code itself for a unit code.
    fn organ_name(&self, code: &str) -> String;
}

/// The built-in texts (version 1) and names as given: for unit tests and the benchmark.
pub struct BuiltIn<F: Fn(&str) -> String>(pub F);

impl<F: Fn(&str) -> String> Composer for BuiltIn<F> {
    fn template(&self, code: &str) -> (i32, TemplateText) {
        let spec = catalog::find(code);
        (
            1,
            TemplateText {
                title: spec.map(|s| s.title.to_string()).unwrap_or_default(),
                body: spec.map(|s| s.body.to_string()).unwrap_or_default(),
            },
        )
    }
    fn organ_name(&self, code: &str) -> String {
        (self.0)(code)
    }
}

/// The delivery channels of a notice (送达渠道) by its legal form and what is known of the
/// petitioner: a unit reads its inbox in the system; a petitioner always finds it online
/// (self-service), by SMS when reachable (e-mail instead, if intake holds an address the petitioner
/// prefers, decided at send time), by a printed letter when the document must be proved served,
/// and in person when not reachable at all.
pub fn channels_for(
    audience_unit: bool,
    needs_proof: bool,
    contactable: bool,
) -> Vec<&'static str> {
    if audience_unit {
        return vec!["system"];
    }
    let mut out = Vec::new();
    if contactable {
        out.push("sms");
        if needs_proof {
            out.push("letter");
        }
    } else {
        out.push("in_person");
    }
    out.push("online");
    out
}

/// The notices to create for an event's drafts; none for an event without a case. When the case
/// is unknown here (a unit notice about a case registered before this service kept its register),
/// its number and owning unit are taken from the event's payload.
pub fn notices_for(
    envelope: &Envelope,
    case: Option<&CaseContext>,
    drafts: Vec<NoticeDraft>,
    composer: &dyn Composer,
) -> Result<Vec<NewNotice>, TemplateError> {
    let Some(case_id) = envelope.case_id else {
        return Ok(Vec::new());
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
    // A request about a matter that is no petition (a dispute before mediation) is owned by the
    // unit that issues it.
    let owner_unit = case
        .map(|c| c.registering_unit.clone())
        .or_else(|| from_payload("registering_unit"))
        .or_else(|| from_payload("issuing_unit"))
        .unwrap_or_default();
    let contactable = case.is_some_and(|c| c.contactable);
    let mut out = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let Some(spec) = catalog::find(draft.kind) else {
            continue;
        };
        let issuing = draft
            .issuing_unit
            .clone()
            .unwrap_or_else(|| owner_unit.clone());
        let organ_name = composer.organ_name(&issuing);
        // A person named by the request (a dispute's party) is addressed by name.
        let named = draft
            .fields
            .get(xinfang_contracts::notices::templates::ADDRESSEE_FIELD)
            .map(|n| n.trim())
            .filter(|n| !n.is_empty());
        let addressee = match (draft.recipient.unit(), named) {
            (Some(u), _) => composer.organ_name(u),
            (None, Some(name)) => name.to_string(),
            (None, None) => "信访人".to_string(),
        };
        let mut fields: BTreeMap<String, String> = draft
            .fields
            .iter()
            .map(|(k, v)| {
                let v = if catalog::is_unit_field(k) && looks_like_unit_code(v) {
                    composer.organ_name(v)
                } else {
                    v.clone()
                };
                (k.clone(), v)
            })
            .collect();
        fields.insert("case_number".into(), case_number.clone());
        fields.insert("organ_name".into(), organ_name.clone());
        fields.insert("recipient_name".into(), addressee.clone());
        fields.insert(
            "document_number".into(),
            draft.document_number.clone().unwrap_or_default(),
        );
        fields.insert(
            "dated_on".into(),
            draft.dated_on.format("%Y-%m-%d").to_string(),
        );
        let (version, text) = composer.template(draft.kind);
        let rendered = text.render(spec, &fields)?;
        let dedup_key = match draft.request_id {
            Some(r) => format!("request:{r}:{}", draft.recipient.key()),
            None => format!("{}:{}", envelope.event_id, draft.recipient.key()),
        };
        let to_unit = spec.audience == Audience::Unit || draft.recipient.unit().is_some();
        out.push(NewNotice {
            id: Uuid::now_v7(),
            case_id,
            case_number: case_number.clone(),
            kind: spec.code,
            recipient_kind: draft.recipient.kind(),
            recipient_unit: draft.recipient.unit().map(str::to_string),
            unit_code: owner_unit.clone(),
            channels: channels_for(to_unit, spec.needs_proof, contactable),
            title: rendered.title,
            body: rendered.body,
            source_event_id: envelope.event_id,
            dedup_key,
            template_version: version,
            request_id: draft.request_id,
            organ_name,
            addressee,
            document_number: draft.document_number,
            dated_on: draft.dated_on,
            needs_proof: spec.needs_proof,
        });
    }
    Ok(out)
}

/// A unit code of the directory: `<6-digit division>-<suffix>`.
pub fn looks_like_unit_code(v: &str) -> bool {
    let mut parts = v.splitn(2, '-');
    let division = parts.next().unwrap_or_default();
    let suffix = parts.next().unwrap_or_default();
    division.len() == 6
        && division.chars().all(|c| c.is_ascii_digit())
        && !suffix.is_empty()
        && suffix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_follow_the_legal_form_and_reachability() {
        assert_eq!(channels_for(true, true, true), ["system"]);
        assert_eq!(channels_for(false, false, true), ["sms", "online"]);
        assert_eq!(channels_for(false, true, true), ["sms", "letter", "online"]);
        assert_eq!(channels_for(false, true, false), ["in_person", "online"]);
    }

    #[test]
    fn unit_codes_are_recognised() {
        assert!(looks_like_unit_code("140423-RSJ"));
        assert!(looks_like_unit_code("140423-dccwh"));
        assert!(!looks_like_unit_code("襄垣县人社局"));
        assert!(!looks_like_unit_code("2025-10-01"));
    }
}
