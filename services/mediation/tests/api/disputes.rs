//! The dispute register (源头预防): a dispute found before it became a petition, mediated and
//! resolved.

use serde_json::json;
use xinfang_platform::Role;
use xinfang_test_support::token;

use crate::helpers::{id, Ctx, OTHER_TOWN, TOWN};

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
