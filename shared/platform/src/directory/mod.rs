//! The units directory copy (单位目录副本) every service keeps from `console.unit.changed.v1`.
//!
//! The console owns the directory; each service keeps its own copy (a table and an in-memory
//! snapshot), so that no service calls another to validate a unit code or to show an organ's name.
//! The consumer applies each change in the same transaction as its inbox mark ([`events`]); a
//! worker reloads the snapshot when another replica applied a change ([`refresh`]), so a change is
//! seen by every replica within seconds.
//!
//! - [`Directory::require_active`]: a unit code given to the service must name an active unit
//!   (unknown or retired → [`UnitRefused`], a 422 naming the field).
//! - [`Directory::name_of`]: anything a person reads shows the organ's name, not its code.
//! - [`Directory::parent_of`]: the organ one level above (上一级行政机关), for review (art 35).

pub mod api;
pub mod events;
pub mod store;

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::Duration,
};

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use xinfang_contracts::events::UnitRecordV1;

pub use store::UnitEntry;

/// Why a unit code was refused (单位代码无效).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitRefused {
    /// 单位目录中没有该单位
    #[error("{field}：单位目录中没有单位代码“{code}”")]
    Unknown { field: String, code: String },
    /// 单位已撤销
    #[error("{field}：单位“{name}”（{code}）已撤销，不能再用于新的办理")]
    Retired {
        field: String,
        code: String,
        name: String,
    },
}

impl UnitRefused {
    /// The request field that named the unit.
    pub fn field(&self) -> &str {
        match self {
            UnitRefused::Unknown { field, .. } | UnitRefused::Retired { field, .. } => field,
        }
    }

    /// The refused code.
    pub fn code(&self) -> &str {
        match self {
            UnitRefused::Unknown { code, .. } | UnitRefused::Retired { code, .. } => code,
        }
    }
}

#[derive(Default)]
struct Snapshot {
    units: HashMap<String, UnitEntry>,
    /// Highest `applied_seq` read from the table.
    seq: i64,
}

/// The service's in-memory units directory (单位目录), shared by its HTTP workers, consumer and
/// workers. Cheap to clone.
#[derive(Clone, Default)]
pub struct Directory {
    inner: Arc<RwLock<Snapshot>>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("units", &self.len())
            .finish()
    }
}

impl Directory {
    pub fn new() -> Directory {
        Directory::default()
    }

    fn read<T>(&self, f: impl FnOnce(&Snapshot) -> T) -> T {
        let guard = self.inner.read().unwrap_or_else(|e| e.into_inner());
        f(&guard)
    }

