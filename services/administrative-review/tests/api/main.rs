//! Administrative review's integration tests: the case register it keeps from intake's registrations.

// Test code: a failed unwrap is a failed test. clippy.toml allows it in `#[test]` functions; this
// also covers the helpers beside them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cases;
mod helpers;
