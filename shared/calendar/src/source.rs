//! Where a service's holiday calendars (节假日日历) come from: the `calendar_dir` setting, the
//! source tree's `deploy/calendars` when it is empty.

use std::path::{Path, PathBuf};

use crate::{CalendarError, HolidayCalendar};

/// The calendars shipped with the source tree (`deploy/calendars`).
pub fn shipped_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/calendars")
}

/// The directory a `calendar_dir` setting names; empty means [`shipped_dir`].
pub fn calendar_dir(setting: &str) -> PathBuf {
    if setting.is_empty() {
        shipped_dir()
    } else {
        PathBuf::from(setting)
    }
}

/// A service could not load its calendars at start-up; the message is for the operator.
#[derive(Debug, thiserror::Error)]
#[error("节假日日历加载失败 ({}): {}", dir.display(), source.message_zh())]
pub struct LoadError {
    pub dir: PathBuf,
    #[source]
    pub source: CalendarError,
}

/// Load every year in `dir` ([`HolidayCalendar::load_dir`]), as a service does at start-up.
pub fn load_calendars(dir: &Path) -> Result<HolidayCalendar, LoadError> {
    HolidayCalendar::load_dir(dir).map_err(|source| LoadError {
        dir: dir.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_setting_means_the_shipped_calendars() {
        assert_eq!(calendar_dir(""), shipped_dir());
        assert_eq!(calendar_dir("/etc/xinfang"), PathBuf::from("/etc/xinfang"));
        assert!(load_calendars(&calendar_dir("")).is_ok());
    }

    #[test]
    fn a_failed_load_names_the_directory_in_chinese() {
        let err = load_calendars(Path::new("/nonexistent/calendars")).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("节假日日历加载失败 (/nonexistent/calendars): "));
    }
}
