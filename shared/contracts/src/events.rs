//! Typed events. Each struct is one `<aggregate>.<event>.v<N>`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope::{ContractError, Envelope, Event, Producer};

/// Channel by which a petition arrived (信访渠道).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 走访 (including group visits 多人走访)
    Visit,
    /// 书信
    Letter,
    /// 电话
    Phone,
    /// 传真
    Fax,
    /// 网上信访
    Online,
    /// 上级转送
    TransferredIn,
    /// 上级交办
    AssignedIn,
}

impl Channel {
    pub const ALL: [Channel; 7] = [
        Channel::Visit,
        Channel::Letter,
        Channel::Phone,
        Channel::Fax,
        Channel::Online,
        Channel::TransferredIn,
        Channel::AssignedIn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Visit => "visit",
            Channel::Letter => "letter",
            Channel::Phone => "phone",
            Channel::Fax => "fax",
            Channel::Online => "online",
            Channel::TransferredIn => "transferred_in",
            Channel::AssignedIn => "assigned_in",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Chinese name for people.
    pub fn label_zh(self) -> &'static str {
        match self {
            Channel::Visit => "走访",
            Channel::Letter => "书信",
            Channel::Phone => "电话",
            Channel::Fax => "传真",
            Channel::Online => "网上信访",
            Channel::TransferredIn => "上级转送",
            Channel::AssignedIn => "上级交办",
        }
    }
}

/// `intake.petition.registered.v1`: a petition was registered at the window (登记).
///
/// Carries ids and the minimum a consumer needs; never identity numbers or phone numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PetitionRegisteredV1 {
    pub petition_id: Uuid,
    /// 信访件编号, e.g. `140423-2025-000123`
    pub case_number: String,
    pub channel: Channel,
    /// Date the bureau received the matter (收到之日); the statutory clocks start here.
    pub received_on: NaiveDate,
    pub registered_at: DateTime<Utc>,
    /// Unit that registered it (登记单位).
    pub registering_unit: String,
    /// 区划代码 of the registering county.
    pub division_code: String,
    /// Number of petitioners (信访人数), > 1 for a group visit.
    pub petitioner_count: u32,
    /// True when the petitioner gave no name (匿名).
    #[serde(default)]
    pub anonymous: bool,
    /// Whether the petitioner left a way to be notified (e.g. a phone), without the value itself.
    #[serde(default)]
    pub contactable: bool,
}

impl Event for PetitionRegisteredV1 {
    const PRODUCER: Producer = Producer::Intake;
    const EVENT_TYPE: &'static str = "petition.registered";
    const VERSION: u16 = 1;
}

/// Every event type this build understands.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainEvent {
    PetitionRegistered(PetitionRegisteredV1),
}

impl DomainEvent {
    /// Decode an envelope into a known event. An unknown type or version is an error that the
    /// consumer dead-letters with its reason.
    pub fn decode(envelope: &Envelope) -> Result<DomainEvent, ContractError> {
        if envelope.is::<PetitionRegisteredV1>() {
            return envelope.decode().map(DomainEvent::PetitionRegistered);
        }
        Err(ContractError::UnknownType {
            producer: envelope.producer.to_string(),
            event_type: envelope.event_type.clone(),
            version: envelope.version,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PetitionRegisteredV1 {
        PetitionRegisteredV1 {
            petition_id: Uuid::now_v7(),
            case_number: "140423-2025-000123".into(),
            channel: Channel::Visit,
            received_on: NaiveDate::from_ymd_opt(2025, 9, 26).unwrap(),
            registered_at: Utc::now(),
            registering_unit: "140423-XFJ".into(),
            division_code: "140423".into(),
            petitioner_count: 1,
            anonymous: false,
            contactable: true,
        }
    }

    #[test]
    fn envelope_round_trips_through_bytes() {
        let event = sample();
        let env = Envelope::new(&event, Some(event.petition_id), None, None);
        assert_eq!(env.correlation_id, env.event_id);
        assert_eq!(env.routing_key(), "intake.petition.registered.v1");
        let back = Envelope::from_bytes(&env.to_bytes()).unwrap();
        assert_eq!(back, env);
        match DomainEvent::decode(&back).unwrap() {
            DomainEvent::PetitionRegistered(e) => assert_eq!(e, event),
        }
    }

    #[test]
    fn unknown_fields_are_ignored_for_compatible_additions() {
        let event = sample();
        let mut env = Envelope::new(&event, Some(event.petition_id), None, None);
        env.payload["added_later"] = serde_json::json!("x");
        assert!(DomainEvent::decode(&env).is_ok());
    }

    #[test]
    fn unknown_type_and_version_are_errors() {
        let event = sample();
        let mut env = Envelope::new(&event, None, None, None);
        env.version = 9;
        assert!(matches!(
            DomainEvent::decode(&env),
            Err(ContractError::UnknownType { version: 9, .. })
        ));
        env.version = 1;
        env.event_type = "petition.vanished".into();
        assert!(DomainEvent::decode(&env).is_err());
    }

    #[test]
    fn malformed_payload_is_an_error() {
        let event = sample();
        let mut env = Envelope::new(&event, None, None, None);
        env.payload = serde_json::json!({"petition_id": 5});
        assert!(matches!(
            DomainEvent::decode(&env),
            Err(ContractError::Malformed { .. })
        ));
        assert!(Envelope::from_bytes(b"{not json").is_err());
    }

    #[test]
    fn caused_by_keeps_correlation() {
        let event = sample();
        let first = Envelope::new(&event, Some(event.petition_id), None, None);
        let second = Envelope::caused_by(&event, &first);
        assert_eq!(second.correlation_id, first.correlation_id);
        assert_eq!(second.causation_id, Some(first.event_id));
        assert_eq!(second.case_id, first.case_id);
        assert_ne!(second.event_id, first.event_id);
    }
}
