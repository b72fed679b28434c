//! Typed settings (配置): the platform's, and the supervision service's own limits under
//! `supervision.limits`. Every settings type of the crate lives here; the modules that need a limit
//! take it as an argument.

use std::path::Path;

use serde::{Deserialize, Serialize};
use xinfang_platform::{settings, PlatformSettings};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub platform: PlatformSettings,
    pub supervision: SupervisionSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SupervisionSettings {
    /// Directory of the holiday calendars (节假日安排), one `YYYY.json` per year.
    #[serde(default)]
    pub calendar_dir: String,
    #[serde(default)]
    pub limits: Limits,
}

/// Statutory limits (法定时限), national values by default; provinces may set stricter ones.
#[derive(Debug, Clone, Deserialize)]
pub struct Limits {
    /// 《信访工作条例》第二十二条: 15 日 from receipt to register and transfer or assign.
    #[serde(default = "default_acceptance_days")]
    pub acceptance_days: u32,
    /// The other clocks, timer steps and finding thresholds.
    #[serde(flatten, default)]
    pub engine: EngineLimits,
    /// Orders, recommendations and hot-spot thresholds.
    #[serde(default)]
    pub oversight: OversightSettings,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            acceptance_days: default_acceptance_days(),
            engine: Default::default(),
            oversight: Default::default(),
        }
    }
}

fn default_acceptance_days() -> u32 {
    15
}

/// The limits of every clock but acceptance (法定时限), the timer steps (期限提醒), and the finding
/// thresholds (考核发现); all under `supervision.limits` (national defaults; a province may set
/// stricter ones).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct EngineLimits {
    /// 第二十三条第三款: receiving organ's acceptance notice, 15 日.
    pub receipt_notice_days: u32,
    /// 第二十三条第三款: objection by a receiving organ outside its remit, 5 个工作日.
    pub objection_working_days: u32,
    /// 第三十四条: handling opinion within 60 日 of 受理.
    pub handling_days: u32,
    /// 第三十四条: one extension of at most 30 日.
    pub handling_extension_days: u32,
    pub handling_max_extensions: u32,
    /// 简易办理: accept within 3 个工作日.
    pub simple_acceptance_working_days: u32,
    /// 意见书送达期限: an issued opinion should reach the petitioner within this many 日 (practice,
    /// not statute; undelivered after it, a finding).
    pub opinion_delivery_days: u32,
    /// 第三十五条: review may be asked within 30 日 of delivery; the review opinion within 30 日.
    pub review_request_days: u32,
    pub review_days: u32,
    /// 第三十六条: re-review may be asked within 30 日 of delivery; the opinion within 30 日.
    pub re_review_request_days: u32,
    pub re_review_days: u32,
    /// 简易办理: opinion within 10 个工作日.
    pub simple_opinion_working_days: u32,
    /// Warning step (临期预警): working days before the due date.
    pub warning_working_days: u32,
    /// Long-overdue step (严重超期): calendar days after the due date.
    pub long_overdue_days: u32,
    /// 应登记不登记: a logged visit must be registered within this many working days of arrival
    /// (1 = by the end of the next working day).
    pub visit_registration_working_days: u32,
    /// 应追责不追责: days after the long-overdue step within which an accountability case must exist.
    pub accountability_grace_days: u32,
    /// 应查处不查处: days within which reported misconduct must get an accountability case.
    pub investigation_days: u32,
    /// Timer worker: how often it looks for due steps (ms), and how many it fires per transaction.
    pub timer_interval_ms: u64,
    pub timer_batch_size: i64,
    /// How often the calendar directory and table are rescanned for new years (s).
    pub calendar_rescan_secs: u64,
}

impl Default for EngineLimits {
    fn default() -> Self {
        EngineLimits {
            receipt_notice_days: 15,
            objection_working_days: 5,
            handling_days: 60,
            handling_extension_days: 30,
            handling_max_extensions: 1,
            simple_acceptance_working_days: 3,
            opinion_delivery_days: 15,
            review_request_days: 30,
            review_days: 30,
            re_review_request_days: 30,
            re_review_days: 30,
            simple_opinion_working_days: 10,
            warning_working_days: 3,
            long_overdue_days: 30,
            visit_registration_working_days: 1,
            accountability_grace_days: 15,
            investigation_days: 30,
            timer_interval_ms: 5_000,
            timer_batch_size: 500,
            calendar_rescan_secs: 300,
        }
    }
}

