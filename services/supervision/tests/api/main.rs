//! The supervision service's integration tests, one binary: deadlines (calculator and calendar
//! years, clocks, exactly-once timers), oversight features, and statistics against a fixture.

// The helpers outside `#[test]` functions may panic too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod authorization;
mod deadlines_calendar;
mod deadlines_clocks;
mod deadlines_timers;
mod helpers;
mod mediation;
mod oversight;
mod review_clocks;
mod statistics;
mod unknown_fields;
