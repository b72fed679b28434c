//! Administrative review's clocks from its events (`deadlines::review`): handling opened and moved
//! by an approved extension; the delivery clock and its finding when an opinion is never delivered;
//! the petitioner's windows anchored on delivery (ending on a holiday, on a make-up working day);
//! review and re-review clocks; a hearing stops the re-review clock only; every clock sent back as
//! `supervision.deadline.projected.v1`.

use crate::helpers::replica::*;
use serde_json::{json, Value};
use supervision::deadlines::{domain::calendar::ManualClock, workers::fire_due_steps};
use uuid::Uuid;
use xinfang_contracts::{
    events::{CaseFinalizedV1, Category, PetitionAcceptedV1},
    review::{
        CaseClosedV1, ExtensionDecidedV1, HandlingStartedV1, HearingHeldV1, OpinionDeliveredV1,
        OpinionIssuedV1, ReviewRequestedV1,
    },
};
use xinfang_test_support::TestEnv;

const LABOUR: &str = "140423-RSJ";
const COUNTY: &str = "140423-ZF";

fn started(case: Uuid, on: &str) -> HandlingStartedV1 {
    HandlingStartedV1 {
        petition_id: case,
        case_number: "140423-2025-000009".into(),
        unit: LABOUR.into(),
        started_on: d(on),
        origin: "accepted".into(),
        assigned_by_unit: None,
        upstream_reference: None,
    }
}

fn issued(case: Uuid, level: &str, unit: &str, on: &str) -> OpinionIssuedV1 {
    OpinionIssuedV1 {
        opinion_id: Uuid::now_v7(),
        petition_id: case,
        case_number: "140423-2025-000009".into(),
        level: level.into(),
        outcome: "uphold".into(),
        issuing_unit: unit.into(),
        issued_on: d(on),
        corrects: None,
        implement_by: None,
        implementing_unit: None,
        external: false,
    }
}

fn delivered(case: Uuid, level: &str, unit: &str, on: &str) -> OpinionDeliveredV1 {
    OpinionDeliveredV1 {
        opinion_id: Uuid::now_v7(),
        petition_id: case,
        case_number: "140423-2025-000009".into(),
        level: level.into(),
        issuing_unit: unit.into(),
        delivered_on: d(on),
        method: "post".into(),
        proof: Some("EMS".into()),
        recorded_from: "handler".into(),
    }
}

fn requested(case: Uuid, level: &str, organ: &str, on: &str) -> ReviewRequestedV1 {
    ReviewRequestedV1 {
        review_id: Uuid::now_v7(),
        petition_id: case,
        case_number: "140423-2025-000009".into(),
        level: level.into(),
        organ_unit: organ.into(),
        requested_on: d(on),
        forwarded: false,
    }
}

fn hearing(case: Uuid, level: &str, from: &str, to: &str) -> HearingHeldV1 {
    HearingHeldV1 {
        hearing_id: Uuid::now_v7(),
        petition_id: case,
        case_number: "140423-2025-000009".into(),
        level: level.into(),
        unit: COUNTY.into(),
        held_from: d(from),
        held_to: d(to),
        published: false,
    }
}

