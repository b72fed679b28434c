//! The calendar's integration tests, in one binary: day classification, deadlines, loading and
//! working-day arithmetic against the real calendars, with their helpers in `common`.

// Test code: a failed unwrap is a failed test. clippy.toml allows it in `#[test]` functions; this
// also covers the helpers beside them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod classification;
mod common;
mod deadlines;
mod loading;
mod working_days;
