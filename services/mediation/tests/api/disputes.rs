//! The dispute register (源头预防): a dispute found before it became a petition, mediated and
//! resolved.

use serde_json::json;
use xinfang_platform::Role;
use xinfang_test_support::token;

use crate::helpers::{days_ago, id, session, Ctx, OTHER_TOWN, TOWN};

#[tokio::test]
async fn a_dispute_registered_by_township_and_field_is_resolved_before_it_becomes_a_petition() {
    let ctx = Ctx::start().await;
    // The township's grid staff register it (a handler of the township unit).
    let grid = token("grid", TOWN, &[Role::Handler]);
    let (s, d) = ctx
        .post(
            "/api/v1/disputes",
            &grid,
            json!({
        "township": "古韩镇", "field": "agriculture_rural", "summary": "两户因宅基地滴水檐发生争执",
        "parties": ["王大", "王二"] }),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["status"], "open");
    let dispute = id(&d);
    // A petition field is refused for a pre-petition referral.
    let (s, v) = ctx.post("/api/v1/mediations", &grid, json!({
        "petition_id": dispute, "stage": "pre_petition", "body_id": ctx.body_id,
        "parties": [{ "name": "王大", "role": "applicant" }, { "name": "王二", "role": "respondent" }], "summary": "滴水檐" })).await;
    assert_eq!(
        (s, v["details"]["field"].as_str()),
        (422, Some("dispute_id")),
        "{v}"
    );
    let (s, v) = ctx.post("/api/v1/mediations", &grid, json!({
        "dispute_id": dispute, "stage": "pre_petition", "body_id": ctx.body_id,
        "parties": [{ "name": "王大", "role": "applicant" }, { "name": "王二", "role": "respondent" }], "summary": "滴水檐" })).await;
    assert_eq!(s, 201, "{v}");
    let m = id(&v["mediation"]);
    let med = ctx.mediator();
    for party in ["王大", "王二"] {
        let (s, _) = ctx
            .post(
                &format!("/api/v1/mediations/{m}/consents"),
                &med,
                json!({ "party": party, "consented": true, "method": "written" }),
            )
            .await;
        assert_eq!(s, 200);
    }
    let (s, _) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/mediator"),
            &med,
            json!({ "mediator_id": ctx.wang, "reason": "本村调解员" }),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/agreement"),
            &med,
            json!({
        "form": "oral", "dispute": "滴水檐", "terms": "王二加装雨水槽" }),
        )
        .await;
    assert_eq!(s, 201, "{v}");

    // The register shows it resolved; another township's staff do not see it; the bureau does.
    let (s, list) = ctx
        .get(
            "/api/v1/disputes?township=古韩镇&field=agriculture_rural",
            &grid,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(list[0]["status"], "resolved", "{list}");
    let (_, other) = ctx
        .get(
            "/api/v1/disputes",
            &token("x", OTHER_TOWN, &[Role::Handler]),
        )
        .await;
    assert!(other.as_array().unwrap().is_empty());
    let (_, county) = ctx
        .get("/api/v1/disputes?status=resolved", &ctx.clerk())
        .await;
    assert_eq!(county.as_array().unwrap().len(), 1);

    // Resolved before any petition: DisputeResolved, and no MediationConcluded (no petition).
    let resolved = ctx.payloads("mediation.dispute.resolved.v1").await;
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["township"], "古韩镇");
    assert!(ctx
        .payloads("mediation.mediation.concluded.v1")
        .await
        .is_empty());
    let ended = ctx.payloads("mediation.mediation.ended.v1").await;
    assert_eq!(ended[0]["dispute_id"], dispute.to_string());
    assert_eq!(
        ctx.payloads("mediation.dispute.registered.v1").await.len(),
        1
    );
    // A resolved dispute is not referred again.
    let (s, _) = ctx.post("/api/v1/mediations", &grid, json!({
        "dispute_id": dispute, "stage": "pre_petition", "body_id": ctx.body_id,
        "parties": [{ "name": "王大", "role": "applicant" }, { "name": "王二", "role": "respondent" }], "summary": "滴水檐" })).await;
    assert_eq!(s, 409);
    ctx.stop().await;
}