/// The projections supervision published for a case: (kind, due_on, extensions), in order.
async fn projections(r: &Replica, case: Uuid) -> Vec<(String, Option<String>, u64)> {
    let rows: Vec<Value> = sqlx::query_scalar(
        "SELECT envelope->'payload' FROM outbox WHERE routing_key = 'supervision.deadline.projected.v1'
         AND case_id = $1 ORDER BY id",
    )
    .bind(case)
    .fetch_all(r.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().to_string(),
                p["due_on"].as_str().map(str::to_string),
                p["extensions"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn handling_is_opened_by_handling_and_moved_once_by_an_approved_extension() {
    let env = TestEnv::new();
    let r = start(&env, &ManualClock::new(d("2024-01-01")), json!({})).await;
    let case = new_case(&r, d("2025-07-01")).await;
    // Acceptance opens handling (intake's event); handling's start projects it, without a second.
    r.apply(
        &PetitionAcceptedV1 {
            petition_id: case,
            case_number: "x".into(),
            accepted_on: d("2025-07-01"),
            decided_by_unit: BUREAU.into(),
            handling_unit: Some(LABOUR.into()),
            category: Some(Category::Claim),
            simple_track: false,
            reason: "r".into(),
        },
        Some(case),
    )
    .await;
    r.apply(&started(case, "2025-07-01"), Some(case)).await;
    // 07-01 + 60 日 = 08-30, a Saturday: the last day rolls to Monday 09-01.
    let (_, status, due) = r.deadline(case, "handling").await;
    assert_eq!((status.as_str(), due), ("open", Some(d("2025-09-01"))));
    assert_eq!(
        r.deadlines(case)
            .await
            .iter()
            .filter(|(k, _, _)| k == "handling")
            .count(),
        1
    );
    assert_eq!(
        projections(&r, case).await,
        vec![("handling".into(), Some("2025-09-01".into()), 0)]
    );

    let approve = |days| ExtensionDecidedV1 {
        extension_id: Uuid::now_v7(),
        petition_id: case,
        case_number: "x".into(),
        unit: LABOUR.into(),
        approved: true,
        days,
        reason: "情况复杂".into(),
        decided_on: d("2025-08-20"),
    };
    r.apply(&approve(30), Some(case)).await;
    let (_, _, due) = r.deadline(case, "handling").await;
    assert_eq!(due, Some(d("2025-09-29")));
    assert_eq!(
        projections(&r, case).await[1],
        ("handling".into(), Some("2025-09-29".into()), 1)
    );
    // A second approval never moves it again.
    r.apply(&approve(10), Some(case)).await;
    assert_eq!(r.deadline(case, "handling").await.2, Some(d("2025-09-29")));
    // A rejected extension moves nothing.
    r.apply(
        &ExtensionDecidedV1 {
            approved: false,
            ..approve(5)
        },
        Some(case),
    )
    .await;
    assert_eq!(r.deadline(case, "handling").await.2, Some(d("2025-09-29")));

    // The handling opinion meets handling and opens the delivery clock.
    r.apply(&issued(case, "handling", LABOUR, "2025-08-25"), Some(case))
        .await;
    assert_eq!(r.deadline(case, "handling").await.1, "met");
    let (_, status, due) = r.deadline(case, "opinion_delivery").await;
    assert_eq!((status.as_str(), due), ("open", Some(d("2025-09-09"))));
    r.stop().await;
}

#[tokio::test]
async fn windows_run_from_delivery_and_end_on_a_holiday_or_a_make_up_working_day() {
    let env = TestEnv::new();
    let r = start(&env, &ManualClock::new(d("2024-01-01")), json!({})).await;
    let holiday = new_case(&r, d("2025-06-01")).await;
    r.apply(&started(holiday, "2025-06-01"), Some(holiday))
        .await;
    r.apply(
        &issued(holiday, "handling", LABOUR, "2025-08-20"),
        Some(holiday),
    )
    .await;
    // Not from the issue date: from delivery, 09-01 + 30 日 = 10-01, in the National Day holiday,
    // so the window's last day is the first working day after it.
    r.apply(
        &delivered(holiday, "handling", LABOUR, "2025-09-01"),
        Some(holiday),
    )
    .await;
    assert_eq!(r.deadline(holiday, "opinion_delivery").await.1, "met");
    let (window, status, due) = r.deadline(holiday, "review_window").await;
    assert_eq!((status.as_str(), due), ("open", Some(d("2025-10-09"))));
    // Its one step is the day after its last day: the case becomes final then.
    assert_eq!(
        r.steps(window).await,
        vec![("overdue".into(), Some(d("2025-10-10")), "pending".into())]
    );
    assert!(projections(&r, holiday).await.contains(&(
        "review_window".into(),
        Some("2025-10-09".into()),
        0
    )));

    let makeup = new_case(&r, d("2025-06-01")).await;
    r.apply(&started(makeup, "2025-06-01"), Some(makeup)).await;
    r.apply(
        &issued(makeup, "handling", LABOUR, "2025-09-01"),
        Some(makeup),
    )
    .await;
    // 09-11 + 30 日 = 10-11, a Saturday worked in exchange for the holiday: not moved.
    r.apply(
        &delivered(makeup, "handling", LABOUR, "2025-09-11"),
        Some(makeup),
    )
    .await;
    assert_eq!(
        r.deadline(makeup, "review_window").await.2,
        Some(d("2025-10-11"))
    );

    // The window lapses unused: its step fires, no finding; finality ends it without meeting it.
    fire_due_steps(r.pool(), d("2025-10-10")).await.unwrap();
    let fired: Vec<Value> = sqlx::query_scalar(
        "SELECT envelope->'payload' FROM outbox WHERE routing_key = 'supervision.deadline.step_reached.v1'
         AND case_id = $1 AND envelope->'payload'->>'kind' = 'review_window'",
    )
    .bind(holiday)
    .fetch_all(r.pool())
    .await
    .unwrap();
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0]["kind"], "review_window");
    assert_eq!(fired[0]["step"], "overdue");
    assert!(r.findings("unhandled").await.is_empty());
    r.apply(
        &CaseFinalizedV1 {
            petition_id: holiday,
            case_number: "x".into(),
            concluded_on: d("2025-10-10"),
            level: "handling".into(),
            final_opinion: None,
        },
        Some(holiday),
    )
    .await;
    assert_eq!(r.deadline(holiday, "review_window").await.1, "cancelled");
    r.stop().await;
}

#[tokio::test]
async fn review_and_re_review_clocks_and_a_hearing_stops_only_the_re_review() {
    let env = TestEnv::new();
    let r = start(&env, &ManualClock::new(d("2024-01-01")), json!({})).await;
    let case = new_case(&r, d("2025-03-01")).await;
    r.apply(&started(case, "2025-03-01"), Some(case)).await;
    // A hearing at handling (art 31(6)) does not stop the handling clock.
    let before = r.deadline(case, "handling").await.2;
    r.apply(
        &hearing(case, "handling", "2025-03-10", "2025-03-12"),
        Some(case),
    )
    .await;
    assert_eq!(r.deadline(case, "handling").await.2, before);

    r.apply(&issued(case, "handling", LABOUR, "2025-04-01"), Some(case))
        .await;
    r.apply(
        &delivered(case, "handling", LABOUR, "2025-04-03"),
        Some(case),
    )
    .await;
    r.apply(&requested(case, "review", COUNTY, "2025-04-20"), Some(case))
        .await;
    assert_eq!(r.deadline(case, "review_window").await.1, "met");
    // 04-20 + 30 日 = 05-20.
    let (_, status, due) = r.deadline(case, "review").await;
    assert_eq!((status.as_str(), due), ("open", Some(d("2025-05-20"))));
    // Nor at review.
    r.apply(
        &hearing(case, "review", "2025-05-05", "2025-05-06"),
        Some(case),
    )
    .await;
    assert_eq!(r.deadline(case, "review").await.2, Some(d("2025-05-20")));

    r.apply(&issued(case, "review", COUNTY, "2025-05-15"), Some(case))
        .await;
    assert_eq!(r.deadline(case, "review").await.1, "met");
    r.apply(&delivered(case, "review", COUNTY, "2025-05-16"), Some(case))
        .await;
    // 05-16 + 30 日 = 06-15, a Sunday: rolled to 06-16.
    assert_eq!(
        r.deadline(case, "re_review_window").await.2,
        Some(d("2025-06-16"))
    );
    r.apply(
        &requested(case, "re_review", "140400-ZF", "2025-06-03"),
        Some(case),
    )
    .await;
    // 06-03 + 30 日 = 07-03; a three-day hearing moves it three days, to Sunday 07-06, rolled to 07-07.
    assert_eq!(r.deadline(case, "re_review").await.2, Some(d("2025-07-03")));
    r.apply(
        &hearing(case, "re_review", "2025-06-10", "2025-06-12"),
        Some(case),
    )
    .await;
    let (_, status, due) = r.deadline(case, "re_review").await;
    assert_eq!((status.as_str(), due), ("open", Some(d("2025-07-07"))));
    assert_eq!(
        projections(&r, case).await.last().unwrap(),
        &("re_review".to_string(), Some("2025-07-07".to_string()), 0)
    );
    r.apply(
        &issued(case, "re_review", "140400-ZF", "2025-07-01"),
        Some(case),
    )
    .await;
    assert_eq!(r.deadline(case, "re_review").await.1, "met");
    r.stop().await;
}

#[tokio::test]
async fn an_undelivered_opinion_is_a_finding_and_implementation_outlives_finality() {
    let env = TestEnv::new();
    let r = start(&env, &ManualClock::new(d("2024-01-01")), json!({})).await;
    let case = new_case(&r, d("2025-06-01")).await;
    r.apply(&started(case, "2025-06-01"), Some(case)).await;
    let mut opinion = issued(case, "handling", LABOUR, "2025-07-01");
    opinion.outcome = "support".into();
    opinion.implement_by = Some(d("2025-12-31"));
    opinion.implementing_unit = Some(LABOUR.into());
    r.apply(&opinion, Some(case)).await;
    assert_eq!(
        r.deadline(case, "implementation").await.2,
        Some(d("2025-12-31"))
    );
    // 07-01 + 15 日 = 07-16; still undelivered the day after: 应办理不办理.
    let (delivery, _, due) = r.deadline(case, "opinion_delivery").await;
    assert_eq!(due, Some(d("2025-07-16")));
    fire_due_steps(r.pool(), d("2025-07-17")).await.unwrap();
    let findings = r.findings("unhandled").await;
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].2, format!("deadline:{delivery}"));
    let detail: String =
        sqlx::query_scalar("SELECT detail FROM findings WHERE question = 'unhandled'")
            .fetch_one(r.pool())
            .await
            .unwrap();
    assert!(detail.contains("意见书送达期限"), "{detail}");

    // A procedural closure of another case ends its handling duty.
    let other = new_case(&r, d("2025-06-01")).await;
    r.apply(&started(other, "2025-06-01"), Some(other)).await;
    r.apply(
        &CaseClosedV1 {
            petition_id: other,
            case_number: "y".into(),
            unit: LABOUR.into(),
            closure: "procedural".into(),
            ground: "withdrawn".into(),
            reason: "撤回".into(),
            closed_on: d("2025-06-20"),
            outcome: None,
        },
        Some(other),
    )
    .await;
    assert_eq!(r.deadline(other, "handling").await.1, "met");

    // Finality closes every clock but the implementation.
    r.apply(
        &CaseFinalizedV1 {
            petition_id: case,
            case_number: "x".into(),
            concluded_on: d("2025-09-01"),
            level: "handling".into(),
            final_opinion: None,
        },
        Some(case),
    )
    .await;
    assert_eq!(r.deadline(case, "opinion_delivery").await.1, "met");
    assert_eq!(r.deadline(case, "implementation").await.1, "open");
    r.stop().await;
}

