//! What the mediation figures mean (调解统计口径).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// 人民调解法 art 33: the parties may apply for judicial confirmation within 30 日 of the agreement
/// taking effect.
pub const JUDICIAL_CONFIRMATION_DAYS: u32 = 30;

/// Dimensions the figures are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediationDim {
    Body,
    Mediator,
    Field,
    Township,
}

impl MediationDim {
    pub fn parse(s: &str) -> Option<MediationDim> {
        match s {
            "body" => Some(MediationDim::Body),
            "mediator" => Some(MediationDim::Mediator),
            "field" => Some(MediationDim::Field),
            "township" => Some(MediationDim::Township),
            _ => None,
        }
    }
    /// The column of `mediation_facts` (a fixed list: never user text).
    pub fn column(self) -> &'static str {
        match self {
            MediationDim::Body => "body_id::text",
            MediationDim::Mediator => "coalesce(mediator_id::text, '')",
            MediationDim::Field => "field",
            MediationDim::Township => "township",
        }
    }
}

/// The counts of one group, as the store sums them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub referrals: i64,
    pub ended: i64,
    pub agreements: i64,
    pub consent_refused: i64,
    pub days_to_agreement: i64,
    pub performed: i64,
    pub not_performed: i64,
}

/// The figures of one group (调解指标).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct MediationFigures {
    /// 引调数
    pub referrals: i64,
    /// 已结束
    pub ended: i64,
    /// 达成协议（书面与口头）
    pub agreements: i64,
    /// 当事人不同意调解
    pub consent_refused: i64,
    /// 调解成功率 = 达成协议 / 已结束 (null when none ended)
    pub success_rate: Option<f64>,
    /// 平均达成协议用时（日）(null when no agreement)
    pub mean_days_to_agreement: Option<f64>,
    /// 履行率 = 已履行 / (已履行 + 未履行) (null when none recorded)
    pub performance_rate: Option<f64>,
    pub performed: i64,
    pub not_performed: i64,
}

impl From<&Counts> for MediationFigures {
    fn from(c: &Counts) -> MediationFigures {
        let rate = |n: i64, d: i64| (d > 0).then(|| n as f64 / d as f64);
        MediationFigures {
            referrals: c.referrals,
            ended: c.ended,
            agreements: c.agreements,
            consent_refused: c.consent_refused,
            success_rate: rate(c.agreements, c.ended),
            mean_days_to_agreement: rate(c.days_to_agreement, c.agreements),
            performance_rate: rate(c.performed, c.performed + c.not_performed),
            performed: c.performed,
            not_performed: c.not_performed,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MediationGroup {
    pub key: String,
    pub figures: MediationFigures,
}

/// The disputes register's figures (源头预防).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct DisputeFigures {
    /// 排查登记的矛盾纠纷
    pub registered: i64,
    /// 化解在信访之前
    pub resolved_before_petition: i64,
}

/// 调解统计: mediations referred in the period, and disputes registered in it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MediationReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `county` or the body's unit
    pub scope: String,
    pub group_by: Option<String>,
    pub total: MediationFigures,
    pub groups: Vec<MediationGroup>,
    pub disputes: DisputeFigures,
}

/// A live mediation whose case's handling period ends soon (调解临近办理期限).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HandlingWarning {
    pub mediation_id: uuid::Uuid,
    pub petition_id: uuid::Uuid,
    pub case_number: String,
    pub body_unit: String,
    pub referred_on: NaiveDate,
    /// 办理期限届满日
    pub handling_due: NaiveDate,
    /// 剩余天数 (negative: already past)
    pub days_left: i64,
    pub message: String,
}

/// A live mediation of a petition with its case's handling due date.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveMediation {
    pub mediation_id: uuid::Uuid,
    pub petition_id: uuid::Uuid,
    pub case_number: String,
    pub body_unit: String,
    pub referred_on: NaiveDate,
    pub handling_due: NaiveDate,
}

impl LiveMediation {
    /// The warning, counted from `today`.
    pub fn warning(self, today: NaiveDate) -> HandlingWarning {
        let days_left = (self.handling_due - today).num_days();
        HandlingWarning {
            mediation_id: self.mediation_id,
            petition_id: self.petition_id,
            case_number: self.case_number,
            body_unit: self.body_unit,
            referred_on: self.referred_on,
            handling_due: self.handling_due,
            days_left,
            message: warning_message(days_left),
        }
    }
}

pub fn warning_message(days_left: i64) -> String {
    if days_left < 0 {
        format!("调解尚未结束，办理期限已超过 {} 日", -days_left)
    } else {
        format!("调解尚未结束，距办理期限届满还有 {days_left} 日，请督促调解组织尽快结案或退回办理")
    }
}

/// A petition's mediation ended (调解结束): its outcome counts in the mediation indicators (a
/// refusal of consent is no mediation). The closure itself (实体性办结 on an agreement) is counted
/// from administrative review's `case.closed`, which it publishes when it acts on this event.
pub fn conclude(
    f: &mut crate::statistics::domain::read_model::CaseFacts,
    e: &xinfang_contracts::notices::MediationConcludedV1,
) {
    match e.outcome.as_str() {
        "consent_refused" => {}
        _ if e.resolves_petition => f.mediation_outcome = Some("success".into()),
        _ => f.mediation_outcome = Some("failure".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_indicator_waits_for_the_event_mediation_publishes() {
        use xinfang_contracts::Event;
        assert_eq!(
            crate::statistics::domain::indicators::MEDIATION_EVENTS[0],
            xinfang_contracts::notices::MediationConcludedV1::routing_key()
        );
    }

    #[test]
    fn figures_without_cases_are_null_not_zero() {
        let f = MediationFigures::from(&Counts::default());
        assert_eq!(f.success_rate, None);
        assert_eq!(f.performance_rate, None);
        let f = MediationFigures::from(&Counts {
            referrals: 4,
            ended: 4,
            agreements: 3,
            days_to_agreement: 12,
            performed: 1,
            not_performed: 1,
            ..Counts::default()
        });
        assert_eq!(f.success_rate, Some(0.75));
        assert_eq!(f.mean_days_to_agreement, Some(4.0));
        assert_eq!(f.performance_rate, Some(0.5));
        assert!(warning_message(-2).contains("已超过 2 日"));
        assert_eq!(
            MediationDim::parse("mediator"),
            Some(MediationDim::Mediator)
        );
        assert_eq!(MediationDim::parse("x"), None);
    }
}
