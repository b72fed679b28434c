//! PostgreSQL crashes (immediate stop) mid-stream and comes back: no registration is answered 201
//! without its commit, consumers hold their deliveries instead of dead-lettering them, and once the
//! database is back every stored petition reaches supervision and notification exactly once.
//! This binary holds a single test because it stops the machine's PostgreSQL for everyone.

// Test code: a failed unwrap is a failed test. clippy.toml allows it in `#[test]` functions; this
// also covers the helpers beside them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{process::Command, time::Duration};

use xinfang_e2e::{petition, Platform};
use xinfang_test_support::{clerk_token, wait_for};

fn cluster() -> String {
    let dir = std::fs::read_dir("/etc/postgresql").expect("Debian PostgreSQL layout");
    dir.filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .next()
        .expect("a cluster version")
}

fn pg(action: &[&str]) {
    let out = Command::new("pg_ctlcluster")
        .arg("--skip-systemctl-redirect")
        .arg(cluster())
        .arg("main")
        .args(action)
        .output()
        .expect("pg_ctlcluster");
    assert!(
        out.status.success(),
        "pg_ctlcluster {action:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts PostgreSQL again if the test fails while it is stopped.
struct StartGuard;

impl Drop for StartGuard {
    fn drop(&mut self) {
        let _ = Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &cluster(), "main", "start"])
            .output();
    }
}

#[tokio::test]
async fn a_database_crash_loses_nothing_and_dead_letters_nothing() {
    let p = Platform::start().await;
    let mut accepted = Vec::new();
    for i in 0..10 {
        accepted.push(
            p.register(&petition(&format!("数据库中断前 {i}"))).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let _guard = StartGuard;
    pg(&["stop", "-m", "immediate"]);

    // While the database is down, registrations are refused with a clear 503, never a 201.
    let url = p.intake.url("/api/v1/petitions");
    for i in 0..2 {
        let res = p
            .client
            .post(&url)
            .bearer_auth(clerk_token())
            .json(&petition(&format!("中断中 {i}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 503, "no 201 without a commit");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], "unavailable");
    }
    pg(&["start"]);

    // Registration works again as soon as the database is back.
    let first_after = wait_for(
        "registration after the restart",
        Duration::from_secs(60),
        || {
            let (client, url) = (p.client.clone(), url.clone());
            async move {
                let res = client
                    .post(url)
                    .bearer_auth(clerk_token())
                    .json(&petition("恢复后 0"))
                    .send()
                    .await
                    .ok()?;
                (res.status().as_u16() == 201).then_some(())?;
                res.json::<serde_json::Value>().await.ok()
            }
        },
    )
    .await;
    accepted.push(first_after["id"].as_str().unwrap().to_string());
    for i in 1..10 {
        accepted.push(
            p.register(&petition(&format!("恢复后 {i}"))).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }

    // Everything stored reaches downstream once; nothing was dead-lettered by the outage.
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM petitions")
        .fetch_one(&p.intake.app.pool)
        .await
        .unwrap();
    assert_eq!(
        stored,
        accepted.len() as i64,
        "every 201 was committed, and nothing else was"
    );
    let n = accepted.len() as i64;
    p.wait_count(
        &p.notification,
        "SELECT count(*) FROM notices WHERE kind = 'registration_receipt'",
        n,
        Duration::from_secs(90),
    )
    .await;
    p.wait_count(
        &p.supervision,
        "SELECT count(*) FROM deadlines",
        n,
        Duration::from_secs(90),
    )
    .await;
    for s in p.services() {
        p.wait_count(
            s,
            "SELECT count(*) FROM dead_letters",
            0,
            Duration::from_secs(1),
        )
        .await;
    }
    p.stop().await;
}