    fn write<T>(&self, f: impl FnOnce(&mut Snapshot) -> T) -> T {
        let mut guard = self.inner.write().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// The unit with `code`, active or retired.
    pub fn get(&self, code: &str) -> Option<UnitEntry> {
        self.read(|s| s.units.get(code).cloned())
    }

    /// Number of units known.
    pub fn len(&self) -> usize {
        self.read(|s| s.units.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every unit known, ordered by code.
    pub fn all(&self) -> Vec<UnitEntry> {
        let mut units: Vec<UnitEntry> = self.read(|s| s.units.values().cloned().collect());
        units.sort_by(|a, b| a.code.cmp(&b.code));
        units
    }

    /// `code` (given in request field `field`) must name an active unit.
    pub fn require_active(&self, field: &str, code: &str) -> Result<UnitEntry, UnitRefused> {
        match self.get(code) {
            Some(unit) if unit.active => Ok(unit),
            Some(unit) => Err(UnitRefused::Retired {
                field: field.to_string(),
                code: code.to_string(),
                name: unit.name,
            }),
            None => Err(UnitRefused::Unknown {
                field: field.to_string(),
                code: code.to_string(),
            }),
        }
    }

    /// As [`Directory::require_active`] for an optional field.
    pub fn require_active_opt(
        &self,
        field: &str,
        code: Option<&str>,
    ) -> Result<Option<UnitEntry>, UnitRefused> {
        code.map(|c| self.require_active(field, c)).transpose()
    }

    /// `code` must name a unit the directory knows, active or retired (a filter over past cases).
    pub fn require_known(&self, field: &str, code: &str) -> Result<UnitEntry, UnitRefused> {
        self.get(code).ok_or_else(|| UnitRefused::Unknown {
            field: field.to_string(),
            code: code.to_string(),
        })
    }

    /// The organ's full name (全称) for people; the code itself when the directory does not know
    /// it (an old case naming a unit that was never in the directory).
    pub fn name_of(&self, code: &str) -> String {
        self.get(code)
            .map(|u| u.name)
            .unwrap_or_else(|| code.to_string())
    }

    /// As [`Directory::name_of`] for an optional code.
    pub fn name_of_opt(&self, code: Option<&str>) -> Option<String> {
        code.map(|c| self.name_of(c))
    }

    /// The organ one level above (上一级行政机关), when the directory names it.
    pub fn parent_of(&self, code: &str) -> Option<UnitEntry> {
        self.get(code)
            .and_then(|u| u.parent_code)
            .and_then(|p| self.get(&p))
    }

    /// Apply a published record to the snapshot when it is newer than what it holds (the table is
    /// written by [`store::upsert`] in the consumer's transaction).
    pub fn apply(&self, record: &UnitRecordV1) {
        self.write(|s| {
            let newer = s
                .units
                .get(&record.code)
                .is_none_or(|u| u.version < record.version);
            if newer {
                s.units
                    .insert(record.code.clone(), UnitEntry::from_record(record));
            }
        });
    }

    /// Read the whole table into the snapshot.
    #[tracing::instrument(skip_all)]
    pub async fn reload(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
        let seq = store::applied_seq(pool).await?;
        let units = store::load_all(pool).await?;
        self.write(|s| {
            s.units = units.into_iter().map(|u| (u.code.clone(), u)).collect();
            s.seq = seq;
        });
        Ok(())
    }

    /// Reload when another replica (or this one's consumer) applied a change since the last read.
    pub async fn reload_if_changed(&self, pool: &PgPool) -> Result<bool, sqlx::Error> {
        let seq = store::applied_seq(pool).await?;
        if seq == self.read(|s| s.seq) {
            return Ok(false);
        }
        self.reload(pool).await?;
        Ok(true)
    }
}

/// The refresh worker (目录刷新): reload the snapshot every `every` when the table changed.
pub async fn refresh(directory: Directory, pool: PgPool, every: Duration, stop: CancellationToken) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        if let Err(e) = directory.reload_if_changed(&pool).await {
            tracing::warn!(error = %e, "units directory reload failed; retrying");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(code: &str, version: i64, active: bool) -> UnitRecordV1 {
        UnitRecordV1 {
            code: code.into(),
            division_code: "140423".into(),
            name: format!("{code}全称"),
            short_name: code.into(),
            kind: "department".into(),
            level: "county".into(),
            parent_code: Some("140423-ZF".into()),
            supervisor_code: None,
            township_code: None,
            active,
            version,
        }
    }

    #[test]
    fn unknown_and_retired_units_are_refused_naming_the_field() {
        let d = Directory::new();
        d.apply(&record("140423-ZF", 1, true));
        d.apply(&record("140423-RSJ", 1, true));
        d.apply(&record("140423-OLD", 3, false));
        assert_eq!(
            d.require_active("handling_unit", "140423-RSJ")
                .unwrap()
                .name,
            "140423-RSJ全称"
        );
        let unknown = d.require_active("to_unit", "140423-dccwh").unwrap_err();
        assert_eq!(unknown.field(), "to_unit");
        assert!(unknown.to_string().contains("140423-dccwh"));
        assert!(matches!(
            d.require_active("unit", "140423-OLD"),
            Err(UnitRefused::Retired { .. })
        ));
        assert!(d.require_known("unit", "140423-OLD").is_ok());
        assert_eq!(d.require_active_opt("x", None), Ok(None));
        assert_eq!(d.parent_of("140423-RSJ").unwrap().code, "140423-ZF");
        assert_eq!(d.name_of("140423-NOPE"), "140423-NOPE");
    }

    #[test]
    fn an_older_version_never_replaces_a_newer_one() {
        let d = Directory::new();
        d.apply(&record("140423-RSJ", 2, true));
        d.apply(&record("140423-RSJ", 1, false));
        assert!(d.get("140423-RSJ").unwrap().active);
        d.apply(&record("140423-RSJ", 3, false));
        assert!(!d.get("140423-RSJ").unwrap().active);
    }
}