#[tokio::test]
async fn statistics_read_closure_kinds_and_the_ladder_outcomes() {
    let env = TestEnv::new();
    let r = start(&env, &ManualClock::new(d("2024-01-01")), json!({})).await;
    let closed = |case: Uuid, closure: &str, ground: &str, on: &str| CaseClosedV1 {
        petition_id: case,
        case_number: "x".into(),
        unit: LABOUR.into(),
        closure: closure.into(),
        ground: ground.into(),
        reason: "r".into(),
        closed_on: d(on),
        outcome: None,
    };
    // Two substantive (one by opinion in time, one by mediation late) and one procedural.
    let a = new_case(&r, d("2025-03-01")).await;
    r.apply(&started(a, "2025-03-01"), Some(a)).await;
    r.apply(&issued(a, "handling", LABOUR, "2025-04-01"), Some(a))
        .await;
    r.apply(&closed(a, "substantive", "opinion", "2025-04-01"), Some(a))
        .await;
    let b = new_case(&r, d("2025-03-01")).await;
    r.apply(&started(b, "2025-03-01"), Some(b)).await;
    r.apply(
        &closed(b, "substantive", "mediation", "2025-06-01"),
        Some(b),
    )
    .await;
    let c = new_case(&r, d("2025-03-01")).await;
    r.apply(&started(c, "2025-03-01"), Some(c)).await;
    r.apply(&closed(c, "procedural", "withdrawn", "2025-03-20"), Some(c))
        .await;
    // The ladder: a delivered handling opinion, a review upheld, another revoked.
    r.apply(&delivered(a, "handling", LABOUR, "2025-04-03"), Some(a))
        .await;
    r.apply(&requested(a, "review", COUNTY, "2025-04-20"), Some(a))
        .await;
    r.apply(&issued(a, "review", COUNTY, "2025-05-10"), Some(a))
        .await;
    let mut revoked = issued(b, "review", COUNTY, "2025-05-11");
    revoked.outcome = "revoke".into();
    r.apply(&revoked, Some(b)).await;

    let supervisor =
        xinfang_test_support::token("s", BUREAU, &[xinfang_platform::Role::Supervisor]);
    let client = reqwest::Client::new();
    let get = |path: String| {
        let (client, token) = (client.clone(), supervisor.clone());
        async move {
            let r = client.get(path).bearer_auth(token).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let i = get(r.url("/api/v1/statistics/indicators?from=2025-01-01&to=2025-12-31")).await;
    let t = &i["total"];
    assert_eq!(t["substantive_closures"]["value"].as_f64(), Some(2.0));
    assert_eq!(t["procedural_closures"]["value"].as_f64(), Some(1.0));
    // a: in time; b: closed 06-01 after its 60 日 (due 04-30); c: in time.
    assert_eq!(t["on_time_closure_rate"]["numerator"], 2);
    assert_eq!(t["on_time_closure_rate"]["denominator"], 3);

    let l = get(r.url("/api/v1/statistics/review-ladder?from=2025-01-01&to=2025-12-31")).await;
    assert_eq!(l["handling"]["opinions_issued"], 1);
    assert_eq!(l["handling"]["delivery_rate"], 1.0);
    assert_eq!(l["review"]["requests"], 1);
    assert_eq!(l["review"]["opinions_issued"], 2);
    assert_eq!(l["review"]["outcomes"]["uphold"], 1);
    assert_eq!(l["review"]["outcome_rates"]["revoke"], 0.5);
    assert_eq!(l["review"]["delivery_rate"], 0.0);
    r.stop().await;
}

#[tokio::test]
async fn a_newly_published_year_sends_the_due_dates_it_gives_back_to_administrative_review() {
    let env = TestEnv::new();
    let r = start(&env, &ManualClock::new(d("2026-12-18")), json!({})).await;
    let case = new_case(&r, d("2026-12-10")).await;
    // 12-10 + 60 日 falls in 2027, whose arrangement is not published yet: a provisional (暂定) due
    // date from the statutory holidays and weekends, and administrative review is told it.
    r.apply(&started(case, "2026-12-10"), Some(case)).await;
    assert_eq!(
        projections(&r, case).await,
        vec![("handling".into(), Some("2027-02-11".to_string()), 0)]
    );
    let admin = xinfang_test_support::token("admin-1", BUREAU, &[xinfang_platform::Role::Admin]);
    let res = r
        .client
        .post(r.url("/api/v1/calendar/years"))
        .bearer_auth(admin)
        .json(&json!({
            "year": 2027,
            "source": "测试用：虚构的 2027 年节假日安排",
            "holidays": [ { "name": "春节", "from": "2027-02-05", "to": "2027-02-11" } ],
            "make_up_working_days": []
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    // 12-10 + 60 日 = 2027-02-08, in the (fictional) Spring Festival: the first working day after.
    assert_eq!(r.deadline(case, "handling").await.2, Some(d("2027-02-12")));
    assert_eq!(
        projections(&r, case).await.last().unwrap(),
        &("handling".to_string(), Some("2027-02-12".to_string()), 0)
    );
    r.stop().await;
}
