//! The short version of the fault-injection drill (故障演练，简版) in the normal suite:
//! `tools/fault-drill --short` — the six services as separate processes, two replicas each,
//! at least at least 300 petitions while one replica of each service is killed with SIGKILL, RabbitMQ and PostgreSQL
//! are restarted once each, duplicate deliveries and poison messages are injected; then the ledger
//! of 201s is compared with every service's state (lost 0, duplicated 0, without a 201 0, audit
//! chains intact, poison messages exactly in the dead-letter stores). The full drill is
//! `tools/fault-drill` (minutes; results in docs/reliability.md).
//!
//! It runs the service binaries of this build (`cargo test --workspace` builds them). When they are
//! missing outside CI (`cargo test -p xinfang-e2e` alone) it says so and returns; in CI (CI=true)
//! a missing binary fails it. This binary holds a single test: it stops the machine's broker and
//! database for everyone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{path::PathBuf, process::Command};

const BINARIES: [&str; 7] = [
    "intake",
    "mediation",
    "administrative-review",
    "supervision",
    "notification",
    "console",
    "xinfangctl",
];

/// `target/<profile>`: the test binary lives in `target/<profile>/deps/`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

#[test]
fn short_fault_drill_loses_and_duplicates_nothing() {
    let dir = profile_dir();
    let missing: Vec<&str> = BINARIES
        .iter()
        .copied()
        .filter(|b| !dir.join(b).is_file())
        .collect();
    if !missing.is_empty() {
        let msg = format!(
            "the short fault drill needs the service binaries in {} (missing: {missing:?}); \
             build them with `cargo build --bin {}` or run `cargo test --workspace`",
            dir.display(),
            missing.join(" --bin ")
        );
        assert!(std::env::var("CI").is_err(), "{msg}");
        eprintln!("skipped: {msg}");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let profile = dir.file_name().unwrap().to_string_lossy().into_owned();
    let out = Command::new("python3")
        .arg(root.join("tools/fault-drill"))
        .args(["--short", "--no-build", "--profile", &profile])
        .current_dir(&root)
        .output()
        .expect("python3 runs tools/fault-drill");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "fault drill failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(stdout.contains("Result: PASS"), "{stdout}");
    // The six effect rows (intake, supervision ×2, notification, mediation, review): lost 0,
    // duplicated 0, without a 201 0.
    let effects: Vec<&str> = stdout
        .lines()
        .filter(|l| {
            [
                "intake:",
                "supervision:",
                "notification:",
                "mediation:",
                "administrative-review:",
            ]
            .iter()
            .any(|p| l.starts_with(&format!("| {p}")))
        })
        .collect();
    assert_eq!(effects.len(), 6, "{stdout}");
    for row in effects {
        assert!(row.ends_with("| 0 | 0 | 0 |"), "{row}\n{stdout}");
    }
}
