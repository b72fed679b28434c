//! RabbitMQ restarted mid-stream: registration keeps working while the broker is down (the outbox
//! absorbs), and afterwards every petition reaches supervision and notification exactly once.
//! This binary holds a single test because it stops the machine's broker for everyone.

// Test code: a failed unwrap is a failed test. clippy.toml allows it in `#[test]` functions; this
// also covers the helpers beside them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{process::Command, time::Duration};

use xinfang_e2e::{petition, Platform};

fn rabbitmqctl(args: &[&str]) {
    let out = Command::new("rabbitmqctl")
        .args(args)
        .output()
        .expect("rabbitmqctl must be installed");
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts the broker again if the test fails while it is stopped.
struct RestartGuard;

impl Drop for RestartGuard {
    fn drop(&mut self) {
        let _ = Command::new("rabbitmqctl").arg("start_app").output();
    }
}

#[tokio::test]
async fn every_petition_survives_a_broker_restart_and_is_applied_once() {
    let p = Platform::start().await;
    const N: usize = 60;
    let mut registered = Vec::new();
    let _guard = RestartGuard;
    // Paced load: one registration every 50 ms.
    let mut pace = tokio::time::interval(Duration::from_millis(50));
    for i in 0..N {
        pace.tick().await;
        if i == 20 {
            rabbitmqctl(&["stop_app"]);
        }
        if i == 40 {
            rabbitmqctl(&["start_app"]);
        }
        // Registration answers 201 whether or not the broker is up.
        registered.push(p.register(&petition(&format!("中断测试 {i}"))).await);
    }
    assert_eq!(registered.len(), N);
    let n = N as i64;
    p.wait_count(
        &p.notification,
        "SELECT count(*) FROM notices WHERE kind = 'registration_receipt'",
        n,
        Duration::from_secs(120),
    )
    .await;
    p.wait_count(
        &p.supervision,
        "SELECT count(*) FROM deadlines",
        n,
        Duration::from_secs(120),
    )
    .await;
    p.wait_count(
        &p.intake,
        "SELECT count(*) FROM outbox WHERE published_at IS NULL",
        0,
        Duration::from_secs(30),
    )
    .await;
    // Exactly once: one inbox row per event and handler, one effect per case.
    p.wait_count(
        &p.notification,
        "SELECT count(DISTINCT case_id) FROM notices WHERE kind = 'registration_receipt'",
        n,
        Duration::from_secs(5),
    )
    .await;
    p.wait_count(
        &p.supervision,
        "SELECT count(*) FROM (SELECT DISTINCT case_id FROM deadlines) d",
        n,
        Duration::from_secs(5),
    )
    .await;
    p.wait_count(
        &p.mediation,
        "SELECT count(*) FROM cases",
        n,
        Duration::from_secs(60),
    )
    .await;
    p.stop().await;
}
