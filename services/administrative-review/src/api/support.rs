//! What every handler shares: who may see a case, who may act at its current level, the response
//! of a change.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_platform::{Actor, Role};

use crate::{domain::ReviewError, store::cases::CaseRow};

/// May the caller see a case shared with `units`? The county-wide (bureau, leaders, supervisors)
/// see all; a unit sees the cases it handles, reviews or re-reviews.
pub fn can_see(actor: &Actor) -> impl Fn(&[String]) -> bool + '_ {
    move |units: &[String]| actor.county_wide() || units.iter().any(|u| actor.can_see_unit(u))
}

/// The caller must belong to the organ responsible for the current level (办理 / 复查 / 复核机关).
pub fn ensure_level_unit(actor: &Actor, case: &CaseRow) -> Result<(), ReviewError> {
    if actor.unit != case.level_unit {
        return Err(ReviewError::NotResponsibleUnit);
    }
    Ok(())
}

/// The caller must be the head of `unit` (单位负责人).
pub fn ensure_head_of(actor: &Actor, unit: &str) -> Result<(), ReviewError> {
    if actor.unit != unit || !actor.roles.contains(&Role::UnitHead) {
        return Err(ReviewError::NotUnitHead);
    }
    Ok(())
}

/// The answer to a change: what was created (if anything) and the case's new version.
#[derive(Debug, Serialize, ToSchema)]
pub struct Changed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    pub case_id: Uuid,
    /// 新版本号 (send it with the next change)
    pub version: i32,
}
