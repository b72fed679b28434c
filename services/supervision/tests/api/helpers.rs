//! Helpers of the integration tests: the application the oversight and statistics suites drive
//! through HTTP and an inbox, and the replicas the deadline suites start with a hand-set clock.

pub mod app;
pub mod replica;
