//! The statistics read model (统计读模型): one row of facts per case (`case_facts`), and the
//! counter delta (new contribution − old contribution) every change to a case's facts makes to the
//! daily rollup `indicator_rollup` per (scope, dimension, value), so that indicator queries read a
//! few thousand rollup rows instead of millions of cases. Adding an event type is a local change: a
//! match arm in `statistics::events` that changes the facts, and its routing key in
//! [`handled_events`] so that the indicators it feeds turn from "not yet measured" to measured.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use uuid::Uuid;
use xinfang_contracts::{events::PetitionRegisteredV1, Event};

/// The five hot fields (五大重点领域) the county watches.
pub const HOT_FIELDS: [&str; 5] = [
    "urban_rural_construction",
    "labour_social_security",
    "agriculture_rural",
    "natural_resources",
    "law_litigation",
];

pub fn field_label_zh(field: &str) -> &str {
    match field {
        "urban_rural_construction" => "城乡建设",
        "labour_social_security" => "劳动保障",
        "agriculture_rural" => "农业农村",
        "natural_resources" => "自然资源",
        "law_litigation" => "涉法涉诉",
        "" => "未分类",
        other => other,
    }
}

/// Routing keys of the events this read model consumes. An indicator is measured when all its
/// source events are here.
pub fn handled_events() -> Vec<String> {
    use xinfang_contracts::events::*;
    vec![
        PetitionRegisteredV1::routing_key(),
        PetitionAcceptedV1::routing_key(),
        PetitionDeclinedV1::routing_key(),
        PetitionBarredV1::routing_key(),
        PetitionTransferredV1::routing_key(),
        PetitionAssignedV1::routing_key(),
        AssignmentAcceptedV1::routing_key(),
        AssignmentObjectedV1::routing_key(),
        RepeatLinkedV1::routing_key(),
        CaseFinalizedV1::routing_key(),
        xinfang_contracts::review::CaseClosedV1::routing_key(),
        xinfang_contracts::notices::MediationConcludedV1::routing_key(),
        xinfang_contracts::satisfaction::SatisfactionRatedV1::routing_key(),
        xinfang_contracts::intake_legal::LegalChannelOverriddenV1::routing_key(),
    ]
}

/// The facts of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFacts {
    pub case_id: Uuid,
    pub case_number: String,
    pub registered_on: NaiveDate,
    pub registering_unit: String,
    /// 责任单位: the unit handling it now (the registering unit until it is handed on).
    pub unit_code: String,
    pub township: String,
    pub field: String,
    pub channel: String,
    pub category: Option<String>,
    pub respondent_unit: Option<String>,
    pub status: String,
    pub decision: Option<String>,
    pub decided_on: Option<NaiveDate>,
    /// The first procedural decision came within the acceptance limit; None while unknown.
    pub accepted_on_time: Option<bool>,
    pub transferred: bool,
    pub assigned: bool,
    pub repeat: bool,
    pub closed_on: Option<NaiveDate>,
    pub closed_on_time: Option<bool>,
    /// `substantive` | `procedural`
    pub closure_kind: Option<String>,
    /// `satisfied` | `basically_satisfied` | `dissatisfied`
    pub satisfaction: Option<String>,
    /// `success` | `failure`
    pub mediation_outcome: Option<String>,
}

/// Counter columns of `indicator_rollup`, in order.
pub const COUNTERS: [&str; 16] = [
    "registered",
    "with_field",
    "hot_field",
    "decided_known",
    "accepted_on_time",
    "repeat",
    "transferred",
    "assigned",
    "closed_known",
    "closed_on_time",
    "substantive",
    "procedural",
    "rated",
    "satisfied",
    "mediated",
    "mediation_success",
];

pub type Counters = [i64; 16];

impl CaseFacts {
    /// This case's contribution to each counter (0 or 1).
    pub fn counters(&self) -> Counters {
        let b = |x: bool| x as i64;
        [
            1,
            b(!self.field.is_empty()),
            b(HOT_FIELDS.contains(&self.field.as_str())),
            b(self.accepted_on_time.is_some()),
            b(self.accepted_on_time == Some(true)),
            b(self.repeat),
            b(self.transferred),
            b(self.assigned),
            b(self.closed_on_time.is_some()),
            b(self.closed_on_time == Some(true)),
            b(self.closure_kind.as_deref() == Some("substantive")),
            b(self.closure_kind.as_deref() == Some("procedural")),
            b(self.satisfaction.is_some()),
            b(matches!(
                self.satisfaction.as_deref(),
                Some("satisfied" | "basically_satisfied")
            )),
            b(self.mediation_outcome.is_some()),
            b(self.mediation_outcome.as_deref() == Some("success")),
        ]
    }

