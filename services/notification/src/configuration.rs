use std::path::Path;

use serde::Deserialize;
use xinfang_platform::{settings, PlatformSettings};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub platform: PlatformSettings,
}

impl Settings {
    pub fn load() -> anyhow::Result<Settings> {
        let dir = settings::config_dir(Path::new(env!("CARGO_MANIFEST_DIR")));
        Ok(settings::load(&dir)?)
    }
}
