//! One test per path of the ladder (三级办理): handling → opinion → delivery → no review → final;
//! → review → re-review with a hearing → final; forwarded to an organ outside the deployment; a
//! late review request; a late re-review request; an undelivered opinion; a mediation.

use serde_json::json;
use xinfang_contracts::{
    events::DeadlineStep,
    notices::{templates, MediationConcludedV1, NoticeDeliveredV1, NoticeRecipient},
};

use crate::helpers::*;

#[tokio::test]
async fn handling_opinion_delivery_and_no_review_is_final_the_day_after_the_window() {
    let a = App::spawn().await;
    let (id, number) = a.accepted_claim(RSJ, days_ago(50)).await;
    let case = a.case(id, &handler(RSJ)).await;
    assert_eq!(case["level"], "handling");
    assert_eq!(case["step"], "in_progress");
    assert_eq!(case["origin"], "accepted");
    assert_eq!(
        a.published("administrative-review.handling.started.v1", id)
            .await
            .len(),
        1
    );

    // Entries: a talk with the petitioner and evidence with its attachment's metadata.
    a.act(
        id,
        &format!("/api/v1/handling/cases/{id}/entries"),
        &handler(RSJ),
        json!({ "kind": "talk", "occurred_on": days_ago(45), "summary": "约谈信访人，听取陈述" }),
        201,
    )
    .await;
    a.act(id, &format!("/api/v1/handling/cases/{id}/entries"), &handler(RSJ),
        json!({ "kind": "evidence", "occurred_on": days_ago(44), "summary": "工资表",
                "attachments": [{ "file_name": "工资表.pdf", "sha256": "a".repeat(64), "size_bytes": 1024 }] }), 201).await;

    // A draft cannot be issued before the unit head approves it.
    let v = a.act(id, &format!("/api/v1/handling/cases/{id}/opinions"), &handler(RSJ),
        json!({ "outcome": "support", "facts": "拖欠工资属实", "reasons": "应予支付", "legal_basis": "《劳动合同法》第三十条",
                "implementation_task": "督促用人单位支付工资", "implementing_unit": RSJ, "implement_by": today() }), 201).await;
    let opinion = v["id"].as_str().unwrap().to_string();
    let v = a
        .act(
            id,
            &format!("/api/v1/handling/opinions/{opinion}/issue"),
            &handler(RSJ),
            json!({}),
            409,
        )
        .await;
    assert!(v["message"].as_str().unwrap().contains("审批"));
    // Only the unit head approves.
    a.act(
        id,
        &format!("/api/v1/handling/opinions/{opinion}/approval"),
        &handler(RSJ),
        json!({}),
        403,
    )
    .await;
    a.act(
        id,
        &format!("/api/v1/handling/opinions/{opinion}/approval"),
        &head(RSJ),
        json!({}),
        200,
    )
    .await;
    a.act(
        id,
        &format!("/api/v1/handling/opinions/{opinion}/issue"),
        &handler(RSJ),
        json!({ "issued_on": days_ago(40), "document_number": "襄人社信复〔2026〕1号" }),
        200,
    )
    .await;
    // Immutable once issued.
    a.act(
        id,
        &format!("/api/v1/handling/opinions/{opinion}/issue"),
        &handler(RSJ),
        json!({}),
        409,
    )
    .await;

    let case = a.case(id, &handler(RSJ)).await;
    assert_eq!(case["step"], "issued");
    assert_eq!(case["closure_kind"], "substantive");
    assert_eq!(case["closure_ground"], "opinion");
    let closed = a
        .published("administrative-review.case.closed.v1", id)
        .await;
    assert_eq!(closed[0]["closure"], "substantive");
    assert_eq!(closed[0]["outcome"], "support");
    let issued = a
        .published("administrative-review.opinion.issued.v1", id)
        .await;
    assert_eq!(issued[0]["implement_by"], today().to_string());
    let notice = &a.notices(id, templates::HANDLING_OPINION).await[0];
    assert_eq!(notice["fields"]["outcome"], "支持");
    assert_eq!(notice["fields"]["review_organ"], "襄垣县人民政府");
    assert_eq!(notice["document_number"], "襄人社信复〔2026〕1号");
    assert_eq!(notice["case_number"], number.as_str());

    // Delivered: the window opens (supervision projects it); lapsing unused makes the case final.
    a.deliver(id, opinion.parse().unwrap(), RSJ, days_ago(38))
        .await;
    let delivered = a
        .published("administrative-review.opinion.delivered.v1", id)
        .await;
    assert_eq!(delivered[0]["delivered_on"], days_ago(38).to_string());
    assert_eq!(delivered[0]["recorded_from"], "handler");
    let last_day = days_ago(8);
    a.project(id, "review_window", COUNTY, days_ago(38), last_day, 0)
        .await;
    // The due step changes nothing; the overdue step (the day after) does.
    a.step(id, "review_window", last_day, DeadlineStep::Due)
        .await;
    assert_eq!(a.case(id, &handler(RSJ)).await["step"], "delivered");
    a.step(id, "review_window", last_day, DeadlineStep::Overdue)
        .await;
    let case = a.case(id, &handler(RSJ)).await;
    assert_eq!(case["step"], "final");
    assert_eq!(case["final_level"], "handling");
    assert_eq!(case["final_opinion_id"], opinion.as_str());
    let finalized = a
        .published("administrative-review.case.finalized.v1", id)
        .await;
    assert_eq!(finalized.len(), 1);
    assert_eq!(finalized[0]["level"], "handling");
    assert_eq!(finalized[0]["concluded_on"], days_ago(7).to_string());
    // It carries the final opinion: id, outcome, level, dates, issuing organ.
    let last = &finalized[0]["final_opinion"];
    assert_eq!(last["opinion_id"], opinion.as_str());
    assert_eq!(last["outcome"], "support");
    assert_eq!(last["level"], "handling");
    assert_eq!(last["issued_on"], days_ago(40).to_string());
    assert_eq!(last["delivered_on"], days_ago(38).to_string());
    assert_eq!(last["issuing_unit"], RSJ);

    // Nothing more at this level; follow-up is recorded after finality.
    a.act(
        id,
        &format!("/api/v1/handling/cases/{id}/entries"),
        &handler(RSJ),
        json!({ "kind": "talk", "occurred_on": today(), "summary": "x" }),
        409,
    )
    .await;
    a.act(id, &format!("/api/v1/handling/cases/{id}/follow-ups"), &handler(RSJ),
        json!({ "kind": "assistance", "occurred_on": today(), "performed_by": "李四", "summary": "走访慰问",
                "aid_given": "临时救助 2000 元" }), 201).await;
    let v = a.act(id, &format!("/api/v1/handling/cases/{id}/follow-ups"), &handler(RSJ),
        json!({ "kind": "referral", "occurred_on": today(), "performed_by": "李四", "summary": "引导起诉",
                "body": "court", "body_reference": "（2026）晋0423民初12号" }), 201).await;
    let referral = v["id"].as_str().unwrap();
    a.act(
        id,
        &format!("/api/v1/handling/cases/{id}/follow-ups/{referral}/outcome"),
        &handler(RSJ),
        json!({ "outcome": "法院调解结案", "reported_on": today() }),
        200,
    )
    .await;
    let case = a.case(id, &handler(RSJ)).await;
    assert_eq!(case["follow_ups"].as_array().unwrap().len(), 2);
    assert_eq!(case["follow_ups"][1]["outcome"], "法院调解结案");
    assert_eq!(case["entries"].as_array().unwrap().len(), 2);

    // Implementation of the 支持 opinion.
    a.act(
        id,
        &format!("/api/v1/handling/opinions/{opinion}/implementation"),
        &handler(RSJ),
        json!({ "completed_on": today(), "note": "工资已足额支付" }),
        200,
    )
    .await;
    assert_eq!(
        a.published("administrative-review.implementation.completed.v1", id)
            .await
            .len(),
        1
    );

    // Every step is audited.
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE case_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(&a.app.pool)
            .await
            .unwrap_or_default();
    for action in [
        "handling.start",
        "handling.entry",
        "opinion.draft",
        "opinion.approve",
        "opinion.issue",
        "handling.close",
        "opinion.deliver",
        "case.finalize",
        "follow_up.record",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    a.stop().await;
}

#[tokio::test]
async fn review_then_re_review_with_a_hearing_is_final_on_delivery_of_the_re_review_opinion() {
    let a = App::spawn().await;
    let (id, _) = a.accepted_claim(CENTRE, days_ago(100)).await;
    let first = a.opinion(id, CENTRE, "reject", days_ago(60)).await;
    // Notification reports the delivery, quoting the request id.
    let request = a.notices(id, templates::HANDLING_OPINION).await[0]["request_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    a.apply(
        &NoticeDeliveredV1 {
            notice_id: uuid::Uuid::now_v7(),
            request_id: Some(request),
            petition_id: id,
            case_number: "c".into(),
            template: templates::HANDLING_OPINION.into(),
            recipient: NoticeRecipient::Petitioner,
            method: "in_person".into(),
            delivered_on: days_ago(58),
            proof: Some("信访人张三签收".into()),
        },
        Some(id),
    )
    .await;
    let case = a.case(id, &handler(CENTRE)).await;
    assert_eq!(case["step"], "delivered");
    assert_eq!(
        case["opinions"][0]["delivery_recorded_from"],
        "notification"
    );
    assert_eq!(
        case["opinions"][0]["delivered_on"],
        days_ago(58).to_string()
    );
    assert_eq!(
        a.published("administrative-review.opinion.delivered.v1", id)
            .await[0]["opinion_id"],
        first.to_string()
    );

    // Review: the organ above the centre is the 人社局; within the window it takes the case.
    a.project(id, "review_window", RSJ, days_ago(58), days_ago(28), 0)
        .await;
    // Another unit cannot record it.
    let (s, _) = a
        .post(
            &format!("/api/v1/handling/cases/{id}/review-requests"),
            &handler(OTHER),
            json!({ "requested_on": days_ago(30) }),
        )
        .await;
    assert_eq!(s, 404);
    let (s, v) = a
        .post(
            &format!("/api/v1/handling/cases/{id}/review-requests"),
            &handler(RSJ),
            json!({ "requested_on": days_ago(30) }),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let case = a.case(id, &handler(RSJ)).await;
    assert_eq!(case["level"], "review");
    assert_eq!(case["level_unit"], RSJ);
    let requested = a
        .published("administrative-review.review.requested.v1", id)
        .await;
    assert_eq!(requested[0]["organ_unit"], RSJ);
    assert_eq!(requested[0]["forwarded"], false);
    // The handling unit no longer acts at this level.
    a.act(
        id,
        &format!("/api/v1/handling/cases/{id}/entries"),
        &handler(CENTRE),
        json!({ "kind": "talk", "occurred_on": today(), "summary": "x" }),
        403,
    )
    .await;
    // Review outcomes are 维持/撤销/变更.
    a.act(
        id,
        &format!("/api/v1/handling/cases/{id}/opinions"),
        &handler(RSJ),
        json!({ "outcome": "support", "facts": "f", "reasons": "r", "legal_basis": "b" }),
        422,
    )
    .await;
    let review = a.opinion(id, RSJ, "uphold", days_ago(20)).await;
    assert_eq!(
        a.notices(id, templates::REVIEW_OPINION).await[0]["fields"]["re_review_organ"],
        "襄垣县人民政府"
    );
    a.deliver(id, review, RSJ, days_ago(18)).await;

    // Re-review at the county government, with a hearing whose days its clock skips.
    a.project(id, "re_review_window", COUNTY, days_ago(18), today(), 0)
        .await;
    a.post(
        &format!("/api/v1/handling/cases/{id}/review-requests"),
        &handler(COUNTY),
        json!({ "requested_on": days_ago(10) }),
    )
    .await;
    let case = a.case(id, &handler(COUNTY)).await;
    assert_eq!(case["level"], "re_review");
    let v = a.act(id, &format!("/api/v1/handling/cases/{id}/hearings"), &handler(COUNTY),
        json!({ "scheduled_on": days_ago(6), "place": "县信访局听证室", "chair": "王五", "participants": ["张三"] }), 201).await;
    let hearing = v["id"].as_str().unwrap().to_string();
    assert_eq!(
        a.notices(id, templates::HEARING_NOTICE).await[0]["fields"]["chair"],
        "王五"
    );
    a.act(id, &format!("/api/v1/handling/hearings/{hearing}/record"), &handler(COUNTY),
        json!({ "held_from": days_ago(6), "held_to": days_ago(5), "participants": ["张三", "人社局代表"],
                "record": "听证笔录", "publish": true, "published_result": "维持原复查意见" }), 200).await;
    let held = a
        .published("administrative-review.hearing.held.v1", id)
        .await;
    assert_eq!(held[0]["level"], "re_review");
    assert_eq!(held[0]["held_to"], days_ago(5).to_string());
    let re_review = a.opinion(id, COUNTY, "uphold", days_ago(3)).await;
    assert!(a
        .published("administrative-review.case.finalized.v1", id)
        .await
        .is_empty());
    a.deliver(id, re_review, COUNTY, days_ago(2)).await;
    let case = a.case(id, &bureau()).await;
    assert_eq!(case["step"], "final");
    assert_eq!(case["final_level"], "re_review");
    assert_eq!(case["final_opinion_id"], re_review.to_string());
    let finalized = a
        .published("administrative-review.case.finalized.v1", id)
        .await;
    assert_eq!(finalized.len(), 1);
    assert_eq!(finalized[0]["level"], "re_review");
    assert_eq!(finalized[0]["concluded_on"], days_ago(2).to_string());
    let last = &finalized[0]["final_opinion"];
    assert_eq!(last["opinion_id"], re_review.to_string());
    assert_eq!(last["outcome"], "uphold");
    assert_eq!(last["level"], "re_review");
    assert_eq!(last["issued_on"], days_ago(3).to_string());
    assert_eq!(
        last["delivered_on"],
        days_ago(2).to_string(),
        "delivery that made it final"
    );
    // Nothing above a re-review.
    let (s, _) = a
        .post(
            &format!("/api/v1/handling/cases/{id}/review-requests"),
            &bureau(),
            json!({}),
        )
        .await;
    assert_eq!(s, 409);
    a.stop().await;
}

#[tokio::test]
async fn a_request_to_an_organ_outside_the_deployment_is_forwarded_and_its_decision_recorded() {
    let a = App::spawn().await;
    let (id, _) = a.accepted_claim(RSJ, days_ago(100)).await;
    let o = a.opinion(id, RSJ, "explain", days_ago(60)).await;
    a.deliver(id, o, RSJ, days_ago(59)).await;
    a.project(id, "review_window", COUNTY, days_ago(59), days_ago(29), 0)
        .await;
    a.post(
        &format!("/api/v1/handling/cases/{id}/review-requests"),
        &handler(COUNTY),
        json!({ "requested_on": days_ago(40) }),
    )
    .await;
    let r = a.opinion(id, COUNTY, "modify", days_ago(20)).await;
    a.deliver(id, r, COUNTY, days_ago(19)).await;
    a.project(id, "re_review_window", CITY, days_ago(19), today(), 0)
        .await;
    // The city is outside: the county government forwards it.
    let (s, v) = a
        .post(
            &format!("/api/v1/handling/cases/{id}/review-requests"),
            &handler(COUNTY),
            json!({ "requested_on": days_ago(10) }),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        a.published("administrative-review.review.requested.v1", id)
            .await[1]["forwarded"],
        true
    );
    let v = a.act(id, &format!("/api/v1/handling/cases/{id}/external-decisions"), &bureau(),
        json!({ "outcome": "uphold", "facts": "f", "reasons": "r", "legal_basis": "b", "issued_on": days_ago(4),
                "document_number": "长政信复核〔2026〕3号" }), 201).await;
    let decided = v["id"].as_str().unwrap();
    let issued = a
        .published("administrative-review.opinion.issued.v1", id)
        .await;
    assert_eq!(issued[2]["external"], true);
    assert_eq!(issued[2]["issuing_unit"], CITY);
    a.act(
        id,
        &format!("/api/v1/handling/opinions/{decided}/delivery"),
        &bureau(),
        json!({ "delivered_on": days_ago(2), "method": "public_announcement" }),
        200,
    )
    .await;
    assert_eq!(a.case(id, &bureau()).await["final_level"], "re_review");
    a.stop().await;
}

#[tokio::test]
async fn a_late_review_request_is_refused_with_the_day_the_window_closed() {
    let a = App::spawn().await;
    let (id, _) = a.accepted_claim(RSJ, days_ago(100)).await;
    let o = a.opinion(id, RSJ, "reject", days_ago(80)).await;
    a.deliver(id, o, RSJ, days_ago(70)).await;
    let closed_on = days_ago(40);
    a.project(id, "review_window", COUNTY, days_ago(70), closed_on, 0)
        .await;
    let (s, v) = a
        .post(
            &format!("/api/v1/handling/cases/{id}/review-requests"),
            &handler(COUNTY),
            json!({}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["code"], "late_request");
    assert_eq!(v["details"]["window_closed_on"], closed_on.to_string());
    assert!(v["message"]
        .as_str()
        .unwrap()
        .contains(&closed_on.to_string()));
    assert!(v["message"].as_str().unwrap().contains("第三十五条"));
    let refusal = &a.notices(id, templates::LATE_REQUEST_REFUSAL).await[0];
    assert_eq!(refusal["fields"]["level"], "复查");
    assert_eq!(refusal["fields"]["window_closed_on"], closed_on.to_string());
    assert_eq!(
        a.published("administrative-review.review.refused.v1", id)
            .await
            .len(),
        1
    );
    let case = a.case(id, &handler(RSJ)).await;
    assert_eq!(case["level"], "handling");
    assert_eq!(case["step"], "delivered");
    assert_eq!(case["review_requests"][0]["status"], "refused");
    // A request on the window's last day is in time.
    let (s, _) = a
        .post(
            &format!("/api/v1/handling/cases/{id}/review-requests"),
            &handler(COUNTY),
            json!({ "requested_on": closed_on }),
        )
        .await;
    assert_eq!(s, 201);
    a.stop().await;
}

#[tokio::test]
async fn a_late_re_review_request_is_refused_and_the_lapse_makes_the_review_final() {
    let a = App::spawn().await;
    let (id, _) = a.accepted_claim(CENTRE, days_ago(120)).await;
    let o = a.opinion(id, CENTRE, "reject", days_ago(100)).await;
    a.deliver(id, o, CENTRE, days_ago(99)).await;
    a.project(id, "review_window", RSJ, days_ago(99), days_ago(69), 0)
        .await;
    a.post(
        &format!("/api/v1/handling/cases/{id}/review-requests"),
        &handler(RSJ),
        json!({ "requested_on": days_ago(80) }),
    )
    .await;
    let r = a.opinion(id, RSJ, "uphold", days_ago(60)).await;
    a.deliver(id, r, RSJ, days_ago(50)).await;
    a.project(
        id,
        "re_review_window",
        COUNTY,
        days_ago(50),
        days_ago(20),
        0,
    )
    .await;
    let (s, v) = a
        .post(
            &format!("/api/v1/handling/cases/{id}/review-requests"),
            &handler(COUNTY),
            json!({}),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(v["details"]["window_closed_on"], days_ago(20).to_string());
    assert!(v["message"].as_str().unwrap().contains("第三十六条"));
    assert_eq!(
        a.notices(id, templates::LATE_REQUEST_REFUSAL).await[0]["fields"]["level"],
        "复核"
    );
    a.step(id, "re_review_window", days_ago(20), DeadlineStep::Overdue)
        .await;
    let finalized = a
        .published("administrative-review.case.finalized.v1", id)
        .await;
    assert_eq!(finalized[0]["level"], "review");
    assert_eq!(finalized[0]["concluded_on"], days_ago(19).to_string());
    a.stop().await;
}

#[tokio::test]
async fn an_undelivered_opinion_keeps_the_window_closed_and_never_becomes_final() {
    let a = App::spawn().await;
    let (id, _) = a.accepted_claim(RSJ, days_ago(100)).await;
    a.opinion(id, RSJ, "reject", days_ago(80)).await;
    let (s, v) = a
        .post(
            &format!("/api/v1/handling/cases/{id}/review-requests"),
            &handler(COUNTY),
            json!({}),
        )
        .await;
    assert_eq!(s, 409);
    assert!(v["message"].as_str().unwrap().contains("尚未送达"));
    // Even a (stray) window step changes nothing while nothing was delivered.
    a.step(id, "review_window", days_ago(10), DeadlineStep::Overdue)
        .await;
    let case = a.case(id, &handler(RSJ)).await;
    assert_eq!(case["step"], "issued");
    assert!(a
        .published("administrative-review.case.finalized.v1", id)
        .await
        .is_empty());
    // The queue shows it awaiting delivery against the delivery clock.
    a.project(id, "opinion_delivery", RSJ, days_ago(80), days_ago(65), 0)
        .await;
    let (_, q) = a.get("/api/v1/handling/queue", &handler(RSJ)).await;
    assert_eq!(q[0]["step"], "issued");
    assert_eq!(q[0]["clock"], "opinion_delivery");
    a.stop().await;
}

#[tokio::test]
async fn a_mediation_that_resolves_the_petition_closes_handling_substantively() {
    let a = App::spawn().await;
    let (resolved, _) = a.accepted_claim(RSJ, days_ago(10)).await;
    let (failed, _) = a.accepted_claim(RSJ, days_ago(10)).await;
    for (id, resolves) in [(resolved, true), (failed, false)] {
        a.apply(
            &MediationConcludedV1 {
                mediation_id: uuid::Uuid::now_v7(),
                petition_id: id,
                case_number: "c".into(),
                outcome: if resolves { "agreement" } else { "failed" }.into(),
                resolves_petition: resolves,
                concluded_on: days_ago(2),
                reason: "双方达成调解协议".into(),
                body_unit: "140423-SFJ".into(),
            },
            Some(id),
        )
        .await;
    }
    let case = a.case(resolved, &handler(RSJ)).await;
    assert_eq!(case["step"], "closed");
    assert_eq!(case["closure_kind"], "substantive");
    assert_eq!(case["closure_ground"], "mediation");
    assert!(case["closure_reason"].as_str().unwrap().contains("调解"));
    assert_eq!(a.case(failed, &handler(RSJ)).await["step"], "in_progress");
    // A procedural closure names its ground.
    a.act(
        failed,
        &format!("/api/v1/handling/cases/{failed}/closure"),
        &handler(RSJ),
        json!({ "ground": "withdrawn", "reason": "信访人书面撤回" }),
        200,
    )
    .await;
    let closed = a
        .published("administrative-review.case.closed.v1", failed)
        .await;
    assert_eq!(closed[0]["closure"], "procedural");
    assert_eq!(closed[0]["ground"], "withdrawn");
    a.stop().await;
}

#[tokio::test]
async fn an_assigned_case_reports_its_completion_and_a_correction_is_a_new_linked_opinion() {
    use xinfang_contracts::events::{AssignmentAcceptedV1, Category, PetitionAssignedV1};
    let a = App::spawn().await;
    let mut registered =
        xinfang_test_support::case_register::registered_letter("140423-2026-900001");
    registered.category = Some(Category::Claim);
    registered.upstream_reference = Some("长信复交〔2026〕5号".into());
    let id = registered.petition_id;
    a.apply(&registered, Some(id)).await;
    a.apply(
        &PetitionAssignedV1 {
            petition_id: id,
            case_number: registered.case_number.clone(),
            decided_on: days_ago(30),
            decided_by_unit: xinfang_test_support::BUREAU.into(),
            to_unit: RSJ.into(),
            due_on: today(),
            instructions: "请依法办理并报告结果".into(),
        },
        Some(id),
    )
    .await;
    a.apply(
        &AssignmentAcceptedV1 {
            petition_id: id,
            case_number: registered.case_number.clone(),
            unit: RSJ.into(),
            accepted_on: days_ago(29),
        },
        Some(id),
    )
    .await;
    let case = a.case(id, &handler(RSJ)).await;
    assert_eq!(case["origin"], "assigned");
    assert_eq!(case["assigned_by_unit"], xinfang_test_support::BUREAU);
    let started = a
        .published("administrative-review.handling.started.v1", id)
        .await;
    assert_eq!(started[0]["started_on"], days_ago(29).to_string());

    let first = a.opinion(id, RSJ, "explain", days_ago(10)).await;
    let report = &a.notices(id, templates::COMPLETION_REPORT).await[0];
    assert_eq!(report["recipient"], "unit");
    assert_eq!(report["recipient_unit"], xinfang_test_support::BUREAU);
    assert_eq!(
        report["fields"]["upstream_reference"],
        "长信复交〔2026〕5号"
    );
    assert_eq!(report["fields"]["closure"], "实体性办结");
    a.deliver(id, first, RSJ, days_ago(8)).await;

    // A correction: a new opinion linked to the first, issued and sent; the case stays where it was.
    let v = a.act(id, &format!("/api/v1/handling/cases/{id}/opinions"), &handler(RSJ),
        json!({ "outcome": "explain", "facts": "更正：事实部分笔误", "reasons": "理由", "legal_basis": "依据",
                "corrects": first }), 201).await;
    let correction = v["id"].as_str().unwrap().to_string();
    a.act(
        id,
        &format!("/api/v1/handling/opinions/{correction}/approval"),
        &head(RSJ),
        json!({}),
        200,
    )
    .await;
    a.act(
        id,
        &format!("/api/v1/handling/opinions/{correction}/issue"),
        &handler(RSJ),
        json!({}),
        200,
    )
    .await;
    let case = a.case(id, &handler(RSJ)).await;
    assert_eq!(case["step"], "delivered");
    assert_eq!(
        case["opinions"][0]["facts"], "经调查核实",
        "the issued original is unchanged"
    );
    assert_eq!(case["opinions"][1]["corrects"], first.to_string());
    let issued = a
        .published("administrative-review.opinion.issued.v1", id)
        .await;
    assert_eq!(issued[1]["corrects"], first.to_string());
    assert_eq!(a.notices(id, templates::HANDLING_OPINION).await.len(), 2);
    assert_eq!(
        a.notices(id, templates::COMPLETION_REPORT).await.len(),
        1,
        "one report"
    );
    a.stop().await;
}
