//! The read queries behind the indicators, the hot-spot warning and the reports.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use sqlx::PgPool;

use crate::{
    configuration::HotspotSettings,
    oversight::{
        orders::{domain::OrderKind, store as orders_store},
        recommendations::store as recommendations_store,
    },
    statistics::{
        domain::{
            indicators::{
                empty_findings, indicators_from, label_of, Dim, Group, Hotspot, HotspotReport,
                IndicatorReport, Scope,
            },
            read_model::field_label_zh,
            reports::Figures,
        },
        store::{
            overrides,
            rollup::{findings_by, rollup_sums},
        },
    },
};

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
    let total_overrides: i64 = overrides::counts_by(pool, scope.unit(), None, from, to)
        .await?
        .iter()
        .map(|(_, n)| n)
        .sum();
    let mut groups = Vec::new();
    if let Some(dim) = group_by {
        let mut f = findings_by(pool, scope, Some(dim), from, to).await?;
        let mut o: BTreeMap<String, i64> =
            overrides::counts_by(pool, scope.unit(), Some(dim), from, to)
                .await?
                .into_iter()
                .collect();
        for (key, c) in rollup_sums(pool, scope, dim.as_str(), from, to).await? {
            let findings = f.remove(&key).unwrap_or_else(empty_findings);
            let n = o.remove(&key).unwrap_or(0);
            groups.push(Group {
                label: label_of(dim, &key),
                indicators: indicators_from(&c, findings).with_overrides(n),
                key,
            });
        }
        // Units with findings (or overrides) but no cases registered in the period still show.
        for (key, findings) in f {
            let n = o.remove(&key).unwrap_or(0);
            groups.push(Group {
                label: label_of(dim, &key),
                indicators: indicators_from(&[0; 16], findings).with_overrides(n),
                key,
            });
        }
        for (key, n) in o {
            groups.push(Group {
                label: label_of(dim, &key),
                indicators: indicators_from(&[0; 16], empty_findings()).with_overrides(n),
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
        total: indicators_from(&total, total_findings).with_overrides(total_overrides),
        groups,
    })
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
    let rows = sqlx::query_as!(
        VolumeRow,
        "SELECT field, township,
                count(*) FILTER (WHERE registered_on >= $2)::int8 AS \"current!\",
                count(*) FILTER (WHERE registered_on < $2)::int8 AS \"baseline!\"
         FROM case_facts
         WHERE registered_on BETWEEN $1 AND $3 AND ($4::text IS NULL OR unit_code = $4)
         GROUP BY field, township",
        baseline_from,
        from,
        to,
        scope.unit()
    )
    .fetch_all(pool)
    .await?;
    let mut hotspots = Vec::new();
    for r in rows {
        let current = r.current;
        let mean = r.baseline as f64 / periods as f64;
        if current >= settings.min_count && current as f64 >= settings.ratio * mean {
            hotspots.push(Hotspot {
                field_label: field_label_zh(&r.field).to_string(),
                field: r.field,
                township: r.township,
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

/// Cases of a field × township in the period and in the baseline periods.
#[derive(Debug, sqlx::FromRow)]
struct VolumeRow {
    field: String,
    township: String,
    current: i64,
    baseline: i64,
}

/// Respondent units (被反映单位) and their cases.
#[derive(Debug, sqlx::FromRow)]
struct ComplainedRow {
    respondent_unit: String,
    n: i64,
}

/// The figures behind a report.
#[tracing::instrument(skip(pool))]
pub async fn figures(
    pool: &PgPool,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<Figures, sqlx::Error> {
    let unit = match scope {
        Scope::County => None,
        Scope::Unit(u) => Some(u.clone()),
    };
    let complained = sqlx::query_as!(
        ComplainedRow,
        "SELECT respondent_unit AS \"respondent_unit!\", count(*)::int8 AS \"n!\" FROM case_facts
         WHERE registered_on BETWEEN $1 AND $2 AND respondent_unit IS NOT NULL AND ($3::text IS NULL OR unit_code = $3)
         GROUP BY respondent_unit ORDER BY 2 DESC, respondent_unit LIMIT 10",
        from,
        to,
        unit.as_deref()
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.respondent_unit, r.n))
    .collect();
    let order_rows = orders_store::tally(pool, unit.as_deref(), from, to).await?;
    let orders = OrderKind::ALL
        .into_iter()
        .map(|k| {
            let r = order_rows.iter().find(|r| r.kind == k.as_str());
            let figure = |get: fn(&orders_store::OrderTallyRow) -> i64| r.map(get).unwrap_or(0);
            (
                k,
                figure(|r| r.issued),
                figure(|r| r.responded),
                figure(|r| r.late),
            )
        })
        .collect();
    Ok(Figures {
        from,
        to,
        scope: scope.clone(),
        by_field: indicators(pool, scope, from, to, Some(Dim::Field)).await?,
        by_channel: indicators(pool, scope, from, to, Some(Dim::Channel)).await?,
        by_unit: indicators(pool, scope, from, to, Some(Dim::Unit)).await?,
        most_complained: complained,
        orders,
        recommendations: recommendations_store::board_rows(
            pool,
            unit.as_deref(),
            Some((from, to)),
            today,
        )
        .await?,
    })
}
