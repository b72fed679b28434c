//! Every clock opened by its event with the right due date; cancelled when it closes, moved by an
//! extension, paused by a clock stop; and each of the five assessment findings produced by a
//! constructed case.

use crate::helpers::replica::*;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use supervision::deadlines::{domain::calendar::ManualClock, workers::fire_due_steps};
use uuid::Uuid;
use xinfang_contracts::events::{
    AssignmentAcceptedV1, AssignmentObjectedV1, CaseFinalizedV1, Category, Channel,
    PetitionAcceptedV1, PetitionAssignedV1, PetitionTransferredV1, VisitLoggedV1,
};
use xinfang_contracts::intake_legal::AssignmentObjectionRuledV1;
use xinfang_platform::Role;
use xinfang_test_support::{token, TestEnv};

const HOUSING: &str = "140423-ZJJ";
const LABOUR: &str = "140423-RSJ";

fn accepted(case: Uuid, on: &str, unit: &str, simple: bool) -> PetitionAcceptedV1 {
    PetitionAcceptedV1 {
        petition_id: case,
        case_number: "140423-2025-000001".into(),
        accepted_on: d(on),
        decided_by_unit: BUREAU.into(),
        handling_unit: Some(unit.into()),
        category: Some(Category::Claim),
        simple_track: simple,
        reason: "属于本机关职权范围".into(),
    }
}