/// Settings of the oversight features (督查督办), under `supervision.limits.oversight`; every value
/// has a default so that existing configurations keep working.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OversightSettings {
    /// Working days (工作日) a unit has to answer an order in writing, per kind.
    #[serde(default)]
    pub order_response_days: OrderResponseDays,
    /// Working days a unit has to give written feedback on a recommendation (第四十条第四款).
    #[serde(default = "default_feedback_days")]
    pub recommendation_feedback_days: u32,
    /// How often the escalation worker looks for unanswered orders.
    #[serde(default = "default_escalation_interval")]
    pub escalation_interval_secs: u64,
    /// Hot-spot early warning (源头预防预警).
    #[serde(default)]
    pub hotspot: HotspotSettings,
}

impl Default for OversightSettings {
    fn default() -> Self {
        OversightSettings {
            order_response_days: OrderResponseDays::default(),
            recommendation_feedback_days: default_feedback_days(),
            escalation_interval_secs: default_escalation_interval(),
            hotspot: HotspotSettings::default(),
        }
    }
}

fn default_feedback_days() -> u32 {
    20
}
fn default_escalation_interval() -> u64 {
    60
}

/// Working days to answer an order in writing (书面答复期限), per kind of order.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OrderResponseDays {
    #[serde(default = "five_working_days")]
    pub reminder: u32,
    #[serde(default = "ten_working_days")]
    pub supervision: u32,
    #[serde(default = "five_working_days")]
    pub listed: u32,
    #[serde(default = "ten_working_days")]
    pub interview: u32,
    #[serde(default = "ten_working_days")]
    pub circular: u32,
}

fn five_working_days() -> u32 {
    5
}
fn ten_working_days() -> u32 {
    10
}

impl Default for OrderResponseDays {
    fn default() -> Self {
        OrderResponseDays {
            reminder: five_working_days(),
            supervision: ten_working_days(),
            listed: five_working_days(),
            interview: ten_working_days(),
            circular: ten_working_days(),
        }
    }
}

/// Thresholds of the hot-spot early warning (源头预防预警).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct HotspotSettings {
    /// The period's volume must reach this multiple of the mean of the baseline periods.
    #[serde(default = "default_ratio")]
    pub ratio: f64,
    /// …and at least this many cases.
    #[serde(default = "default_min_count")]
    pub min_count: i64,
    /// Number of preceding periods of the same length that form the baseline.
    #[serde(default = "default_baseline_periods")]
    pub baseline_periods: i64,
}

fn default_ratio() -> f64 {
    2.0
}
fn default_min_count() -> i64 {
    5
}
fn default_baseline_periods() -> i64 {
    3
}

impl Default for HotspotSettings {
    fn default() -> Self {
        HotspotSettings {
            ratio: default_ratio(),
            min_count: default_min_count(),
            baseline_periods: default_baseline_periods(),
        }
    }
}

impl Settings {
    pub fn load() -> anyhow::Result<Settings> {
        let dir = settings::config_dir(Path::new(env!("CARGO_MANIFEST_DIR")));
        Ok(settings::load(&dir)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_configuration_loads_every_limit() {
        let settings = Settings::load().expect("base.yaml loads");
        let limits = settings.supervision.limits;
        assert_eq!(limits.acceptance_days, 15);
        assert_eq!(limits.engine.handling_days, 60);
        assert_eq!(limits.engine.objection_working_days, 5);
        assert_eq!(limits.engine.calendar_rescan_secs, 300);
        let oversight = &limits.oversight;
        assert_eq!(oversight.order_response_days.supervision, 10);
        assert_eq!(oversight.recommendation_feedback_days, 20);
        assert_eq!(oversight.hotspot.baseline_periods, 3);
    }

    #[test]
    fn limits_come_from_configuration_with_national_defaults() {
        let limits: Limits = serde_json::from_value(
            serde_json::json!({ "handling_days": 45, "warning_working_days": 5 }),
        )
        .unwrap();
        assert_eq!(limits.acceptance_days, 15);
        assert_eq!(limits.engine.handling_days, 45);
        assert_eq!(limits.engine.warning_working_days, 5);
        assert_eq!(limits.engine.receipt_notice_days, 15);
    }
}
