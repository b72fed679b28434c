//! The console's integration tests over real PostgreSQL and RabbitMQ: each test its own database and
//! queue prefix (one binary, one module per feature).
// Helpers outside #[test] functions fail the test loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod helpers;
mod login;
mod sessions;
mod tokens;
mod units;
