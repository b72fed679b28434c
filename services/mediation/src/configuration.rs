//! This service's settings: the platform's, and the mediation options ([`MediationOptions`]) with
//! their defaults.

use std::time::Duration;

pub use xinfang_platform::settings::ServiceSettings as Settings;

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
