//! `console.unit.changed.v1` (单位变更事件): the whole unit record, for every service's copy.

use chrono::{DateTime, Utc};
use xinfang_contracts::{
    events::{UnitChangedV1, UnitRecordV1},
    Envelope,
};

use crate::{domain::unit::UnitChange, store::units::UnitRow};

/// The published record of a unit row.
pub fn record(row: &UnitRow) -> UnitRecordV1 {
    UnitRecordV1 {
        code: row.code.clone(),
        division_code: row.division_code.clone(),
        name: row.name.clone(),
        short_name: row.short_name.clone(),
        kind: row.kind.clone(),
        level: row.level.clone(),
        parent_code: row.parent_code.clone(),
        supervisor_code: row.supervisor_code.clone(),
        township_code: row.township_code.clone(),
        active: row.active,
        version: row.version,
    }
}

/// The event of a change (no case: `case_id` is empty).
pub fn unit_changed(row: &UnitRow, change: UnitChange, at: DateTime<Utc>) -> UnitChangedV1 {
    UnitChangedV1 {
        change: change.as_str().to_string(),
        unit: record(row),
        changed_at: at,
        changed_by: row.updated_by.clone(),
    }
}

pub fn envelope(event: &UnitChangedV1) -> Envelope {
    Envelope::new(event, None, None, None)
}
