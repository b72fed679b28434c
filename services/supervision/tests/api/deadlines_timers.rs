//! Exactly-once timer firing: two supervision replicas on one database fire concurrently (with an
//! operator's manual run on top), then one replica stops and a new one starts; every (deadline,
//! step) fires once and one event per step reaches the queue.

use std::time::Duration;

use crate::helpers::replica::*;
use serde_json::json;
use supervision::deadlines::{domain::calendar::ManualClock, workers::fire_due_steps};
use xinfang_test_support::{wait_for, TestEnv};

const CASES: i64 = 120;

async fn count(r: &Replica, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(r.pool()).await.unwrap()
}

/// Steps fired, distinct (deadline, step) pairs in the outbox, and step events the service's own
/// queue delivered onto the timeline (one row per event id).
async fn tallies(r: &Replica) -> (i64, i64, i64, i64) {
    (
        count(r, "SELECT count(*) FROM deadline_steps WHERE fired_at IS NOT NULL").await,
        count(r, "SELECT count(*) FROM outbox WHERE routing_key = 'supervision.deadline.step_reached.v1'").await,
        count(r, "SELECT count(DISTINCT (envelope->'payload'->>'deadline_id', envelope->'payload'->>'step')) FROM outbox
                  WHERE routing_key = 'supervision.deadline.step_reached.v1'").await,
        count(r, "SELECT count(*) FROM case_events WHERE routing_key = 'supervision.deadline.step_reached.v1'").await,
    )
}

#[tokio::test]
async fn each_step_fires_once_across_two_replicas_and_a_restart() {
    let env = TestEnv::new();
    let clock = ManualClock::new(d("2024-01-01"));
    // Small batches and a fast tick, so the replicas interleave.
    let limits = json!({ "timer_interval_ms": 20, "timer_batch_size": 7 });
    let a = start(&env, &clock, limits.clone()).await;
    let b = start(&env, &clock, limits.clone()).await;
    for _ in 0..CASES {
        // received 2025-09-01: warning 09-11, due 09-16, overdue 09-17, long overdue 10-16
        new_case(&a, d("2025-09-01")).await;
    }
    assert_eq!(
        count(
            &a,
            "SELECT count(*) FROM deadline_steps WHERE fire_on IS NOT NULL"
        )
        .await,
        CASES * 4
    );

    // Day one: both replicas' workers and an operator's run race for the steps due: warning and
    // due are both due at once, so only the current one (due) is raised, the warning superseded.
    clock.set(d("2025-09-16"));
    let manual = tokio::spawn({
        let pool = a.pool().clone();
        async move { fire_due_steps(&pool, d("2025-09-16")).await.unwrap() }
    });
    wait_for(
        "due steps fired and delivered",
        Duration::from_secs(30),
        || async {
            let t = tallies(&a).await;
            (t == (CASES, CASES, CASES, CASES)).then_some(())
        },
    )
    .await;
    manual.await.unwrap();
    let replicas = count(
        &a,
        "SELECT count(DISTINCT fired_by) FROM deadline_steps WHERE fired_at IS NOT NULL",
    )
    .await;
    tracing::info!(replicas, "firing replicas on day one");

    // Replica A stops; a new replica C starts (a restart): nothing fires twice, the rest fires
    // (overdue and long overdue are due at once on 10-20: long overdue is raised).
    a.stop().await;
    let c = start(&env, &clock, limits).await;
    clock.set(d("2025-10-20"));
    wait_for(
        "the current steps fired and delivered",
        Duration::from_secs(30),
        || async {
            let t = tallies(&c).await;
            (t == (CASES * 2, CASES * 2, CASES * 2, CASES * 2)).then_some(())
        },
    )
    .await;
    // Every pair fired once, each with its own event; the long overdue step raised 应受理不受理 once
    // per case (its overdue step was superseded); the superseded steps never fire.
    assert_eq!(
        count(&c, "SELECT count(*) FROM (SELECT deadline_id, step FROM deadline_steps WHERE fired_at IS NOT NULL
                   GROUP BY 1, 2 HAVING count(*) > 1) dup").await,
        0
    );
    assert_eq!(
        count(
            &c,
            "SELECT count(DISTINCT event_id) FROM deadline_steps WHERE fired_at IS NOT NULL"
        )
        .await,
        CASES * 2
    );
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM deadline_steps WHERE cancelled_at IS NOT NULL AND fired_at IS NULL"
        )
        .await,
        CASES * 2
    );
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM findings WHERE question = 'unaccepted'"
        )
        .await,
        CASES
    );
    // Nothing left to fire, and a further run (another restart's first tick) finds nothing.
    assert_eq!(fire_due_steps(c.pool(), d("2025-12-31")).await.unwrap(), 0);
    // Settle: the outbox drains, the timeline still holds exactly one event per step.
    wait_for("outbox drained", Duration::from_secs(20), || async {
        (count(&c, "SELECT count(*) FROM outbox WHERE published_at IS NULL").await == 0)
            .then_some(())
    })
    .await;
    assert_eq!(
        tallies(&c).await,
        (CASES * 2, CASES * 2, CASES * 2, CASES * 2)
    );
    c.stop().await;
    b.stop().await;
}