    /// The rollup rows this case counts in: its unit and the county, each by every dimension.
    pub fn keys(&self) -> Vec<RollupKey> {
        let mut keys = Vec::with_capacity(10);
        for scope in [self.unit_code.as_str(), "*"] {
            for (dim, value) in [
                ("all", ""),
                ("unit", self.unit_code.as_str()),
                ("township", self.township.as_str()),
                ("field", self.field.as_str()),
                ("channel", self.channel.as_str()),
            ] {
                keys.push(RollupKey {
                    scope_unit: scope.to_string(),
                    dim: dim.to_string(),
                    day: self.registered_on,
                    dim_value: value.to_string(),
                });
            }
        }
        keys
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RollupKey {
    pub scope_unit: String,
    pub dim: String,
    pub day: NaiveDate,
    pub dim_value: String,
}

/// The rollup change from `old` to `new` facts (either may be absent), without zero rows.
pub fn delta(old: Option<&CaseFacts>, new: Option<&CaseFacts>) -> BTreeMap<RollupKey, Counters> {
    let mut out: BTreeMap<RollupKey, Counters> = BTreeMap::new();
    for (facts, sign) in [(old, -1i64), (new, 1i64)] {
        if let Some(f) = facts {
            let c = f.counters();
            for k in f.keys() {
                let e = out.entry(k).or_insert([0; 16]);
                for (slot, v) in e.iter_mut().zip(c.iter()) {
                    *slot += sign * v;
                }
            }
        }
    }
    out.retain(|_, c| c.iter().any(|v| *v != 0));
    out
}

/// Sum several deltas, dropping rows that net to zero.
pub fn merge(
    deltas: impl IntoIterator<Item = BTreeMap<RollupKey, Counters>>,
) -> BTreeMap<RollupKey, Counters> {
    let mut out: BTreeMap<RollupKey, Counters> = BTreeMap::new();
    for d in deltas {
        for (k, c) in d {
            let e = out.entry(k).or_insert([0; 16]);
            for (slot, v) in e.iter_mut().zip(c.iter()) {
                *slot += v;
            }
        }
    }
    out.retain(|_, c| c.iter().any(|v| *v != 0));
    out
}

/// The facts of a case as its registration makes them.
pub fn registered_facts(e: &PetitionRegisteredV1) -> CaseFacts {
    CaseFacts {
        case_id: e.petition_id,
        case_number: e.case_number.clone(),
        registered_on: e.received_on,
        registering_unit: e.registering_unit.clone(),
        unit_code: e.registering_unit.clone(),
        township: e.township.clone().unwrap_or_default(),
        field: e.field.clone().unwrap_or_default(),
        channel: e.channel.as_str().to_string(),
        category: e.category.map(|c| c.as_str().to_string()),
        respondent_unit: e.respondent_unit.clone(),
        status: "registered".into(),
        decision: None,
        decided_on: None,
        accepted_on_time: None,
        transferred: false,
        assigned: false,
        repeat: false,
        closed_on: None,
        closed_on_time: None,
        closure_kind: None,
        satisfaction: None,
        mediation_outcome: None,
    }
}

/// Statuses in which a case needs nothing more from the county (for progress boards).
pub const CLOSED_STATUSES: [&str; 4] = ["declined", "barred", "finalized", "closed"];

#[cfg(test)]
mod tests {
    use super::*;

    /// A case as its registration makes it (visit, township t1, labour and social security).
    fn facts() -> CaseFacts {
        registered_facts(&PetitionRegisteredV1 {
            case_number: "c".into(),
            received_on: NaiveDate::from_ymd_opt(2025, 3, 3).unwrap(),
            registering_unit: "XFJ".into(),
            channel: xinfang_contracts::events::Channel::Visit,
            township: Some("t1".into()),
            field: Some("labour_social_security".into()),
            ..PetitionRegisteredV1::minimal_defaults()
        })
    }

    #[test]
    fn a_new_case_counts_once_in_each_of_ten_rows() {
        let f = facts();
        let d = delta(None, Some(&f));
        assert_eq!(d.len(), 10);
        assert!(d.values().all(|c| c[0] == 1 && c[2] == 1 && c[3] == 0));
    }

    #[test]
    fn moving_a_case_to_another_unit_moves_its_counters() {
        let old = facts();
        let mut new = old.clone();
        new.unit_code = "RSJ".into();
        new.accepted_on_time = Some(true);
        let d = delta(Some(&old), Some(&new));
        let county_all = RollupKey {
            scope_unit: "*".into(),
            dim: "all".into(),
            day: old.registered_on,
            dim_value: "".into(),
        };
        // The county total keeps its volume and gains an on-time decision.
        assert_eq!(d[&county_all][0], 0);
        assert_eq!(d[&county_all][4], 1);
        let old_unit = RollupKey {
            scope_unit: "XFJ".into(),
            dim: "all".into(),
            day: old.registered_on,
            dim_value: "".into(),
        };
        assert_eq!(d[&old_unit][0], -1);
        let county_by_unit = RollupKey {
            scope_unit: "*".into(),
            dim: "unit".into(),
            day: old.registered_on,
            dim_value: "RSJ".into(),
        };
        assert_eq!(d[&county_by_unit][0], 1);
    }

    #[test]
    fn deltas_of_a_batch_sum_and_rows_that_net_to_zero_go() {
        let a = facts();
        let mut b = a.clone();
        b.unit_code = "140423-B".into();
        b.case_id = uuid::Uuid::now_v7();
        // Register a, register b, then move b back into a's unit: the sum is two cases in a's unit.
        let merged = merge([
            delta(None, Some(&a)),
            delta(None, Some(&b)),
            delta(
                Some(&b),
                Some(&CaseFacts {
                    unit_code: a.unit_code.clone(),
                    ..b.clone()
                }),
            ),
        ]);
        let mut expected = delta(None, Some(&a));
        for c in expected.values_mut() {
            for v in c.iter_mut() {
                *v *= 2;
            }
        }
        assert_eq!(merged, expected);
        assert!(merged
            .keys()
            .all(|k| k.scope_unit != "140423-B" && k.dim_value != "140423-B"));
        assert!(merge([delta(None, Some(&a)), delta(Some(&a), None)]).is_empty());
    }

    #[test]
    fn unchanged_facts_give_no_delta() {
        let f = facts();
        assert!(delta(Some(&f), Some(&f)).is_empty());
    }
}