#[tokio::test]
async fn the_parties_of_a_dispute_are_each_given_the_mediation_notice_and_the_agreement() {
    let ctx = Ctx::start().await;
    let grid = token("grid", TOWN, &[Role::Handler]);
    let (s, d) = ctx
        .post(
            "/api/v1/disputes",
            &grid,
            json!({
        "township": "古韩镇", "field": "agriculture_rural", "summary": "两户因灌溉水渠改道发生争执",
        "parties": ["刘一", "陈二"] }),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    let dispute = id(&d);
    let (s, v) = ctx.post("/api/v1/mediations", &grid, json!({
        "dispute_id": dispute, "stage": "pre_petition", "body_id": ctx.body_id,
        "parties": [{ "name": "刘一", "role": "applicant" }, { "name": "陈二", "role": "respondent" }],
        "summary": "灌溉水渠改道" })).await;
    assert_eq!(s, 201, "{v}");
    let m = id(&v["mediation"]);
    let med = ctx.mediator();
    for party in ["刘一", "陈二"] {
        let (s, _) = ctx
            .post(
                &format!("/api/v1/mediations/{m}/consents"),
                &med,
                json!({ "party": party, "consented": true, "method": "written" }),
            )
            .await;
        assert_eq!(s, 200);
    }
    let (s, _) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/mediator"),
            &med,
            json!({ "mediator_id": ctx.wang, "reason": "本镇调解员" }),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/sessions"),
            &med,
            session(2, Some("二号调解室")),
        )
        .await;
    assert_eq!(s, 201, "{v}");

    // 调解通知: one to each party by name, under the dispute and its reference.
    let notices = ctx.payloads("mediation.notice.requested.v1").await;
    assert_eq!(notices.len(), 2, "{notices:?}");
    let reference = format!("纠纷-{dispute}");
    for (n, party) in notices.iter().zip(["刘一", "陈二"]) {
        assert_eq!(n["template"], "dispute_mediation_notice");
        assert_eq!(n["fields"]["addressee"], party);
        assert_eq!(n["fields"]["dispute"], "灌溉水渠改道");
        assert_eq!(n["fields"]["mediator"], "王五");
        assert_eq!(n["petition_id"], dispute.to_string());
        assert_eq!(n["case_number"], reference.as_str());
        assert_eq!(n["issuing_unit"], TOWN);
    }
    assert_ne!(notices[0]["request_id"], notices[1]["request_id"]);

    // A written agreement: 调解协议书 to each party.
    let (s, v) = ctx.post(&format!("/api/v1/mediations/{m}/agreement"), &med, json!({
        "form": "written", "dispute": "灌溉水渠改道", "terms": "陈二恢复原水渠走向，刘一承担一半费用",
        "perform_by": days_ago(0).to_string(),
        "signatures": [{ "party": "刘一", "signed_on": days_ago(0).to_string() }, { "party": "陈二", "signed_on": days_ago(0).to_string() }] })).await;
    assert_eq!(s, 201, "{v}");
    let agreement = id(&v["agreement"]);
    let notices = ctx.payloads("mediation.notice.requested.v1").await;
    assert_eq!(notices.len(), 4, "{notices:?}");
    for (n, party) in notices[2..].iter().zip(["刘一", "陈二"]) {
        assert_eq!(n["template"], "mediation_agreement");
        assert_eq!(n["fields"]["addressee"], party);
        assert_eq!(n["fields"]["parties"], "刘一、陈二");
        assert_eq!(n["case_number"], reference.as_str());
    }
    // The application for judicial confirmation names the dispute (supervision's clock).
    let (s, v) = ctx
        .post(
            &format!("/api/v1/agreements/{agreement}/judicial-confirmation"),
            &med,
            json!({ "court": "襄垣县人民法院", "applied_on": days_ago(0).to_string() }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let applied = ctx
        .payloads("mediation.judicial_confirmation.applied.v1")
        .await;
    assert_eq!(applied[0]["dispute_id"], dispute.to_string());
    assert!(applied[0]["petition_id"].is_null());
    let reached = ctx.payloads("mediation.agreement.reached.v1").await;
    assert_eq!(reached[0]["dispute_id"], dispute.to_string());
    ctx.stop().await;
}
