//! The events notification publishes: delivery facts (送达) and satisfaction ratings (满意度评价).

use chrono::NaiveDate;
use xinfang_contracts::{
    notices::{NoticeDeliveredV1, NoticeDeliveryFailedV1, NoticeRecipient},
    satisfaction::SatisfactionRatedV1,
    Envelope,
};

use crate::domain::{delivery, Notice};

fn recipient(n: &Notice) -> NoticeRecipient {
    if n.recipient_kind == "unit" {
        NoticeRecipient::Unit
    } else {
        NoticeRecipient::Petitioner
    }
}

/// `notification.notice.delivered.v1`: the notice was served on `on` by `channel`.
pub fn delivered(n: &Notice, channel: &str, on: NaiveDate, proof: Option<String>) -> Envelope {
    let e = NoticeDeliveredV1 {
        notice_id: n.id,
        request_id: n.request_id,
        petition_id: n.case_id,
        case_number: n.case_number.clone(),
        template: n.kind.clone(),
        recipient: recipient(n),
        method: delivery::method(channel).to_string(),
        delivered_on: on,
        proof,
    };
    Envelope::new(&e, Some(n.case_id), None, None)
}

/// `notification.notice.delivery_failed.v1`: every attempt on `channel` failed.
pub fn delivery_failed(n: &Notice, channel: &str, attempts: i32, reason: &str) -> Envelope {
    let e = NoticeDeliveryFailedV1 {
        notice_id: n.id,
        request_id: n.request_id,
        petition_id: n.case_id,
        case_number: n.case_number.clone(),
        template: n.kind.clone(),
        channel: channel.to_string(),
        attempts,
        reason: reason.to_string(),
    };
    Envelope::new(&e, Some(n.case_id), None, None)
}

/// `notification.satisfaction.rated.v1`
pub fn satisfaction_rated(e: &SatisfactionRatedV1) -> Envelope {
    Envelope::new(e, Some(e.petition_id), None, None)
}
