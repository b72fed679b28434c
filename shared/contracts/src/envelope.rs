use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use uuid::Uuid;

/// The service that produced an event (事件来源服务).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Producer {
    /// 一口受理
    Intake,
    /// 多元解纷
    Mediation,
    /// 行政三级办理
    AdministrativeReview,
    /// 督查督办、监督追责
    Supervision,
    /// 通知送达
    Notification,
    /// 管理控制台: people, the units directory (单位目录), login and token issuing
    Console,
}

impl Producer {
    pub const ALL: [Producer; 6] = [
        Producer::Intake,
        Producer::Mediation,
        Producer::AdministrativeReview,
        Producer::Supervision,
        Producer::Notification,
        Producer::Console,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Producer::Intake => "intake",
            Producer::Mediation => "mediation",
            Producer::AdministrativeReview => "administrative-review",
            Producer::Supervision => "supervision",
            Producer::Notification => "notification",
            Producer::Console => "console",
        }
    }

    pub fn parse(s: &str) -> Option<Producer> {
        Producer::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl std::fmt::Display for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A typed event payload. `EVENT_TYPE` is `<aggregate>.<event>`, e.g. `petition.registered`.
pub trait Event: Serialize + DeserializeOwned {
    const PRODUCER: Producer;
    const EVENT_TYPE: &'static str;
    const VERSION: u16;

    /// `<producer>.<aggregate>.<event>.v<N>`
    fn routing_key() -> String {
        routing_key(Self::PRODUCER, Self::EVENT_TYPE, Self::VERSION)
    }
}

pub fn routing_key(producer: Producer, event_type: &str, version: u16) -> String {
    format!("{}.{}.v{}", producer.as_str(), event_type, version)
}

/// The envelope around every event on the bus (事件信封).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// UUIDv7, unique per event; the consumers' idempotency key.
    pub event_id: Uuid,
    /// `<aggregate>.<event>`
    pub event_type: String,
    pub version: u16,
    pub occurred_at: DateTime<Utc>,
    pub producer: Producer,
    /// The petition (信访件) the event belongs to, when there is one.
    pub case_id: Option<Uuid>,
    /// Follows one petition across services.
    pub correlation_id: Uuid,
    /// The event that caused this one, if any.
    pub causation_id: Option<Uuid>,
    pub payload: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("unknown event type {event_type} v{version} from {producer}")]
    UnknownType {
        producer: String,
        event_type: String,
        version: u16,
    },
    #[error("malformed {what}: {reason}")]
    Malformed { what: String, reason: String },
}

impl Envelope {
    /// Wrap a typed event. `correlation_id` defaults to the new event's id when the event starts a
    /// new chain.
    pub fn new<E: Event>(
        event: &E,
        case_id: Option<Uuid>,
        correlation_id: Option<Uuid>,
        causation_id: Option<Uuid>,
    ) -> Envelope {
        let event_id = Uuid::now_v7();
        Envelope {
            event_id,
            event_type: E::EVENT_TYPE.to_string(),
            version: E::VERSION,
            occurred_at: Utc::now(),
            producer: E::PRODUCER,
            case_id,
            correlation_id: correlation_id.unwrap_or(event_id),
            causation_id,
            // Cannot fail: events are derived `Serialize` structs of strings, numbers, dates, UUIDs,
            // enums and vectors, with no map keyed by anything but strings.
            #[allow(clippy::expect_used)]
            payload: serde_json::to_value(event).expect("event payloads serialize to JSON"),
        }
    }

    /// An event caused by `cause`: same case and correlation, causation = cause's id.
    pub fn caused_by<E: Event>(event: &E, cause: &Envelope) -> Envelope {
        Envelope::new(
            event,
            cause.case_id,
            Some(cause.correlation_id),
            Some(cause.event_id),
        )
    }

    pub fn routing_key(&self) -> String {
        routing_key(self.producer, &self.event_type, self.version)
    }

    pub fn is<E: Event>(&self) -> bool {
        self.producer == E::PRODUCER
            && self.event_type == E::EVENT_TYPE
            && self.version == E::VERSION
    }

    /// Decode the payload as `E`, checking type and version.
    pub fn decode<E: Event>(&self) -> Result<E, ContractError> {
        if !self.is::<E>() {
            return Err(ContractError::Malformed {
                what: "payload".into(),
                reason: format!("expected {}, got {}", E::routing_key(), self.routing_key()),
            });
        }
        serde_json::from_value(self.payload.clone()).map_err(|e| ContractError::Malformed {
            what: self.routing_key(),
            reason: e.to_string(),
        })
    }

    // Cannot fail: the envelope's fields and its payload are already JSON values.
    #[allow(clippy::expect_used)]
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("envelopes serialize to JSON")
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Envelope, ContractError> {
        serde_json::from_slice(bytes).map_err(|e| ContractError::Malformed {
            what: "envelope".into(),
            reason: e.to_string(),
        })
    }
}
