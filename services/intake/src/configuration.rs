use std::{collections::BTreeMap, path::Path};

use serde::Deserialize;
use xinfang_platform::{pii::PiiSettings, settings, PlatformSettings};

/// The national default sub-taxonomy (二级分类目录), the default of `intake.taxonomy`.
pub use crate::domain::petition::default_taxonomy;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub platform: PlatformSettings,
    pub intake: IntakeSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IntakeSettings {
    /// 区划代码 of the county, the first part of every case number.
    pub division_code: String,
}

/// The rest of the `intake` section of the configuration: personal-data keys, the holiday
/// calendars, limits, the field sub-taxonomy and repeat detection. Kept apart from
/// [`IntakeSettings`] so that code building `IntakeSettings { division_code }` keeps compiling;
/// [`crate::startup::build`] loads it from the layered configuration
/// ([`IntakeOptions::load`]), tests may pass their own to `build_with_options`.
#[derive(Debug, Clone, Deserialize)]
pub struct IntakeOptions {
    /// `intake.pii`: AES-256-GCM key and version, blind-index key (base64). Development values in
    /// base.yaml only; production sets `XINFANG_INTAKE__PII__ENCRYPTION_KEY` etc.
    pub pii: PiiSettings,
    /// Directory of the holiday calendars (`YYYY.json`); empty = `deploy/calendars` of the tree.
    #[serde(default)]
    pub calendar_dir: String,
    #[serde(default)]
    pub limits: Limits,
    /// 二级分类: field code → allowed subfield codes (configurable sub-taxonomy).
    #[serde(default = "default_taxonomy")]
    pub taxonomy: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub repeat: RepeatSettings,
    #[serde(default)]
    pub registration: RegistrationSettings,
}

/// `intake.registration`: the writers of group registration ([`crate::workers::registrar`]).
#[derive(Debug, Clone, Deserialize)]
pub struct RegistrationSettings {
    /// Writer tasks (each one database connection while it writes). One by default: every batch
    /// holds the year's counter from its numbers to its commit, so a second writer mostly waits for
    /// the first (docs/performance.md, 2026-12-02); a second one only helps when a batch waits on
    /// something else, such as an `Idempotency-Key` another transaction holds.
    #[serde(default = "default_writers")]
    pub writers: usize,
    /// Most registrations written and numbered in one transaction.
    #[serde(default = "default_registration_batch")]
    pub batch_size: usize,
}

impl Default for RegistrationSettings {
    fn default() -> Self {
        RegistrationSettings {
            writers: default_writers(),
            batch_size: default_registration_batch(),
        }
    }
}

fn default_writers() -> usize {
    1
}
fn default_registration_batch() -> usize {
    32
}

/// Limits intake itself checks (national defaults; provinces may set stricter ones).
#[derive(Debug, Clone, Deserialize)]
pub struct Limits {
    /// 《信访工作条例》第二十三条: a receiving unit may object within 5 working days.
    #[serde(default = "five")]
    pub objection_working_days: u32,
    /// 简易办理: accept within 3 working days of receipt.
    #[serde(default = "three")]
    pub simple_accept_working_days: u32,
    /// 简易办理: opinion within 10 working days of acceptance.
    #[serde(default = "ten")]
    pub simple_opinion_working_days: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            objection_working_days: 5,
            simple_accept_working_days: 3,
            simple_opinion_working_days: 10,
        }
    }
}

fn three() -> u32 {
    3
}
fn five() -> u32 {
    5
}
fn ten() -> u32 {
    10
}

/// Repeat detection (重复信访识别).
#[derive(Debug, Clone, Deserialize)]
pub struct RepeatSettings {
    /// Lowest content similarity (0–1) reported as a candidate.
    #[serde(default = "default_min_score")]
    pub min_score: f32,
    /// Most candidates returned.
    #[serde(default = "default_max_candidates")]
    pub max_candidates: i64,
    /// Most earlier petitions of the same scope (field and respondent) compared by content, newest
    /// first (比对上限). Bounds the lookup (about 1 µs each); earlier petitions of the same person
    /// are always found through the blind index, however old.
    #[serde(default = "default_max_scope_scan")]
    pub max_scope_scan: i64,
}

impl Default for RepeatSettings {
    fn default() -> Self {
        RepeatSettings {
            min_score: default_min_score(),
            max_candidates: default_max_candidates(),
            max_scope_scan: default_max_scope_scan(),
        }
    }
}

fn default_min_score() -> f32 {
    0.3
}
fn default_max_candidates() -> i64 {
    10
}
fn default_max_scope_scan() -> i64 {
    5_000
}

impl IntakeOptions {
    /// Load the `intake` section from the layered configuration (files, then environment).
    pub fn load() -> anyhow::Result<IntakeOptions> {
        #[derive(Deserialize)]
        struct Wrapper {
            intake: IntakeOptions,
        }
        let dir = settings::config_dir(Path::new(env!("CARGO_MANIFEST_DIR")));
        let w: Wrapper = settings::load(&dir)?;
        Ok(w.intake)
    }
}

impl Settings {
    pub fn load() -> anyhow::Result<Settings> {
        let dir = settings::config_dir(Path::new(env!("CARGO_MANIFEST_DIR")));
        Ok(settings::load(&dir)?)
    }
}
