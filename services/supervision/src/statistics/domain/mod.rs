//! The read model's facts and rollup deltas, the indicators' definitions, and the reports' text.

pub mod indicators;
pub mod overrides;
pub mod read_model;
pub mod reports;
pub mod review;
