//! This service's settings: the platform's only, for now.

pub use xinfang_platform::settings::ServiceSettings as Settings;
