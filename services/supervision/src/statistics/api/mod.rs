//! Statistics over HTTP: indicators, hot spots, reports.

pub mod indicators;
pub mod overrides;
pub mod reports;
pub mod review;
pub mod scope;
