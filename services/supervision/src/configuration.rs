use std::path::Path;

use serde::Deserialize;
use xinfang_platform::{settings, PlatformSettings};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub platform: PlatformSettings,
    pub supervision: SupervisionSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SupervisionSettings {
    /// Directory of the holiday calendars (节假日安排), one `YYYY.json` per year.
    #[serde(default)]
    pub calendar_dir: String,
    #[serde(default)]
    pub limits: Limits,
}

/// Statutory limits (法定时限), national values by default; provinces may set stricter ones.
#[derive(Debug, Clone, Deserialize)]
pub struct Limits {
    /// 《信访工作条例》第二十二条: 15 日 from receipt to register and transfer or assign.
    #[serde(default = "default_acceptance_days")]
    pub acceptance_days: u32,
    /// The other clocks, timer steps and finding thresholds (see `clocks::EngineLimits`).
    #[serde(flatten, default)]
    pub engine: crate::clocks::EngineLimits,
    /// Orders, recommendations and hot-spot thresholds (see `oversight::OversightSettings`).
    #[serde(default)]
    pub oversight: crate::oversight::OversightSettings,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            acceptance_days: default_acceptance_days(),
            engine: Default::default(),
            oversight: Default::default(),
        }
    }
}

fn default_acceptance_days() -> u32 {
    15
}

impl Settings {
    pub fn load() -> anyhow::Result<Settings> {
        let dir = settings::config_dir(Path::new(env!("CARGO_MANIFEST_DIR")));
        Ok(settings::load(&dir)?)
    }
}
