//! Notification's integration tests: events in, notices out, scoped by unit.

// Test code: a failed unwrap is a failed test. clippy.toml allows it in `#[test]` functions; this
// also covers the helpers beside them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod archive;
mod batches;
mod contact_preference;
mod decisions;
mod delivery;
mod documents;
mod helpers;
mod preview;
mod self_service;
mod servers;
