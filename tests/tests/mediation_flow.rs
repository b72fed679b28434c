//! From registration through mediation to a substantive closure (实体性办结): intake registers and
//! accepts a claim, mediation takes it with both parties' consent, a session is held, the written
//! agreement is signed; supervision counts the mediation as a success, the case as closed on its
//! merits, opens the 30-day judicial-confirmation window, and shows the mediation figures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{Days, Utc};
use serde_json::{json, Value};
use xinfang_e2e::Platform;
use xinfang_platform::{time::today_in_china, Role};
use xinfang_test_support::{clerk_token, token, wait_for, BUREAU};

const TOWN: &str = "140423-GHZ";

async fn post(p: &Platform, url: String, token: &str, body: Value) -> Value {
    let res = p
        .client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!((200..300).contains(&status), "{status}: {body}");
    body
}

async fn until(
    p: &Platform,
    what: &str,
    url: String,
    bearer: &str,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    wait_for(what, Duration::from_secs(30), || {
        let (url, ok) = (url.clone(), &ok);
        async move {
            let res = p.client.get(url).bearer_auth(bearer).send().await.ok()?;
            if res.status() != 200 {
                return None;
            }
            let body: Value = res.json().await.ok()?;
            ok(&body).then_some(body)
        }
    })
    .await
}

