//! `console.unit.changed.v1` (单位变更事件): the whole unit record, for every service's copy.

use chrono::{DateTime, Utc};
use xinfang_contracts::{
    events::{UnitChangedV1, UnitRecordV1},
    Envelope,
};

use sqlx::PgPool;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::audit::{AuditEntry, AuditExt};

use crate::{
    domain::unit::UnitChange,
    store::units::{self, UnitFilter, UnitRow},
};

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

/// Announce every unit again (重新发布单位目录), unchanged, in one transaction: consumers keep a
/// record only when its version is newer than theirs, so a republication never moves a copy back.
/// Returns how many units were announced.
#[tracing::instrument(skip_all, fields(by = %by))]
pub async fn republish_all(
    pool: &PgPool,
    waker: Option<&OutboxWaker>,
    by: &str,
    by_unit: &str,
) -> Result<usize, sqlx::Error> {
    let rows = units::list(pool, &UnitFilter::default()).await?;
    let mut uow = match waker {
        Some(w) => UnitOfWork::begin(pool, w).await?,
        None => UnitOfWork::begin_without_waker(pool).await?,
    };
    let now = Utc::now();
    let events: Vec<Envelope> = rows
        .iter()
        .map(|row| {
            let mut event = unit_changed(row, UnitChange::Republished, now);
            event.changed_by = by.to_string();
            envelope(&event)
        })
        .collect();
    uow.enqueue_many(&events.iter().collect::<Vec<_>>()).await?;
    uow.audit(AuditEntry {
        actor: by.to_string(),
        unit: by_unit.to_string(),
        action: "unit.republished".into(),
        case_id: None,
        details: serde_json::json!({ "units": rows.len() }),
    })
    .await?;
    uow.commit().await?;
    Ok(rows.len())
}
