//! Backlog campaigns (专项攻坚, e.g. 百日百件): a set of backlog cases with a target date and a
//! progress board.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Row};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::read_models::CLOSED_STATUSES;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct UnitProgress {
    pub unit: String,
    pub total: i64,
    pub closed: i64,
    pub overdue: i64,
}

/// 进度看板
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Board {
    pub campaign_id: Uuid,
    pub name: String,
    pub target_on: NaiveDate,
    pub as_of: NaiveDate,
    pub days_left: i64,
    pub total: i64,
    /// 已办结 (declined, barred, finalized or closed)
    pub closed: i64,
    /// Not closed and past the target date, or with a statutory deadline past due
    pub overdue: i64,
    pub by_unit: Vec<UnitProgress>,
}

/// The progress of a campaign as of `today`, restricted to `unit` when given.
pub async fn board(
    pool: &PgPool,
    campaign_id: Uuid,
    name: String,
    target_on: NaiveDate,
    today: NaiveDate,
    unit: Option<&str>,
) -> Result<Board, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT f.unit_code AS unit, count(*)::int8 AS total,
                count(*) FILTER (WHERE f.status = ANY($2))::int8 AS closed,
                count(*) FILTER (WHERE NOT (f.status = ANY($2)) AND ($3 > $4 OR EXISTS (
                    SELECT 1 FROM deadlines d WHERE d.case_id = f.case_id AND d.status = 'open' AND d.due_date < $3)))::int8 AS overdue
         FROM campaign_cases cc JOIN case_facts f ON f.case_id = cc.case_id
         WHERE cc.campaign_id = $1 AND ($5::text IS NULL OR f.unit_code = $5)
         GROUP BY f.unit_code ORDER BY f.unit_code",
    )
    .bind(campaign_id)
    .bind(CLOSED_STATUSES.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    .bind(today)
    .bind(target_on)
    .bind(unit)
    .fetch_all(pool)
    .await?;
    let by_unit = rows
        .iter()
        .map(|r| {
            Ok(UnitProgress {
                unit: r.try_get("unit")?,
                total: r.try_get("total")?,
                closed: r.try_get("closed")?,
                overdue: r.try_get("overdue")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Board {
        campaign_id,
        name,
        target_on,
        as_of: today,
        days_left: (target_on - today).num_days(),
        total: by_unit.iter().map(|u| u.total).sum(),
        closed: by_unit.iter().map(|u| u.closed).sum(),
        overdue: by_unit.iter().map(|u| u.overdue).sum(),
        by_unit,
    })
}
