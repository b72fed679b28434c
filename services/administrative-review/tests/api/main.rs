//! The service's integration tests, one binary: the case register it keeps from intake's
//! registrations (over the broker), the ladder's paths (`ladder`), and the extension, concurrency
//! and scoping rules (`rules`).

// The helpers outside `#[test]` functions may panic too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod acts;
mod helpers;
mod ladder;
mod rules;

use administrative_review::{configuration::Settings, startup};
use xinfang_test_support::{case_register::check_case_register, spawn_app, TestEnv};

#[tokio::test]
async fn a_registered_petition_becomes_a_case_its_unit_can_read_and_no_other() {
    let env = TestEnv::new();
    let app = spawn_app(startup::build(Settings {
        platform: env.settings("administrative-review"),
    }))
    .await;
    check_case_register(&env, &app).await;
    app.stop().await;
}
