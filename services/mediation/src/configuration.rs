//! This service's settings: the platform's, and the mediation options ([`MediationOptions`]) under
//! `mediation:` in the same files and environment (`XINFANG_MEDIATION__…`), with their defaults.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
pub use xinfang_platform::settings::ServiceSettings as Settings;
use xinfang_platform::settings::{self, SettingsError};

/// Mediation's own options.
#[derive(Debug, Clone)]
pub struct MediationOptions {
    /// How often the performance watch (履行监督) looks for agreements past their deadline.
    pub performance_sweep: Duration,
}

impl Default for MediationOptions {
    fn default() -> Self {
        MediationOptions {
            performance_sweep: Duration::from_secs(3600),
        }
    }
}

/// The `mediation:` section as written in `base.yaml` / `<environment>.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediationSection {
    /// Seconds between two runs of the performance watch (履行监督检查间隔), 1 to 86,400.
    #[serde(default = "default_watch_secs")]
    pub performance_watch_interval_secs: u64,
}

fn default_watch_secs() -> u64 {
    3600
}

impl Default for MediationSection {
    fn default() -> Self {
        MediationSection {
            performance_watch_interval_secs: default_watch_secs(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Sections {
    #[serde(default)]
    mediation: MediationSection,
}

impl MediationSection {
    /// The options, checked: a watch interval of 0 s (a busy loop) or over a day (an overdue
    /// agreement unseen for days) is refused at start.
    pub fn options(&self) -> Result<MediationOptions, String> {
        let secs = self.performance_watch_interval_secs;
        if !(1..=86_400).contains(&secs) {
            return Err(format!(
                "mediation.performance_watch_interval_secs must be 1 to 86400 seconds, not {secs}"
            ));
        }
        Ok(MediationOptions {
            performance_sweep: Duration::from_secs(secs),
        })
    }
}

impl MediationOptions {
    /// Load the `mediation:` section from the service's configuration folder (as
    /// [`Settings::load`]): call with `env!("CARGO_MANIFEST_DIR")`.
    pub fn load(manifest_dir: &str) -> anyhow::Result<MediationOptions> {
        let sections: Sections = settings::load(&settings::config_dir(Path::new(manifest_dir)))
            .map_err(|e: SettingsError| anyhow::anyhow!(e.to_string()))?;
        sections.mediation.options().map_err(anyhow::Error::msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watch_interval_is_read_and_checked() {
        let s: Sections = serde_json::from_str(
            r#"{"mediation": {"performance_watch_interval_secs": 60}, "application": {}}"#,
        )
        .unwrap();
        assert_eq!(
            s.mediation.options().unwrap().performance_sweep,
            Duration::from_secs(60)
        );
        let none: Sections = serde_json::from_str("{}").unwrap();
        assert_eq!(
            none.mediation.options().unwrap().performance_sweep,
            Duration::from_secs(3600)
        );
        let zero = MediationSection {
            performance_watch_interval_secs: 0,
        };
        assert!(zero.options().is_err());
        assert!(serde_json::from_str::<Sections>(
            r#"{"mediation": {"performance_watch_interval": 60}}"#
        )
        .is_err());
    }
}
