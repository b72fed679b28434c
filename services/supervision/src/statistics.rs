//! Indicators (统计指标) over the read models, and hot-spot early warning (源头预防预警).
//!
//! An indicator whose source events this build does not consume yet is returned as `null` with
//! `status = "not_yet_measured"`, never as 0.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Row};
use utoipa::ToSchema;

use crate::{
    findings::Question,
    oversight::HotspotSettings,
    read_models::{handled_events, COUNTERS},
};

/// What the figures cover: the county, or one unit (a unit sees itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    County,
    Unit(String),
}

impl Scope {
    pub fn of(actor: &xinfang_platform::Actor) -> Scope {
        if actor.county_wide() {
            Scope::County
        } else {
            Scope::Unit(actor.unit.clone())
        }
    }
    fn rollup_key(&self) -> &str {
        match self {
            Scope::County => "*",
            Scope::Unit(u) => u,
        }
    }
    fn unit(&self) -> Option<&str> {
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
    fn findings_key(self) -> &'static str {
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
pub const CLOSURE_EVENTS: [&str; 1] = ["administrative-review.handling.closed.v1"];
pub const SATISFACTION_EVENTS: [&str; 1] = ["intake.satisfaction.rated.v1"];
pub const MEDIATION_EVENTS: [&str; 1] = ["mediation.case.concluded.v1"];

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
    /// 考核发现 by question (应登记不登记, 应受理不受理, 应办理不办理, 应追责不追责, 应查处不查处)
    pub findings: BTreeMap<String, i64>,
}

// Cannot fail: every name asked for below is one of `COUNTERS`.
#[allow(clippy::expect_used)]
fn indicators_from(c: &[i64; 16], findings: BTreeMap<String, i64>) -> Indicators {
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
        findings,
    }
}

