//! The envelopes administrative review publishes: its ladder's events (`shared/contracts/src/review.rs`),
//! `administrative-review.case.finalized.v1`, and the notice requests (文书送达请求) for notification.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use uuid::Uuid;
use xinfang_contracts::{
    notices::{NoticeRecipient, NoticeRequest, ReviewNoticeRequestedV1},
    Envelope, Event,
};

/// An envelope of one of this service's events about `case_id`, caused by `cause` when an event
/// led to it (so that the case's correlation is kept).
pub fn envelope<E: Event>(event: &E, case_id: Uuid, cause: Option<&Envelope>) -> Envelope {
    match cause {
        Some(cause) => Envelope::caused_by(event, cause),
        None => Envelope::new(event, Some(case_id), None, None),
    }
}

/// A notice request (文书送达请求): the document `template` with `fields`, for the petitioner or for
/// `recipient_unit`.
#[derive(Debug)]
pub struct Notice<'a> {
    pub case_id: Uuid,
    pub case_number: &'a str,
    pub template: &'static str,
    pub issuing_unit: &'a str,
    pub recipient_unit: Option<&'a str>,
    pub document_number: Option<&'a str>,
    pub dated_on: NaiveDate,
    pub fields: Vec<(&'static str, String)>,
}

impl Notice<'_> {
    /// The request and its envelope.
    pub fn build(self, cause: Option<&Envelope>) -> (Uuid, Envelope) {
        let request_id = Uuid::now_v7();
        let event = ReviewNoticeRequestedV1 {
            request: NoticeRequest {
                request_id,
                petition_id: self.case_id,
                case_number: self.case_number.to_string(),
                template: self.template.to_string(),
                issuing_unit: self.issuing_unit.to_string(),
                recipient: if self.recipient_unit.is_some() {
                    NoticeRecipient::Unit
                } else {
                    NoticeRecipient::Petitioner
                },
                recipient_unit: self.recipient_unit.map(str::to_string),
                document_number: self.document_number.map(str::to_string),
                dated_on: self.dated_on,
                fields: self
                    .fields
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect::<BTreeMap<_, _>>(),
            },
        };
        (request_id, envelope(&event, self.case_id, cause))
    }
}
