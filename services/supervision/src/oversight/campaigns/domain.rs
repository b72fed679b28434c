//! The progress board of a backlog campaign (攻坚进度看板).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// One unit's cases in a campaign.
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

impl Board {
    /// The board as of `today`, from the per-unit figures.
    pub fn new(
        campaign_id: Uuid,
        name: String,
        target_on: NaiveDate,
        today: NaiveDate,
        by_unit: Vec<UnitProgress>,
    ) -> Board {
        Board {
            campaign_id,
            name,
            target_on,
            as_of: today,
            days_left: (target_on - today).num_days(),
            total: by_unit.iter().map(|u| u.total).sum(),
            closed: by_unit.iter().map(|u| u.closed).sum(),
            overdue: by_unit.iter().map(|u| u.overdue).sum(),
            by_unit,
        }
    }
}
