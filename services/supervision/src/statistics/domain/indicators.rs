//! Indicators (统计指标) and hot-spot early warning (源头预防预警): what each figure means and how
//! it is derived from the rollup's counters.
//!
//! An indicator whose source events this build does not consume yet is returned as `null` with
//! `status = "not_yet_measured"`, never as 0.

use std::collections::BTreeMap;
use xinfang_platform::directory::Directory;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    findings::domain::Question,
    statistics::domain::read_model::{field_label_zh, handled_events, COUNTERS},
};

/// What the figures cover: the county, or one unit (a unit sees itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    County,
    Unit(String),
}

impl Scope {
    pub fn rollup_key(&self) -> &str {
        match self {
            Scope::County => "*",
            Scope::Unit(u) => u,
        }
    }
    pub fn unit(&self) -> Option<&str> {
        match self {
            Scope::County => None,
            Scope::Unit(u) => Some(u),
        }
    }
    pub fn label(&self) -> String {
        match self {
            Scope::County => "全县".into(),
            Scope::Unit(u) => format!("单位 {u}"),
        }
    }
}

/// Dimensions to group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    Unit,
    Township,
    Field,
    Channel,
}

impl Dim {
    pub fn parse(s: &str) -> Option<Dim> {
        match s {
            "unit" => Some(Dim::Unit),
            "township" => Some(Dim::Township),
            "field" => Some(Dim::Field),
            "channel" => Some(Dim::Channel),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Dim::Unit => "unit",
            Dim::Township => "township",
            Dim::Field => "field",
            Dim::Channel => "channel",
        }
    }
    pub fn findings_key(self) -> &'static str {
        match self {
            Dim::Unit => "f.unit_code",
            Dim::Township => "coalesce(c.township, '')",
            Dim::Field => "coalesce(c.field, '')",
            Dim::Channel => "coalesce(c.channel, '')",
        }
    }
}

/// One figure: a value (count or rate in 0..1), how it was obtained, and whether it is measured.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Measure {
    /// null when not yet measured, or a rate with no cases in its denominator
    pub value: Option<f64>,
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
    /// `measured` | `no_cases` | `not_yet_measured`
    pub status: String,
    /// For not-yet-measured figures: the events they wait for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub awaiting_events: Vec<String>,
}

impl Measure {
    fn count(n: i64) -> Measure {
        Measure {
            value: Some(n as f64),
            numerator: None,
            denominator: None,
            status: "measured".into(),
            awaiting_events: vec![],
        }
    }
    fn rate(num: i64, den: i64) -> Measure {
        Measure {
            value: (den > 0).then(|| num as f64 / den as f64),
            numerator: Some(num),
            denominator: Some(den),
            status: if den > 0 { "measured" } else { "no_cases" }.into(),
            awaiting_events: vec![],
        }
    }
    fn absent(awaiting: &[&str]) -> Measure {
        Measure {
            value: None,
            numerator: None,
            denominator: None,
            status: "not_yet_measured".into(),
            awaiting_events: awaiting.iter().map(|s| s.to_string()).collect(),
        }
    }
    pub fn is_measured(&self) -> bool {
        self.status != "not_yet_measured"
    }
}

/// Events that closure, satisfaction and mediation figures will come from (services not built yet).
pub const CLOSURE_EVENTS: [&str; 1] = ["administrative-review.case.closed.v1"];
pub const SATISFACTION_EVENTS: [&str; 1] = ["notification.satisfaction.rated.v1"];
/// `MediationConcludedV1` (调解结束).
pub const MEDIATION_EVENTS: [&str; 1] = ["mediation.mediation.concluded.v1"];

fn measured(sources: &[&str]) -> bool {
    let handled = handled_events();
    sources.iter().all(|s| handled.iter().any(|h| h == s))
}

/// The indicators of one group (or the total).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Indicators {
    /// 信访总量
    pub volume: Measure,
    /// 按期受理率: first procedural decision within the acceptance limit / decisions whose limit is known
    pub on_time_acceptance_rate: Measure,
    /// 按期办结率
    pub on_time_closure_rate: Measure,
    /// 满意率 (满意 + 基本满意) / 评价数
    pub satisfaction_rate: Measure,
    /// 重复信访率
    pub repeat_petition_rate: Measure,
    /// 调解成功率
    pub mediation_success_rate: Measure,
    /// 五大重点领域占比 (cases with a field)
    pub hot_field_share: Measure,
    /// 实体性办结
    pub substantive_closures: Measure,
    /// 程序性办结
    pub procedural_closures: Measure,
    /// 转送
    pub transfers: Measure,
    /// 交办
    pub assignments: Measure,
    /// 偏离法定途径建议: decisions dated in the period that accepted, transferred or assigned a
    /// matter the routing rules sent to a legal channel (with the recorded override reason)
    pub legal_channel_overrides: Measure,
    /// 考核发现 by question (应登记不登记, 应受理不受理, 应办理不办理, 应追责不追责, 应查处不查处)
    pub findings: BTreeMap<String, i64>,
}