#[tokio::test]
async fn each_clock_is_opened_closed_and_moved_by_its_events() {
    let env = TestEnv::new();
    let r = start(&env, &ManualClock::new(d("2024-01-01")), json!({})).await;

    // Registration: acceptance 15 日; 2025-09-26 + 15 = 10-11, a make-up working Saturday.
    let a = new_case(&r, d("2025-09-26")).await;
    assert_eq!(
        r.deadlines(a).await,
        vec![("acceptance".into(), "open".into(), Some(d("2025-10-11")))]
    );
    // A matter assigned in from above carries the upstream body's date.
    let up = Uuid::now_v7();
    let mut e = registered(up, d("2025-09-26"), BUREAU);
    e.channel = Channel::AssignedIn;
    e.upstream_due_on = Some(d("2025-10-31"));
    r.apply(&e, Some(up)).await;
    assert_eq!(
        r.deadline(up, "upstream_assignment").await.2,
        Some(d("2025-10-31"))
    );

    // Transfer: acceptance met; the receiving unit's notice (15 日) and objection window (5 个工作日).
    r.apply(
        &PetitionTransferredV1 {
            petition_id: a,
            case_number: "x".into(),
            decided_on: d("2025-09-26"),
            decided_by_unit: BUREAU.into(),
            to_unit: HOUSING.into(),
            reason: "属住建局职责".into(),
        },
        Some(a),
    )
    .await;
    let (acc, status, _) = r.deadline(a, "acceptance").await;
    assert_eq!(status, "met");
    assert!(r.steps(acc).await.iter().all(|(_, _, s)| s == "cancelled"));
    assert_eq!(
        r.deadline(a, "receipt_notice").await.2,
        Some(d("2025-10-11"))
    );
    let (window, _, due) = r.deadline(a, "objection_window").await;
    assert_eq!(due, Some(d("2025-10-10")));
    assert_eq!(
        r.steps(window)
            .await
            .iter()
            .map(|s| s.0.as_str())
            .collect::<Vec<_>>(),
        vec!["warning", "due"]
    );
    // The receiving unit accepts: both its clocks are met, their timers cancelled.
    r.apply(
        &AssignmentAcceptedV1 {
            petition_id: a,
            case_number: "x".into(),
            unit: HOUSING.into(),
            accepted_on: d("2025-09-29"),
        },
        Some(a),
    )
    .await;
    assert_eq!(r.deadline(a, "receipt_notice").await.1, "met");
    assert_eq!(r.deadline(a, "objection_window").await.1, "met");
    assert!(r
        .steps(window)
        .await
        .iter()
        .all(|(_, _, s)| s == "cancelled"));

    // Assignment with a date; the unit objects: its clocks close; the assignment is cancelled
    // only when the assigning organ agrees (核实同意, art 23 ¶3).
    let b = new_case(&r, d("2025-09-26")).await;
    r.apply(
        &PetitionAssignedV1 {
            petition_id: b,
            case_number: "x".into(),
            decided_on: d("2025-09-26"),
            decided_by_unit: BUREAU.into(),
            to_unit: LABOUR.into(),
            due_on: d("2025-11-10"),
            instructions: "限期办结并报告".into(),
        },
        Some(b),
    )
    .await;
    assert_eq!(r.deadline(b, "assignment").await.2, Some(d("2025-11-10")));
    r.apply(
        &AssignmentObjectedV1 {
            petition_id: b,
            case_number: "x".into(),
            unit: LABOUR.into(),
            objected_on: d("2025-09-30"),
            reasons: "不属于本机关职权范围".into(),
        },
        Some(b),
    )
    .await;
    assert_eq!(r.deadline(b, "objection_window").await.1, "met");
    assert_eq!(r.deadline(b, "assignment").await.1, "open");
    r.apply(
        &AssignmentObjectionRuledV1 {
            petition_id: b,
            case_number: "x".into(),
            unit: LABOUR.into(),
            agreed: true,
            reason: "核实同意".into(),
            ruled_on: d("2025-10-09"),
            ruled_by_unit: BUREAU.into(),
        },
        Some(b),
    )
    .await;
    assert_eq!(r.deadline(b, "assignment").await.1, "cancelled");

    // Acceptance of a claim: handling 60 日 (2025-11-25); the simple track: 10 个工作日.
    let c = new_case(&r, d("2025-09-26")).await;
    r.apply(&accepted(c, "2025-09-26", HOUSING, false), Some(c))
        .await;
    let (handling, _, due) = r.deadline(c, "handling").await;
    assert_eq!(due, Some(d("2025-11-25")));
    let s = new_case(&r, d("2025-09-26")).await;
    r.apply(&accepted(s, "2025-09-26", HOUSING, true), Some(s))
        .await;
    assert_eq!(
        r.deadline(s, "simple_opinion").await.2,
        Some(d("2025-10-16"))
    );
    let (_, status, due) = r.deadline(s, "simple_acceptance").await;
    assert_eq!((status.as_str(), due), ("met", Some(d("2025-09-30"))));

    // Extension (延期): unit heads of the handling unit only, once, at most 30 日; timers move.
    let url = r.url(&format!("/api/v1/deadlines/{handling}/extensions"));
    let head = token("head-zjj", HOUSING, &[Role::UnitHead]);
    let post = |tok: String, body: Value| {
        r.client
            .post(url.clone())
            .bearer_auth(tok)
            .json(&body)
            .send()
    };
    let ask = json!({ "days": 30, "reason": "需现场核查多方材料" });
    assert_eq!(
        post(token("h", HOUSING, &[Role::Handler]), ask.clone())
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        post(token("x", LABOUR, &[Role::UnitHead]), ask.clone())
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        post(head.clone(), json!({ "days": 31, "reason": "x" }))
            .await
            .unwrap()
            .status()
            .as_u16(),
        422
    );
    let res = post(head.clone(), ask.clone()).await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["due_date"], "2025-12-25");
    assert_eq!(view["extensions"].as_array().unwrap().len(), 1);
    let steps = r.steps(handling).await;
    assert_eq!(
        steps[1],
        ("due".into(), Some(d("2025-12-25")), "pending".into())
    );
    assert_eq!(steps[2].1, Some(d("2025-12-26")));
    assert_eq!(
        post(head.clone(), ask).await.unwrap().status().as_u16(),
        409
    );

    // The bureau's unit head cannot extend another unit's handling deadline (it sees it, but
    // the extension is the handling unit's head's to approve).
    let bureau_head = token("head-xfj", BUREAU, &[Role::UnitHead]);
    let res = r
        .client
        .post(r.url(&format!("/api/v1/deadlines/{handling}/extensions")))
        .bearer_auth(bureau_head.clone())
        .json(&json!({ "days": 10, "reason": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    // The extension is on the case timeline's feed: an event with who and why.
    let changed: Vec<Value> = sqlx::query_scalar(
        "SELECT envelope->'payload' FROM outbox WHERE routing_key = 'supervision.deadline.changed.v1'",
    )
    .fetch_all(r.pool())
    .await
    .unwrap();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0]["change"], "extend");
    assert_eq!(changed[0]["by_user"], "head-zjj");
    assert_eq!(changed[0]["reason"], "需现场核查多方材料");

    // Clock stops (中止计时) only where a law stops the clock: the handling period (art 34) has
    // no such rule; a handler may not even ask; a head of another unit neither.
    let p = new_case(&r, d("2025-09-26")).await;
    r.apply(&accepted(p, "2025-09-26", HOUSING, false), Some(p))
        .await;
    let (ph, _, _) = r.deadline(p, "handling").await;
    let stops = r.url(&format!("/api/v1/deadlines/{ph}/stops"));
    let stop_as = |tok: String| {
        r.client
            .post(stops.clone())
            .bearer_auth(tok)
            .json(&json!({ "from": "2025-10-20", "reason": "听证" }))
            .send()
    };
    let res = stop_as(token("h", HOUSING, &[Role::Handler]))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let res = stop_as(bureau_head.clone()).await.unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let res = stop_as(head.clone()).await.unwrap();
    assert_eq!(res.status().as_u16(), 409);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("中止计时"),
        "{body}"
    );
    assert_eq!(r.deadline(p, "handling").await.1, "open");

    // The case concludes: every live clock is met and its timers cancelled.
    r.apply(
        &CaseFinalizedV1 {
            petition_id: c,
            case_number: "x".into(),
            concluded_on: d("2025-12-01"),
            level: "handling".into(),
            final_opinion: None,
        },
        Some(c),
    )
    .await;
    assert_eq!(r.deadline(c, "handling").await.1, "met");
    // (none of its steps is left pending)
    assert!(r
        .steps(handling)
        .await
        .iter()
        .all(|(_, _, s)| s != "pending"));

    // The deadlines endpoint explains each deadline with its status and steps.
    let view: Value = r
        .client
        .get(r.url(&format!("/api/v1/cases/{a}/deadlines")))
        .bearer_auth(token("c", BUREAU, &[Role::Clerk]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = view
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["acceptance", "receipt_notice", "objection_window"]
    );
    assert!(view[0]["basis"].as_str().unwrap().contains("第二十二条"));
    assert_eq!(view[0]["steps"][0]["state"], "cancelled");
    // The receiving unit sees the case; an unrelated unit does not.
    let status = |tok: String| {
        r.client
            .get(r.url(&format!("/api/v1/cases/{a}/deadlines")))
            .bearer_auth(tok)
            .send()
    };
    assert_eq!(
        status(token("h", HOUSING, &[Role::Handler]))
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        status(token("h", LABOUR, &[Role::Handler]))
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    r.stop().await;
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn each_assessment_finding_is_raised_by_a_constructed_case() {
    let env = TestEnv::new();
    let r = start(&env, &ManualClock::new(d("2024-01-01")), json!({})).await;
    let limits = r.engine.limits.engine.clone();
    let sweep = |today: &str| supervision::findings::workers::sweep(r.pool(), &limits, d(today));

    // 应登记不登记: a visit logged Friday 2025-09-26 10:00 (China) must be registered by the end of
    // the next working day, the make-up Sunday 09-28. One visit is registered, the other is not.
    let (lost, kept) = (Uuid::now_v7(), Uuid::now_v7());
    for v in [lost, kept] {
        r.apply(
            &VisitLoggedV1 {
                visit_id: v,
                unit: BUREAU.into(),
                arrived_at: at("2025-09-26T02:00:00Z"),
                visitor_count: 2,
            },
            None,
        )
        .await;
    }
    let k = Uuid::now_v7();
    let mut e = registered(k, d("2025-09-26"), BUREAU);
    e.channel = Channel::Visit;
    e.visit_id = Some(kept);
    r.apply(&e, Some(k)).await;
    r.apply(
        &CaseFinalizedV1 {
            petition_id: k,
            case_number: "x".into(),
            concluded_on: d("2025-09-27"),
            level: "handling".into(),
            final_opinion: None,
        },
        Some(k),
    )
    .await;
    sweep("2025-09-28").await.unwrap();
    assert!(r.findings("unregistered_visit").await.is_empty());
    sweep("2025-09-29").await.unwrap();
    assert_eq!(
        r.findings("unregistered_visit").await,
        vec![(None, BUREAU.to_string(), format!("visit:{lost}"))]
    );

    // 应受理不受理: received 2025-09-01, no decision by 09-16; the overdue step raises it.
    let late = new_case(&r, d("2025-09-01")).await;
    let on_time = new_case(&r, d("2025-09-01")).await;
    r.apply(
        &accepted(on_time, "2025-09-10", HOUSING, false),
        Some(on_time),
    )
    .await;
    let fired = fire_due_steps(r.pool(), d("2025-09-16")).await.unwrap();
    assert_eq!(fired, 2, "warning and due of the undecided case");
    assert!(r.findings("unaccepted").await.is_empty());
    fire_due_steps(r.pool(), d("2025-09-17")).await.unwrap();
    let (acc, _, _) = r.deadline(late, "acceptance").await;
    assert_eq!(
        r.findings("unaccepted").await,
        vec![(Some(late), BUREAU.to_string(), format!("deadline:{acc}"))]
    );

    // 应办理不办理: the accepted claim (handling due 2025-11-10) is overdue on 11-11.
    fire_due_steps(r.pool(), d("2025-11-11")).await.unwrap();
    let (h, _, due) = r.deadline(on_time, "handling").await;
    assert_eq!(due, Some(d("2025-11-10")));
    assert_eq!(
        r.findings("unhandled").await,
        vec![(Some(on_time), HOUSING.to_string(), format!("deadline:{h}"))]
    );

    // 应追责不追责: the acceptance deadline went long overdue on 10-16 (due 09-16 + 30); with the
    // 15-day grace, 10-31 is still in time, 11-01 is not. The handling deadline's case has an
    // accountability case, so no finding for it.
    sqlx::query("INSERT INTO accountability_cases (id, case_id, unit_code, ground, status, opened_by) VALUES ($1, $2, $3, 'art 44', 'open', 'sup-1')")
        .bind(Uuid::now_v7())
        .bind(on_time)
        .bind(HOUSING)
        .execute(r.pool())
        .await
        .unwrap();
    fire_due_steps(r.pool(), d("2025-12-31")).await.unwrap();
    sweep("2025-10-31").await.unwrap();
    assert!(r.findings("unaccounted").await.is_empty());
    sweep("2026-01-31").await.unwrap();
    assert_eq!(
        r.findings("unaccounted").await,
        vec![(Some(late), BUREAU.to_string(), format!("deadline:{acc}"))]
    );

    // 应查处不查处: misconduct reported 2025-09-01; 30 days later with no accountability case.
    let (open_report, handled_report, acc_case) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    sqlx::query("INSERT INTO accountability_cases (id, case_id, unit_code, ground, status, opened_by) VALUES ($1, NULL, $2, 'art 46', 'open', 'sup-1')")
        .bind(acc_case)
        .bind(LABOUR)
        .execute(r.pool())
        .await
        .unwrap();
    for (id, acc_id) in [(open_report, None), (handled_report, Some(acc_case))] {
        sqlx::query("INSERT INTO misconduct_reports (id, case_id, unit_code, description, reported_by, reported_at, accountability_id)
                     VALUES ($1, $2, $3, '接访人员态度恶劣', 'p-1', '2025-09-01T10:00:00+08:00', $4)")
            .bind(id)
            .bind(late)
            .bind(LABOUR)
            .bind(acc_id)
            .execute(r.pool())
            .await
            .unwrap();
    }
    sweep("2025-10-01").await.unwrap();
    assert!(r.findings("uninvestigated").await.is_empty());
    sweep("2025-10-02").await.unwrap();
    assert_eq!(
        r.findings("uninvestigated").await,
        vec![(
            Some(late),
            LABOUR.to_string(),
            format!("misconduct:{open_report}")
        )]
    );

    // Sweeping again raises nothing new; each finding published one event.
    assert_eq!(sweep("2026-06-01").await.unwrap(), 0);
    let events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE routing_key = 'supervision.finding.raised.v1'",
    )
    .fetch_one(r.pool())
    .await
    .unwrap();
    assert_eq!(events, 5);

    // The list: county-wide sees all five; a unit sees itself; keyset pages.
    let list = |tok: String, q: &str| {
        r.client
            .get(r.url(&format!("/api/v1/findings{q}")))
            .bearer_auth(tok)
            .send()
    };
    let sup = token("sup-1", BUREAU, &[Role::Supervisor]);
    let all: Value = list(sup.clone(), "").await.unwrap().json().await.unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 5);
    let page1: Value = list(sup.clone(), "?limit=3")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page1["items"].as_array().unwrap().len(), 3);
    let next = page1["next"].as_str().unwrap().to_string();
    let page2: Value = list(sup.clone(), &format!("?limit=3&after={next}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page2["items"].as_array().unwrap().len(), 2);
    assert!(page2["next"].is_null());
    let q: Value = list(sup.clone(), "?question=unhandled")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(q["items"][0]["question_label"], "应办理不办理");
    let labour = token("head-rsj", LABOUR, &[Role::UnitHead]);
    let own: Value = list(labour.clone(), "")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(own["items"].as_array().unwrap().len(), 1);
    assert_eq!(own["items"][0]["unit_code"], LABOUR);
    assert_eq!(
        list(labour.clone(), &format!("?unit={HOUSING}"))
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    // A unit code the directory does not know is refused, naming the filter.
    let unknown = list(sup.clone(), "?unit=140423-NOPE").await.unwrap();
    assert_eq!(unknown.status().as_u16(), 422);
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(unknown["details"]["field"], "unit");
    assert_eq!(
        list(sup.clone(), "?question=nope")
            .await
            .unwrap()
            .status()
            .as_u16(),
        422
    );
    assert_eq!(
        list(token("h", LABOUR, &[Role::Handler]), "")
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );

    // Meeting the late handling deadline resolves its finding.
    r.apply(
        &CaseFinalizedV1 {
            petition_id: on_time,
            case_number: "x".into(),
            concluded_on: d("2025-11-20"),
            level: "handling".into(),
            final_opinion: None,
        },
        Some(on_time),
    )
    .await;
    let resolved: bool = sqlx::query_scalar(
        "SELECT resolved_at IS NOT NULL FROM findings WHERE question = 'unhandled'",
    )
    .fetch_one(r.pool())
    .await
    .unwrap();
    assert!(resolved);
    let late_flag: Option<bool> =
        sqlx::query_scalar("SELECT closed_late FROM deadlines WHERE id = $1")
            .bind(h)
            .fetch_one(r.pool())
            .await
            .unwrap();
    assert_eq!(late_flag, Some(true));
    r.stop().await;
}

#[tokio::test]
async fn a_backdated_registration_raises_its_current_state_once() {
    let env = TestEnv::new();
    let r = start(&env, &ManualClock::new(d("2025-12-01")), json!({})).await;
    let limits = r.engine.limits.engine.clone();
    // Received 2025-06-02, registered (entered) only on 2025-12-01: its acceptance deadline
    // (2025-06-17) is long overdue already.
    let case = new_case(&r, d("2025-06-02")).await;
    let (id, _, due) = r.deadline(case, "acceptance").await;
    assert_eq!(due, Some(d("2025-06-17")));
    fire_due_steps(r.pool(), d("2025-12-01")).await.unwrap();
    let steps = r.steps(id).await;
    let state = |name: &str| steps.iter().find(|s| s.0 == name).unwrap().2.clone();
    assert_eq!(state("long_overdue"), "fired", "{steps:?}");
    for earlier in ["warning", "due", "overdue"] {
        assert_eq!(
            state(earlier),
            "cancelled",
            "{earlier} superseded: {steps:?}"
        );
    }
    let events: Vec<Value> = sqlx::query_scalar(
        "SELECT envelope->'payload' FROM outbox WHERE routing_key = 'supervision.deadline.step_reached.v1'",
    )
    .fetch_all(r.pool())
    .await
    .unwrap();
    assert_eq!(events.len(), 1, "one reminder, not four: {events:?}");
    assert_eq!(events[0]["due_on"], "2025-06-17", "overdue since");
    // one finding (应受理不受理), not also 应追责不追责 at once: the grace runs from now
    assert_eq!(r.findings("unaccepted").await.len(), 1);
    supervision::findings::workers::sweep(r.pool(), &limits, d("2025-12-02"))
        .await
        .unwrap();
    assert!(r.findings("unaccounted").await.is_empty());
    supervision::findings::workers::sweep(r.pool(), &limits, d("2026-01-05"))
        .await
        .unwrap();
    assert_eq!(r.findings("unaccounted").await.len(), 1);
    // firing again changes nothing
    fire_due_steps(r.pool(), d("2025-12-02")).await.unwrap();
    assert_eq!(r.findings("unaccepted").await.len(), 1);
}
