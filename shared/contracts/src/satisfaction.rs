//! The petitioner's satisfaction rating (满意度评价, 《信访工作条例》第二十一条), given once per case
//! after it has ended, through notification's self-service. Supervision's satisfaction indicator
//! counts these.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope::{Event, Producer};

/// `notification.satisfaction.rated.v1`: a petitioner rated the handling of a case. The optional
/// comment stays in notification (it may hold personal details); only its presence travels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SatisfactionRatedV1 {
    pub petition_id: Uuid,
    pub case_number: String,
    /// `satisfied` (满意), `basically_satisfied` (基本满意) or `dissatisfied` (不满意).
    pub rating: String,
    pub rated_on: NaiveDate,
    /// The unit that registered the case (登记单位).
    pub registering_unit: String,
    #[serde(default)]
    pub has_comment: bool,
}
impl Event for SatisfactionRatedV1 {
    const PRODUCER: Producer = Producer::Notification;
    const EVENT_TYPE: &'static str = "satisfaction.rated";
    const VERSION: u16 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DomainEvent, Envelope};

    #[test]
    fn a_rating_round_trips_under_notifications_key() {
        let rated = SatisfactionRatedV1 {
            petition_id: Uuid::now_v7(),
            case_number: "140423-2026-000001".into(),
            rating: "basically_satisfied".into(),
            rated_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            registering_unit: "140423-XFJ".into(),
            has_comment: true,
        };
        let env = Envelope::new(&rated, Some(rated.petition_id), None, None);
        assert_eq!(env.routing_key(), "notification.satisfaction.rated.v1");
        assert_eq!(
            DomainEvent::decode(&env).unwrap(),
            DomainEvent::SatisfactionRated(rated)
        );
    }
}
