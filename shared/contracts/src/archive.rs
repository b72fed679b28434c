//! The archive (信访档案, decision 0017): notification packages a case some time after it became
//! final, keeps it for its retention period, and destroys it only with a second person's approval.
//! Only facts travel: no content, no personal data.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope::{Event, Producer};

/// `notification.archive.packaged.v1`: a final case's archive package was made and verified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchivePackagedV1 {
    pub petition_id: Uuid,
    pub case_number: String,
    /// The unit that registered the case (登记单位), whose archive it is.
    pub unit: String,
    pub archived_at: DateTime<Utc>,
    /// 保管期限类别, e.g. `permanent`, `long`, `short`.
    pub retention_class: String,
    /// The first day it may be destroyed; none for a permanent class.
    #[serde(default)]
    pub retain_until: Option<NaiveDate>,
    /// SHA-256 (hex) of the package's manifest.
    pub manifest_sha256: String,
    pub files: u32,
}
impl Event for ArchivePackagedV1 {
    const PRODUCER: Producer = Producer::Notification;
    const EVENT_TYPE: &'static str = "archive.packaged";
    const VERSION: u16 = 1;
}

/// `notification.archive.destroyed.v1`: a package's content was destroyed after its retention
/// period, on a request and a second person's approval; its manifest and hashes are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchiveDestroyedV1 {
    pub petition_id: Uuid,
    pub case_number: String,
    pub unit: String,
    pub destroyed_at: DateTime<Utc>,
    pub manifest_sha256: String,
    pub requested_by: String,
    pub approved_by: String,
}
impl Event for ArchiveDestroyedV1 {
    const PRODUCER: Producer = Producer::Notification;
    const EVENT_TYPE: &'static str = "archive.destroyed";
    const VERSION: u16 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DomainEvent, Envelope};

    #[test]
    fn archive_events_round_trip_under_notifications_keys() {
        let e = ArchivePackagedV1 {
            petition_id: Uuid::now_v7(),
            case_number: "140423-2026-000001".into(),
            unit: "140423-XFJ".into(),
            archived_at: Utc::now(),
            retention_class: "long".into(),
            retain_until: NaiveDate::from_ymd_opt(2056, 12, 1),
            manifest_sha256: "00".repeat(32),
            files: 4,
        };
        let env = Envelope::new(&e, Some(e.petition_id), None, None);
        assert_eq!(env.routing_key(), "notification.archive.packaged.v1");
        assert_eq!(
            DomainEvent::decode(&env).unwrap(),
            DomainEvent::ArchivePackaged(e)
        );
    }
}
