//! One petition from registration to finality across the services (行政三级办理全流程): intake
//! registers and accepts a claim; administrative review handles it (extension, opinion, delivery),
//! the organ above reviews it, the organ above that re-reviews it after a hearing; supervision opens,
//! moves and closes each clock from administrative review's events and sends their due dates back;
//! the re-review opinion's delivery makes the case final, and intake then bars the same matter
//! (不再受理, art 36 ¶3).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{json, Value};
use xinfang_e2e::Platform;
use xinfang_platform::{time::today_in_china, Role};
use xinfang_test_support::{clerk_token, token, wait_for};

const CENTRE: &str = "140423-LDJC";
const RSJ: &str = "140423-RSJ";
const COUNTY: &str = "140423-ZF";

fn handler(unit: &str) -> String {
    token(&format!("h@{unit}"), unit, &[Role::Handler])
}

fn head(unit: &str) -> String {
    token(&format!("head@{unit}"), unit, &[Role::UnitHead])
}

async fn call(p: &Platform, method: &str, url: String, token: &str, body: Value) -> (u16, Value) {
    let req = match method {
        "GET" => p.client.get(url),
        _ => p.client.post(url).json(&body),
    };
    let res = req.bearer_auth(token).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Poll a GET until `ok` accepts the body.
async fn until(
    p: &Platform,
    what: &str,
    url: String,
    token: &str,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    wait_for(what, Duration::from_secs(30), || {
        let (url, ok) = (url.clone(), &ok);
        async move {
            let (status, body) = call(p, "GET", url, token, Value::Null).await;
            (status == 200 && ok(&body)).then_some(body)
        }
    })
    .await
}

fn deadline<'a>(v: &'a Value, kind: &str) -> Option<&'a Value> {
    v.as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|d| d["kind"] == kind)
}

fn status_of(v: &Value, kind: &str) -> Option<String> {
    deadline(v, kind).map(|d| d["status"].as_str().unwrap().to_string())
}

/// A change to the case at its current version.
async fn act(p: &Platform, id: &str, path: &str, token: &str, mut body: Value) -> Value {
    let (_, case) = call(
        p,
        "GET",
        p.review.url(&format!("/api/v1/handling/cases/{id}")),
        &clerk_token(),
        Value::Null,
    )
    .await;
    body["version"] = case["version"].clone();
    let (status, v) = call(p, "POST", p.review.url(path), token, body).await;
    assert!((200..300).contains(&status), "{path}: {status} {v}");
    v
}

async fn issue_opinion(p: &Platform, id: &str, unit: &str, outcome: &str) -> String {
    let v = act(
        p,
        id,
        &format!("/api/v1/handling/cases/{id}/opinions"),
        &handler(unit),
        json!({ "outcome": outcome, "facts": "经调查核实，欠薪属实", "reasons": "依法应予支付",
                "legal_basis": "《保障农民工工资支付条例》" }),
    )
    .await;
    let opinion = v["id"].as_str().unwrap().to_string();
    act(
        p,
        id,
        &format!("/api/v1/handling/opinions/{opinion}/approval"),
        &head(unit),
        json!({}),
    )
    .await;
    act(
        p,
        id,
        &format!("/api/v1/handling/opinions/{opinion}/issue"),
        &handler(unit),
        json!({}),
    )
    .await;
    opinion
}

async fn deliver(p: &Platform, id: &str, opinion: &str, unit: &str) {
    act(p, id, &format!("/api/v1/handling/opinions/{opinion}/delivery"), &handler(unit),
        json!({ "delivered_on": today_in_china(), "method": "in_person", "proof": "信访人张三当面签收" })).await;
}

