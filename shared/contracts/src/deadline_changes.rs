//! Changes to a statutory clock made by a person (期限变更): an approved extension (延期), a clock
//! stop (中止计时) or its end (恢复计时). Supervision publishes them so that they appear on the case
//! timeline with who and why, and so that other services can follow.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope::{Event, Producer};

/// `supervision.deadline.changed.v1`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadlineChangedV1 {
    pub deadline_id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    /// The deadline's kind code (e.g. `handling`).
    pub kind: String,
    /// `extend`, `stop` or `resume`.
    pub change: String,
    /// Extension: days added.
    #[serde(default)]
    pub days: Option<u32>,
    /// Stop: first stopped day; resume: unused.
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Stop or resume: last stopped day (inclusive), when known.
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// 理由 / 事由
    #[serde(default)]
    pub reason: Option<String>,
    /// The due date after the change (None while paused).
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    pub unit: String,
    pub by_user: String,
    pub by_unit: String,
}
impl Event for DeadlineChangedV1 {
    const PRODUCER: Producer = Producer::Supervision;
    const EVENT_TYPE: &'static str = "deadline.changed";
    const VERSION: u16 = 1;
}
