//! The service's integration tests: the case register it keeps from intake's registrations, and the
//! mediation paths (flows.rs), the refusing rules (rules.rs), the dispute register (disputes.rs).

#[cfg(test)]
mod bodies;
#[cfg(test)]
mod disputes;
#[cfg(test)]
mod flows;
#[cfg(test)]
mod helpers;
#[cfg(test)]
mod lists;
#[cfg(test)]
mod rules;

use mediation::{configuration::Settings, startup};
use xinfang_test_support::{case_register::check_case_register, spawn_app, TestEnv};

#[tokio::test]
async fn a_registered_petition_becomes_a_case_its_unit_can_read_and_no_other() {
    let env = TestEnv::new();
    let app = spawn_app(startup::build(Settings {
        platform: env.settings("mediation"),
    }))
    .await;
    check_case_register(&env, &app).await;
    app.stop().await;
}