#[tokio::test]
async fn a_claim_goes_from_registration_through_review_and_re_review_to_finality() {
    let p = Platform::start().await;
    let today = today_in_china().to_string();
    // The seeded units directory: 劳动保障监察大队 → 人社局 → 县政府 → 市政府 (outside).
    // Today's clocks end in 2027: the operator publishes that year's arrangement (a fixture here,
    // not the State Council's text), as supervision's calendar API allows at run time.
    let admin = token("admin", xinfang_test_support::BUREAU, &[Role::Admin]);
    let (s, v) = call(
        &p,
        "POST",
        p.supervision.url("/api/v1/calendar/years"),
        &admin,
        json!({
            "year": 2027,
            "source": "测试用年度安排（非官方）",
            "holidays": [
                { "name": "元旦", "from": "2027-01-01", "to": "2027-01-03" },
                { "name": "春节", "from": "2027-02-06", "to": "2027-02-13" },
                { "name": "国庆", "from": "2027-10-01", "to": "2027-10-07" }
            ],
            "make_up_working_days": [{ "date": "2027-02-14", "for": "春节" }]
        }),
    )
    .await;
    assert_eq!(s, 200, "{v}");

    // Registration and acceptance at the window.
    let claim = json!({ "channel": "visit", "summary": "拖欠工资三个月未发放", "category": "claim",
                        "field": "labour_social_security", "township": "古韩镇", "petitioners": [{ "name": "张三" }] });
    let reg = p.register(&claim).await;
    let id = reg["id"].as_str().unwrap().to_string();
    let (s, d) = call(
        &p,
        "POST",
        p.intake.url(&format!("/api/v1/petitions/{id}/decisions")),
        &clerk_token(),
        json!({ "kind": "accept", "reason": "属于本机关职责范围", "handling_unit": CENTRE }),
    )
    .await;
    assert_eq!(s, 201, "{d}");

    // Handling starts in the centre's queue with the due date supervision computed.
    let queue = until(
        &p,
        "the case in the centre's queue with its due date",
        p.review.url("/api/v1/handling/queue"),
        &handler(CENTRE),
        |q| {
            q.as_array().is_some_and(|a| {
                a.iter()
                    .any(|i| i["case_id"] == id.as_str() && i["due_on"].is_string())
            })
        },
    )
    .await;
    let item = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["case_id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(item["clock"], "handling");
    let deadlines_url = p.supervision.url(&format!("/api/v1/cases/{id}/deadlines"));
    let clocks = until(
        &p,
        "handling clock",
        deadlines_url.clone(),
        &clerk_token(),
        |b| status_of(b, "handling").as_deref() == Some("open"),
    )
    .await;
    assert_eq!(
        deadline(&clocks, "handling").unwrap()["due_date"],
        item["due_on"]
    );

    // Extension (art 34): requested by the handler, approved by the head; supervision moves the clock.
    let v = act(
        &p,
        &id,
        &format!("/api/v1/handling/cases/{id}/extensions"),
        &handler(CENTRE),
        json!({ "days": 30, "reason": "涉及多家用工单位，需调查核实" }),
    )
    .await;
    let ext = v["id"].as_str().unwrap();
    act(
        &p,
        &id,
        &format!("/api/v1/handling/cases/{id}/extensions/{ext}/decision"),
        &head(CENTRE),
        json!({ "approve": true }),
    )
    .await;
    let clocks = until(
        &p,
        "handling extended",
        deadlines_url.clone(),
        &clerk_token(),
        |b| {
            deadline(b, "handling")
                .is_some_and(|d| d["extensions"].as_array().is_some_and(|e| e.len() == 1))
        },
    )
    .await;
    let extended_due = deadline(&clocks, "handling").unwrap()["due_date"].clone();
    let case_url = p.review.url(&format!("/api/v1/handling/cases/{id}"));
    until(
        &p,
        "extension notice requested with the new date",
        case_url.clone(),
        &clerk_token(),
        |c| c["extensions"][0]["extended_due_on"] == extended_due,
    )
    .await;

    // Opinion, delivery; supervision meets handling, then delivery, and opens the review window.
    let first = issue_opinion(&p, &id, CENTRE, "reject").await;
    until(
        &p,
        "handling met, delivery clock open",
        deadlines_url.clone(),
        &clerk_token(),
        |b| {
            status_of(b, "handling").as_deref() == Some("met")
                && status_of(b, "opinion_delivery").as_deref() == Some("open")
        },
    )
    .await;
    deliver(&p, &id, &first, CENTRE).await;
    until(
        &p,
        "review window projected back",
        case_url.clone(),
        &clerk_token(),
        |c| {
            c["clocks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"] == "review_window" && k["due_on"].is_string())
        },
    )
    .await;
    let clocks = until(
        &p,
        "review window open",
        deadlines_url.clone(),
        &clerk_token(),
        |b| {
            status_of(b, "review_window").as_deref() == Some("open")
                && status_of(b, "opinion_delivery").as_deref() == Some("met")
        },
    )
    .await;
    assert_eq!(
        deadline(&clocks, "review_window").unwrap()["start_date"],
        today.as_str()
    );

    // Review (复查) by the 人社局.
    let (s, v) = call(
        &p,
        "POST",
        p.review
            .url(&format!("/api/v1/handling/cases/{id}/review-requests")),
        &handler(RSJ),
        json!({}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    until(
        &p,
        "review clock",
        deadlines_url.clone(),
        &clerk_token(),
        |b| {
            status_of(b, "review_window").as_deref() == Some("met")
                && status_of(b, "review").as_deref() == Some("open")
        },
    )
    .await;
    let review = issue_opinion(&p, &id, RSJ, "uphold").await;
    deliver(&p, &id, &review, RSJ).await;
    until(
        &p,
        "re-review window projected back",
        case_url.clone(),
        &clerk_token(),
        |c| {
            c["clocks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"] == "re_review_window" && k["due_on"].is_string())
        },
    )
    .await;

    // Re-review (复核) by the county government, with a hearing.
    let (s, v) = call(
        &p,
        "POST",
        p.review
            .url(&format!("/api/v1/handling/cases/{id}/review-requests")),
        &handler(COUNTY),
        json!({}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    until(
        &p,
        "re-review clock",
        deadlines_url.clone(),
        &clerk_token(),
        |b| status_of(b, "re_review").as_deref() == Some("open"),
    )
    .await;
    let v = act(&p, &id, &format!("/api/v1/handling/cases/{id}/hearings"), &handler(COUNTY),
        json!({ "scheduled_on": today, "place": "县信访局听证室", "chair": "王五", "participants": ["张三"] })).await;
    let hearing = v["id"].as_str().unwrap();
    act(&p, &id, &format!("/api/v1/handling/hearings/{hearing}/record"), &handler(COUNTY),
        json!({ "held_from": today, "held_to": today, "participants": ["张三"], "record": "听证笔录" })).await;
    let last = issue_opinion(&p, &id, COUNTY, "uphold").await;
    deliver(&p, &id, &last, COUNTY).await;

    // Final: administrative review says so, supervision's clocks are all met, intake bars the matter.
    let case = until(&p, "final", case_url.clone(), &clerk_token(), |c| {
        c["step"] == "final"
    })
    .await;
    assert_eq!(case["final_level"], "re_review");
    assert_eq!(case["final_opinion_id"], last.as_str());
    let clocks = until(
        &p,
        "every clock closed",
        deadlines_url.clone(),
        &clerk_token(),
        |b| {
            b.as_array()
                .unwrap()
                .iter()
                .all(|d| d["status"] != "open" && d["status"] != "paused")
        },
    )
    .await;
    assert_eq!(status_of(&clocks, "re_review").as_deref(), Some("met"));
    let again = p.register(&claim).await;
    let again_id = again["id"].as_str().unwrap().to_string();
    let pool = p.intake.app.pool.clone();
    let case_uuid: uuid::Uuid = id.parse().unwrap();
    wait_for(
        "intake knows the case is final",
        Duration::from_secs(30),
        || {
            let pool = pool.clone();
            async move {
                let level: Option<String> =
                    sqlx::query_scalar("SELECT final_level FROM petitions WHERE id = $1")
                        .bind(case_uuid)
                        .fetch_one(&pool)
                        .await
                        .ok()?;
                (level.as_deref() == Some("re_review")).then_some(())
            }
        },
    )
    .await;
    let (s, barred) = call(
        &p,
        "POST",
        p.intake
            .url(&format!("/api/v1/petitions/{again_id}/decisions")),
        &clerk_token(),
        json!({ "kind": "bar", "prior_petition_id": id }),
    )
    .await;
    assert_eq!(s, 201, "{barred}");
    assert_eq!(barred["details"]["ground"], "final_after_re_review");
    assert_eq!(barred["notice"], "不再受理告知书");

    // Supervision's figures: the ladder and the closure kind.
    let supervisor = token("s", xinfang_test_support::BUREAU, &[Role::Supervisor]);
    let ladder = until(
        &p,
        "ladder figures",
        p.supervision.url(&format!(
            "/api/v1/statistics/review-ladder?from={today}&to={today}"
        )),
        &supervisor,
        |l| l["re_review"]["finalized"] == 1,
    )
    .await;
    assert_eq!(ladder["handling"]["opinions_delivered"], 1);
    assert_eq!(ladder["review"]["outcomes"]["uphold"], 1);
    assert_eq!(ladder["re_review"]["requests"], 1);
    let indicators = until(
        &p,
        "closure counted",
        p.supervision.url(&format!(
            "/api/v1/statistics/indicators?from={today}&to={today}"
        )),
        &supervisor,
        |i| {
            i["total"]["substantive_closures"]["value"]
                .as_f64()
                .is_some_and(|v| v >= 1.0)
        },
    )
    .await;
    assert_eq!(indicators["total"]["on_time_closure_rate"]["numerator"], 1);

    // The notices in notification, each rendered with the data its text needs: the acceptance
    // notice, 延期告知书 with its reason, the three opinions with their outcomes, the hearing notice;
    // and 不再受理告知书 for the repeated matter.
    let notices = until(
        &p,
        "every notice of the ladder",
        p.notification.url(&format!("/api/v1/cases/{id}/notices")),
        &clerk_token(),
        |b| {
            let kinds = notice_kinds(b);
            [
                "acceptance_notice",
                "extension_notice",
                "handling_opinion",
                "review_opinion",
                "hearing_notice",
                "re_review_opinion",
            ]
            .iter()
            .all(|k| kinds.iter().any(|have| have == k))
        },
    )
    .await;
    let body_of = |kind: &str| -> String {
        notices
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == kind && n["recipient_kind"] == "petitioner")
            .or_else(|| {
                notices
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|n| n["kind"] == kind)
            })
            .map(|n| {
                format!(
                    "{} {}",
                    n["title"].as_str().unwrap_or(""),
                    n["body"].as_str().unwrap_or("")
                )
            })
            .unwrap_or_default()
    };
    let extension = body_of("extension_notice");
    assert!(extension.contains("延期"), "{extension}");
    assert!(extension.contains("涉及多家用工单位"), "{extension}");
    let handling = body_of("handling_opinion");
    assert!(handling.contains("不予支持"), "{handling}");
    assert!(
        body_of("review_opinion").contains("维持"),
        "{}",
        body_of("review_opinion")
    );
    assert!(
        body_of("hearing_notice").contains("王五"),
        "{}",
        body_of("hearing_notice")
    );
    assert!(
        body_of("re_review_opinion").contains("维持"),
        "{}",
        body_of("re_review_opinion")
    );
    let barred_notices = until(
        &p,
        "不再受理告知书 for the repeated matter",
        p.notification
            .url(&format!("/api/v1/cases/{again_id}/notices")),
        &clerk_token(),
        |b| notice_kinds(b).iter().any(|k| k == "bar_notice"),
    )
    .await;
    let bar = barred_notices
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "bar_notice")
        .unwrap();
    assert_eq!(bar["title"], "不再受理告知书", "{bar}");
    assert!(
        bar["body"].as_str().unwrap().contains("第三十六条"),
        "{bar}"
    );

    p.stop().await;
}

fn notice_kinds(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n["kind"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