#[tokio::test]
async fn a_claim_mediated_to_a_written_agreement_closes_substantively_and_counts_in_supervision() {
    let p = Platform::start().await;
    let clerk = clerk_token();
    let reg = post(
        &p,
        p.intake.url("/api/v1/petitions"),
        &clerk,
        json!({
        "channel": "visit", "summary": "承包地边界被邻居侵占", "category": "claim",
        "field": "agriculture_rural", "township": "古韩镇", "petitioners": [{ "name": "张三" }] }),
    )
    .await;
    let case_id = reg["id"].as_str().unwrap().to_string();
    post(
        &p,
        p.intake
            .url(&format!("/api/v1/petitions/{case_id}/decisions")),
        &clerk,
        json!({ "kind": "accept", "reason": "属于本机关职责范围" }),
    )
    .await;

    // Mediation knows the case from intake's events.
    until(
        &p,
        "the case in mediation's register",
        p.mediation.url(&format!("/api/v1/cases/{case_id}")),
        &clerk,
        |c| c["case_id"].is_string(),
    )
    .await;
    let admin = token("admin", BUREAU, &[Role::Admin]);
    let body = post(
        &p,
        p.mediation.url("/api/v1/mediation-bodies"),
        &admin,
        json!({
        "name": "古韩镇人民调解委员会", "kind": "township_committee", "township": "古韩镇",
        "fields": ["agriculture_rural"], "contact": "0355-7000001", "unit_code": TOWN }),
    )
    .await;
    let head = token("head", TOWN, &[Role::UnitHead]);
    let mediator = post(&p, p.mediation.url("/api/v1/mediators"), &head, json!({
        "name": "王五", "body_id": body["id"], "kind": "five_elders", "fields": ["agriculture_rural"], "townships": ["古韩镇"] })).await;

    // Referral at acceptance, both parties' consent, the suggested mediator, one session.
    let referred = post(&p, p.mediation.url("/api/v1/mediations"), &clerk, json!({
        "petition_id": case_id, "stage": "acceptance", "body_id": body["id"],
        "parties": [{ "name": "张三", "role": "applicant" }, { "name": "李四", "role": "respondent" }],
        "summary": "承包地边界争议" })).await;
    let m = referred["mediation"]["id"].as_str().unwrap().to_string();
    let med = token("med", TOWN, &[Role::Mediator]);
    for party in ["张三", "李四"] {
        post(
            &p,
            p.mediation.url(&format!("/api/v1/mediations/{m}/consents")),
            &med,
            json!({ "party": party, "consented": true, "method": "written" }),
        )
        .await;
    }
    let res = p
        .client
        .get(
            p.mediation
                .url(&format!("/api/v1/mediations/{m}/mediator-suggestions")),
        )
        .bearer_auth(&med)
        .send()
        .await
        .unwrap();
    let suggested: Value = res.json().await.unwrap();
    assert_eq!(suggested["mediators"][0]["mediator_id"], mediator["id"]);
    post(
        &p,
        p.mediation.url(&format!("/api/v1/mediations/{m}/mediator")),
        &med,
        json!({ "mediator_id": mediator["id"], "reason": "系统推荐第 1 位" }),
    )
    .await;
    let day = Utc::now()
        .date_naive()
        .checked_add_days(Days::new(1))
        .unwrap();
    let v = post(
        &p,
        p.mediation.url(&format!("/api/v1/mediations/{m}/sessions")),
        &med,
        json!({
        "starts_at": format!("{day}T01:00:00Z"), "ends_at": format!("{day}T02:00:00Z"),
        "place": "古韩镇司法所", "participants": ["张三", "李四"] }),
    )
    .await;
    let session = v["sessions"][0]["id"].as_str().unwrap().to_string();
    post(
        &p,
        p.mediation.url(&format!("/api/v1/sessions/{session}/held")),
        &med,
        json!({
        "attendance": [{ "name": "张三", "present": true }, { "name": "李四", "present": true }],
        "record": "双方同意按 2003 年登记图确定边界" }),
    )
    .await;
    let today = today_in_china();
    let v = post(&p, p.mediation.url(&format!("/api/v1/mediations/{m}/agreement")), &med, json!({
        "form": "written", "dispute": "承包地边界", "terms": "按 2003 年登记图确定边界，李四移除界桩",
        "perform_by": today.to_string(),
        "signatures": [{ "party": "张三", "signed_on": today.to_string() }, { "party": "李四", "signed_on": today.to_string() }] })).await;
    assert_eq!(v["mediation"]["outcome"], "agreement");

    // Supervision: the indicators count the mediation as a success and the case as closed on its
    // merits; the judicial-confirmation window is open; the mediation figures show it.
    let supervisor = token("sup", BUREAU, &[Role::Supervisor]);
    let period = format!("from={today}&to={today}");
    let ind = until(
        &p,
        "mediation in the indicators",
        p.supervision
            .url(&format!("/api/v1/statistics/indicators?{period}")),
        &supervisor,
        |r| r["total"]["mediation_success_rate"]["numerator"] == 1,
    )
    .await;
    let rate = &ind["total"]["mediation_success_rate"];
    assert_eq!(
        (
            rate["status"].as_str(),
            rate["denominator"].as_i64(),
            rate["value"].as_f64()
        ),
        (Some("measured"), Some(1), Some(1.0))
    );
    // Administrative review closed handling on the agreement (实体性办结, case.closed), and the
    // indicators count it as a substantive closure.
    let ind = until(
        &p,
        "the substantive closure in the indicators",
        p.supervision
            .url(&format!("/api/v1/statistics/indicators?{period}")),
        &supervisor,
        |r| r["total"]["substantive_closures"]["value"].as_f64() == Some(1.0),
    )
    .await;
    assert_eq!(
        ind["total"]["procedural_closures"]["value"].as_f64(),
        Some(0.0)
    );
    let closure: (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT closure_kind, mediation_outcome FROM case_facts WHERE case_id = $1::uuid",
    )
    .bind(&case_id)
    .fetch_one(&p.supervision.app.pool)
    .await
    .unwrap();
    assert_eq!(
        closure,
        (Some("substantive".to_string()), Some("success".to_string()))
    );
    let deadlines = until(
        &p,
        "the judicial-confirmation window",
        p.supervision
            .url(&format!("/api/v1/cases/{case_id}/deadlines")),
        &supervisor,
        |d| {
            d.as_array()
                .is_some_and(|a| a.iter().any(|x| x["kind"] == "judicial_confirmation"))
        },
    )
    .await;
    let window = deadlines
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "judicial_confirmation")
        .unwrap();
    assert_eq!(window["status"], "open", "{window}");
    let figures = until(
        &p,
        "the mediation figures",
        p.supervision.url(&format!(
            "/api/v1/statistics/mediation?{period}&group_by=body"
        )),
        &supervisor,
        |r| r["total"]["agreements"] == 1,
    )
    .await;
    assert_eq!(figures["total"]["referrals"], 1);
    assert_eq!(figures["total"]["success_rate"].as_f64(), Some(1.0));
    assert_eq!(figures["groups"][0]["key"], body["id"]);
    // The case's timeline shows the mediation.
    let timeline = until(
        &p,
        "mediation on the timeline",
        p.supervision
            .url(&format!("/api/v1/cases/{case_id}/timeline")),
        &supervisor,
        |t| t.to_string().contains("mediation.mediation.concluded.v1"),
    )
    .await;
    assert!(timeline
        .to_string()
        .contains("mediation.agreement.reached.v1"));
    p.stop().await;
}