fn empty_findings() -> BTreeMap<String, i64> {
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

pub fn label_of(dim: Dim, key: &str) -> String {
    match dim {
        Dim::Field => crate::read_models::field_label_zh(key).to_string(),
        Dim::Channel => xinfang_contracts::events::Channel::parse(key)
            .map(|c| c.label_zh().to_string())
            .unwrap_or_else(|| key.to_string()),
        _ if key.is_empty() => "未填写".into(),
        _ => key.to_string(),
    }
}

async fn rollup_sums(
    pool: &PgPool,
    scope: &Scope,
    dim: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, [i64; 16])>, sqlx::Error> {
    let sums: Vec<String> = COUNTERS
        .iter()
        .map(|c| format!("sum({c})::int8 AS {c}"))
        .collect();
    let sql = format!(
        "SELECT dim_value, {} FROM indicator_rollup
         WHERE scope_unit = $1 AND dim = $2 AND day BETWEEN $3 AND $4
         GROUP BY dim_value ORDER BY sum(registered) DESC, dim_value",
        sums.join(", ")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(scope.rollup_key())
        .bind(dim)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?;
    rows.into_iter()
        .map(|r| {
            let mut c = [0i64; 16];
            for (i, name) in COUNTERS.iter().enumerate() {
                c[i] = r.try_get(*name)?;
            }
            Ok((r.try_get("dim_value")?, c))
        })
        .collect()
}

/// Findings raised in the period, per group key (or "" for the total).
async fn findings_by(
    pool: &PgPool,
    scope: &Scope,
    dim: Option<Dim>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<String, BTreeMap<String, i64>>, sqlx::Error> {
    let key = dim.map(|d| d.findings_key()).unwrap_or("''");
    let sql = format!(
        "SELECT f.question, {key} AS k, count(*)::int8 AS n FROM findings f
         LEFT JOIN case_facts c ON c.case_id = f.case_id
         WHERE (f.raised_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN $1 AND $2
           AND ($3::text IS NULL OR f.unit_code = $3)
         GROUP BY 1, 2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .bind(scope.unit())
        .fetch_all(pool)
        .await?;
    let mut out: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for r in rows {
        let k: String = r.try_get("k")?;
        let q: String = r.try_get("question")?;
        let n: i64 = r.try_get("n")?;
        *out.entry(k)
            .or_insert_with(empty_findings)
            .entry(q)
            .or_insert(0) += n;
    }
    Ok(out)
}

/// Indicators for cases registered (received) from `from` to `to`, inclusive.
#[tracing::instrument(skip(pool))]
pub async fn indicators(
    pool: &PgPool,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
    group_by: Option<Dim>,
) -> Result<IndicatorReport, sqlx::Error> {
    let total = rollup_sums(pool, scope, "all", from, to)
        .await?
        .into_iter()
        .next()
        .map(|(_, c)| c)
        .unwrap_or([0; 16]);
    let total_findings = findings_by(pool, scope, None, from, to)
        .await?
        .remove("")
        .unwrap_or_else(empty_findings);
    let mut groups = Vec::new();
    if let Some(dim) = group_by {
        let mut f = findings_by(pool, scope, Some(dim), from, to).await?;
        for (key, c) in rollup_sums(pool, scope, dim.as_str(), from, to).await? {
            let findings = f.remove(&key).unwrap_or_else(empty_findings);
            groups.push(Group {
                label: label_of(dim, &key),
                indicators: indicators_from(&c, findings),
                key,
            });
        }
        // Units with findings but no cases registered in the period still show.
        for (key, findings) in f {
            groups.push(Group {
                label: label_of(dim, &key),
                indicators: indicators_from(&[0; 16], findings),
                key,
            });
        }
    }
    Ok(IndicatorReport {
        from,
        to,
        scope: match scope {
            Scope::County => "county".into(),
            Scope::Unit(u) => u.clone(),
        },
        group_by: group_by.map(|d| d.as_str().to_string()),
        total: indicators_from(&total, total_findings),
        groups,
    })
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

/// Hot-spot early warning: field × township whose volume in [from, to] is ≥ ratio × the mean of
/// the previous `baseline_periods` periods of the same length, and ≥ `min_count`.
#[tracing::instrument(skip(pool, settings))]
pub async fn hotspots(
    pool: &PgPool,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
    settings: &HotspotSettings,
) -> Result<HotspotReport, sqlx::Error> {
    let len = (to - from).num_days() + 1;
    let periods = settings.baseline_periods.max(1);
    let baseline_from = from - Duration::days(len * periods);
    let rows = sqlx::query(
        "SELECT field, township,
                count(*) FILTER (WHERE registered_on >= $2)::int8 AS current,
                count(*) FILTER (WHERE registered_on < $2)::int8 AS baseline
         FROM case_facts
         WHERE registered_on BETWEEN $1 AND $3 AND ($4::text IS NULL OR unit_code = $4)
         GROUP BY field, township",
    )
    .bind(baseline_from)
    .bind(from)
    .bind(to)
    .bind(scope.unit())
    .fetch_all(pool)
    .await?;
    let mut hotspots = Vec::new();
    for r in rows {
        let current: i64 = r.try_get("current")?;
        let baseline: i64 = r.try_get("baseline")?;
        let mean = baseline as f64 / periods as f64;
        if current >= settings.min_count && current as f64 >= settings.ratio * mean {
            let field: String = r.try_get("field")?;
            hotspots.push(Hotspot {
                field_label: crate::read_models::field_label_zh(&field).to_string(),
                field,
                township: r.try_get("township")?,
                volume: current,
                baseline_mean: mean,
                ratio: (mean > 0.0).then(|| current as f64 / mean),
            });
        }
    }
    hotspots.sort_by(|a, b| {
        b.volume
            .cmp(&a.volume)
            .then(a.field.cmp(&b.field))
            .then(a.township.cmp(&b.township))
    });
    Ok(HotspotReport {
        from,
        to,
        baseline_from,
        baseline_periods: periods,
        ratio_threshold: settings.ratio,
        min_count: settings.min_count,
        hotspots,
    })
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
        assert_eq!(i.satisfaction_rate.status, "not_yet_measured");
        assert_eq!(i.satisfaction_rate.value, None);
        assert_eq!(i.on_time_closure_rate.status, "not_yet_measured");
        assert_eq!(i.mediation_success_rate.status, "not_yet_measured");
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
