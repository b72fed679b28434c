//! Administrative review's ladder in figures (行政三级办理指标): opinions issued and delivered per
//! level (意见书送达率), review and re-review requests and late refusals, the outcomes of review and
//! re-review (维持 / 撤销 / 变更 and their rates), and the cases final at each level.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One level's figures.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct LevelFigures {
    pub opinions_issued: i64,
    pub opinions_delivered: i64,
    /// delivered / issued; null with no opinions
    pub delivery_rate: Option<f64>,
    /// Requests for this level (复查 / 复核请求); 0 for handling
    pub requests: i64,
    /// Requests refused as late (逾期不予受理)
    pub late_refusals: i64,
    /// Outcome code → count: handling `support` / `explain` / `reject`; review levels `uphold`
    /// (维持) / `revoke` (撤销) / `modify` (变更)
    pub outcomes: BTreeMap<String, i64>,
    /// Outcome code → share of the level's opinions
    pub outcome_rates: BTreeMap<String, f64>,
    /// Cases that became final at this level (终结)
    pub finalized: i64,
    /// Final opinion's outcome code → cases final at this level on it (终结意见结果)
    pub finalized_outcomes: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReviewLadderReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `county` or the unit code
    pub scope: String,
    pub handling: LevelFigures,
    pub review: LevelFigures,
    pub re_review: LevelFigures,
}

/// Build the report from (fact, level, outcome, count) rows.
pub fn ladder_from(
    from: NaiveDate,
    to: NaiveDate,
    scope: String,
    rows: &[(String, String, Option<String>, i64)],
) -> ReviewLadderReport {
    let mut levels: BTreeMap<&str, LevelFigures> = BTreeMap::new();
    for (fact, level, outcome, n) in rows {
        let key = match level.as_str() {
            "review" => "review",
            "re_review" => "re_review",
            _ => "handling",
        };
        let f = levels.entry(key).or_default();
        match fact.as_str() {
            "opinion_issued" => {
                f.opinions_issued += n;
                if let Some(o) = outcome {
                    *f.outcomes.entry(o.clone()).or_default() += n;
                }
            }
            "opinion_delivered" => f.opinions_delivered += n,
            "requested" => f.requests += n,
            "refused" => f.late_refusals += n,
            "finalized" => {
                f.finalized += n;
                if let Some(o) = outcome {
                    *f.finalized_outcomes.entry(o.clone()).or_default() += n;
                }
            }
            _ => {}
        }
    }
    for f in levels.values_mut() {
        if f.opinions_issued > 0 {
            f.delivery_rate = Some(f.opinions_delivered as f64 / f.opinions_issued as f64);
            f.outcome_rates = f
                .outcomes
                .iter()
                .map(|(k, v)| (k.clone(), *v as f64 / f.opinions_issued as f64))
                .collect();
        }
    }
    ReviewLadderReport {
        from,
        to,
        scope,
        handling: levels.remove("handling").unwrap_or_default(),
        review: levels.remove("review").unwrap_or_default(),
        re_review: levels.remove("re_review").unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_come_from_the_level_own_opinions() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let rows = vec![
            (
                "opinion_issued".into(),
                "review".into(),
                Some("uphold".into()),
                3,
            ),
            (
                "opinion_issued".into(),
                "review".into(),
                Some("revoke".into()),
                1,
            ),
            ("opinion_delivered".into(), "review".into(), None, 2),
            ("requested".into(), "review".into(), None, 5),
            ("refused".into(), "review".into(), None, 1),
            ("finalized".into(), "handling".into(), None, 7),
            (
                "finalized".into(),
                "review".into(),
                Some("uphold".into()),
                2,
            ),
        ];
        let r = ladder_from(d, d, "county".into(), &rows);
        assert_eq!(r.review.opinions_issued, 4);
        assert_eq!(r.review.delivery_rate, Some(0.5));
        assert_eq!(r.review.outcome_rates["uphold"], 0.75);
        assert_eq!(r.review.requests, 5);
        assert_eq!(r.review.late_refusals, 1);
        assert_eq!(r.handling.finalized, 7);
        assert_eq!(r.handling.delivery_rate, None);
        assert_eq!(r.review.finalized, 2);
        assert_eq!(r.review.finalized_outcomes["uphold"], 2);
        assert!(r.handling.finalized_outcomes.is_empty());
    }
}
