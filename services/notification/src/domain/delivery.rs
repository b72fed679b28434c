//! Delivery (送达): the state machine of one (notice, channel) and what counts as service.
//!
//! ```text
//! sms, email:  queued → sending → delivered
//!                          └→ retrying (backoff) → sending → … → failed → (retry by hand) queued
//! letter:      awaiting_post → posted (tracking number) → delivered (date of receipt)
//! in_person:   awaiting_handover → delivered (signature date)
//! system:      delivered at once (a unit's inbox)
//! online:      available → delivered (the petitioner opened it in the self-service)
//! ```

use std::time::Duration;

use super::NotificationError;

/// What an operator asks of a delivery (人工操作).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// 手动重试: only a failed SMS or e-mail.
    Retry,
    /// 已交寄: a letter handed to the post, with its tracking number.
    Posted,
    /// 已签收: the post confirms receipt.
    Received,
    /// 当面送达: handed over and signed for.
    HandedOver,
}

impl Action {
    /// The state `action` leads to from `status` on `channel`, or why not.
    pub fn apply(self, channel: &str, status: &str) -> Result<&'static str, NotificationError> {
        let ok = match self {
            Action::Retry => matches!(channel, "sms" | "email") && status == "failed",
            Action::Posted => channel == "letter" && status == "awaiting_post",
            Action::Received => channel == "letter" && status == "posted",
            Action::HandedOver => channel == "in_person" && status == "awaiting_handover",
        };
        if !ok {
            return Err(NotificationError::InvalidTransition {
                channel: channel.to_string(),
                status: status.to_string(),
            });
        }
        Ok(match self {
            Action::Retry => "queued",
            Action::Posted => "posted",
            Action::Received | Action::HandedOver => "delivered",
        })
    }
}

/// The wait before attempt `attempts + 1` after `attempts` failures: doubling from `base`, at most
/// `max`.
pub fn backoff(attempts: i32, base: Duration, max: Duration) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    base.saturating_mul(1u32 << exp).min(max)
}

/// The method a delivery event reports (`NoticeDeliveredV1::method`).
pub fn method(channel: &str) -> &'static str {
    match channel {
        "letter" => "post",
        "in_person" => "in_person",
        _ => "electronic",
    }
}

/// Whether delivery on `channel` serves the notice (送达生效): a document that must be proved served
/// (意见书、告知书) is served by letter, by hand, by e-mail with the document attached, or when the
/// petitioner opens it online; an SMS only tells them it exists.
pub fn serves(channel: &str, needs_proof: bool) -> bool {
    !needs_proof || matches!(channel, "letter" | "in_person" | "email" | "online")
}

/// The SMS text: never the whole document, but where to read it.
pub fn sms_text(title: &str, case_number: &str) -> String {
    format!(
        "您的信访事项（编号{case_number}）有新的文书：{title}。请凭信访件编号和查询码在网上查询并下载。"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let b = Duration::from_secs(30);
        let m = Duration::from_secs(3600);
        assert_eq!(backoff(1, b, m), Duration::from_secs(30));
        assert_eq!(backoff(2, b, m), Duration::from_secs(60));
        assert_eq!(backoff(4, b, m), Duration::from_secs(240));
        assert_eq!(backoff(30, b, m), m);
    }

    #[test]
    fn operators_move_deliveries_only_along_the_machine() {
        assert_eq!(Action::Retry.apply("sms", "failed"), Ok("queued"));
        assert!(Action::Retry.apply("sms", "delivered").is_err());
        assert!(Action::Retry.apply("letter", "failed").is_err());
        assert_eq!(
            Action::Posted.apply("letter", "awaiting_post"),
            Ok("posted")
        );
        assert_eq!(Action::Received.apply("letter", "posted"), Ok("delivered"));
        assert!(Action::Received.apply("letter", "awaiting_post").is_err());
        assert_eq!(
            Action::HandedOver.apply("in_person", "awaiting_handover"),
            Ok("delivered")
        );
    }

    #[test]
    fn an_sms_alone_does_not_serve_a_decision() {
        assert!(!serves("sms", true));
        assert!(serves("sms", false));
        assert!(serves("letter", true) && serves("email", true));
        assert_eq!(method("letter"), "post");
    }
}