// Cannot fail: every name asked for below is one of `COUNTERS`.
#[allow(clippy::expect_used)]
pub fn indicators_from(c: &[i64; 16], findings: BTreeMap<String, i64>) -> Indicators {
    let i = |name: &str| c[COUNTERS.iter().position(|x| *x == name).expect("counter")];
    let closure = measured(&CLOSURE_EVENTS);
    Indicators {
        volume: Measure::count(i("registered")),
        on_time_acceptance_rate: Measure::rate(i("accepted_on_time"), i("decided_known")),
        on_time_closure_rate: if closure {
            Measure::rate(i("closed_on_time"), i("closed_known"))
        } else {
            Measure::absent(&CLOSURE_EVENTS)
        },
        satisfaction_rate: if measured(&SATISFACTION_EVENTS) {
            Measure::rate(i("satisfied"), i("rated"))
        } else {
            Measure::absent(&SATISFACTION_EVENTS)
        },
        repeat_petition_rate: Measure::rate(i("repeat"), i("registered")),
        mediation_success_rate: if measured(&MEDIATION_EVENTS) {
            Measure::rate(i("mediation_success"), i("mediated"))
        } else {
            Measure::absent(&MEDIATION_EVENTS)
        },
        hot_field_share: Measure::rate(i("hot_field"), i("with_field")),
        substantive_closures: if closure {
            Measure::count(i("substantive"))
        } else {
            Measure::absent(&CLOSURE_EVENTS)
        },
        procedural_closures: if closure {
            Measure::count(i("procedural"))
        } else {
            Measure::absent(&CLOSURE_EVENTS)
        },
        transfers: Measure::count(i("transferred")),
        assignments: Measure::count(i("assigned")),
        legal_channel_overrides: Measure::count(0),
        findings,
    }
}

impl Indicators {
    /// With the number of legal-channel overrides of the group.
    pub fn with_overrides(mut self, n: i64) -> Indicators {
        self.legal_channel_overrides = Measure::count(n);
        self
    }
}

pub fn empty_findings() -> BTreeMap<String, i64> {
    Question::ALL
        .iter()
        .map(|q| (q.as_str().to_string(), 0))
        .collect()
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Group {
    /// The unit code, township, field or channel ("" = not recorded)
    pub key: String,
    pub label: String,
    pub indicators: Indicators,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IndicatorReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `county` or the unit code
    pub scope: String,
    pub group_by: Option<String>,
    pub total: Indicators,
    pub groups: Vec<Group>,
}

impl IndicatorReport {
    /// Units by their names for people (单位名称): the labels of a grouping by unit.
    pub fn name_units(&mut self, directory: &Directory) {
        if self.group_by.as_deref() == Some(Dim::Unit.as_str()) {
            for g in &mut self.groups {
                if !g.key.is_empty() {
                    g.label = directory.name_of(&g.key);
                }
            }
        }
    }
}

pub fn label_of(dim: Dim, key: &str) -> String {
    match dim {
        Dim::Field => field_label_zh(key).to_string(),
        Dim::Channel => xinfang_contracts::events::Channel::parse(key)
            .map(|c| c.label_zh().to_string())
            .unwrap_or_else(|| key.to_string()),
        _ if key.is_empty() => "未填写".into(),
        _ => key.to_string(),
    }
}

/// A field × township whose volume jumped against its own baseline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Hotspot {
    pub field: String,
    pub field_label: String,
    pub township: String,
    /// Cases in the period
    pub volume: i64,
    /// Mean of the baseline periods
    pub baseline_mean: f64,
    /// volume / baseline_mean; null when the baseline is 0
    pub ratio: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HotspotReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub baseline_from: NaiveDate,
    pub baseline_periods: i64,
    pub ratio_threshold: f64,
    pub min_count: i64,
    pub hotspots: Vec<Hotspot>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_without_cases_are_not_zero() {
        let m = Measure::rate(0, 0);
        assert_eq!(m.value, None);
        assert_eq!(m.status, "no_cases");
        let m = Measure::rate(3, 4);
        assert_eq!(m.value, Some(0.75));
    }

    #[test]
    fn figures_of_services_not_built_are_absent() {
        let i = indicators_from(&[0; 16], empty_findings());
        // Ratings come from notification's self-service: measured, no cases yet.
        assert_eq!(i.satisfaction_rate.status, "no_cases");
        assert_eq!(i.satisfaction_rate.value, None);
        // Closure is measured since administrative review publishes case.closed.
        assert_eq!(i.on_time_closure_rate.status, "no_cases");
        assert_eq!(i.substantive_closures.status, "measured");
        // Mediation is measured since mediation publishes mediation.concluded.
        assert_eq!(i.mediation_success_rate.status, "no_cases");
        assert!(i.volume.is_measured());
        assert_eq!(i.findings.len(), 5);
    }

    #[test]
    fn dims_parse() {
        assert_eq!(Dim::parse("township"), Some(Dim::Township));
        assert_eq!(Dim::parse("planet"), None);
        assert_eq!(label_of(Dim::Field, "law_litigation"), "涉法涉诉");
        assert_eq!(label_of(Dim::Channel, "visit"), "走访");
    }
}
