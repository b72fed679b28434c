//! Path by path: consent → sessions → agreement → judicial confirmation → performance; consent
//! refused; withdrawal mid-way; failure back to handling; non-performance.

use serde_json::json;

use crate::helpers::{days_ago, id, session, today, Ctx};

#[tokio::test]
async fn consent_then_sessions_then_agreement_then_judicial_confirmation_and_performance() {
    let ctx = Ctx::start().await;
    let case_id = ctx.register_case().await;
    let m = ctx.refer(case_id).await;
    let med = ctx.mediator();

    // Nothing happens before every party has consented.
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/sessions"),
            &med,
            session(1, None),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("consent_missing")),
        "{v}"
    );

    // The suggestion: field and township first, then load; each with its reasons. 孙七 (respondent
    // unit) and 张三 (a party's name) are never suggested.
    let (s, v) = ctx
        .get(
            &format!("/api/v1/mediations/{m}/mediator-suggestions"),
            &med,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let names: Vec<&str> = v["mediators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["王五", "赵六"], "{v}");
    assert!(v["mediators"][0]["explanation"][1]
        .as_str()
        .unwrap()
        .contains("负责 古韩镇"));
    assert!(v["mediators"][1]["explanation"][1]
        .as_str()
        .unwrap()
        .contains("不负责"));

    let (s, v) = ctx.post(&format!("/api/v1/mediations/{m}/consents"), &med,
        json!({ "party": "张三", "consented": true, "method": "oral", "note": "当面表示同意调解" })).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["mediation"]["status"], "awaiting_consent");
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/consents"),
            &med,
            json!({ "party": "李四", "consented": true, "method": "written" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["mediation"]["status"], "consented");
    let who: Vec<(&str, &str)> = v["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["method"].as_str().unwrap()))
        .collect();
    assert!(
        who.contains(&("张三", "oral")) && who.contains(&("李四", "written")),
        "{v}"
    );
    assert_eq!(v["parties"][0]["recorded_by"], "med");

    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/mediator"),
            &med,
            json!({ "mediator_id": ctx.wang, "reason": "系统推荐第 1 位" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["mediation"]["mediator_name"], "王五");

    // A session, held with attendance and record; then adjourned to another day.
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/sessions"),
            &med,
            session(1, Some("一号调解室")),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["mediation"]["status"], "in_session");
    let first = id(&v["sessions"][0]);
    let (s, v) = ctx
        .post(
            &format!("/api/v1/sessions/{first}/held"),
            &med,
            json!({
        "attendance": [{ "name": "张三", "present": true }, { "name": "李四", "present": true }],
        "record": "双方陈述了边界争议的经过，同意实地勘查后再议。" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["sessions"][0]["status"], "held");
    let (s, v) = ctx
        .post(
            &format!("/api/v1/sessions/{first}/adjournment"),
            &med,
            json!({ "reason": "待实地勘查", "next": session(3, Some("一号调解室")) }),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["sessions"][0]["status"], "adjourned");
    assert_eq!(v["sessions"][1]["status"], "scheduled");
    assert_eq!(v["sessions"][1]["adjourned_from"], first.to_string());

    // The written agreement: every party signs; it ends the mediation and closes the petition.
    let (s, v) = ctx.post(&format!("/api/v1/mediations/{m}/agreement"), &med, json!({
        "form": "written", "dispute": "承包地东侧边界争议", "terms": "以村委会 2003 年登记图为准，李四于月底前移除界桩",
        "perform_by": today().to_string(),
        "signatures": [{ "party": "张三", "signed_on": days_ago(1).to_string() }, { "party": "李四", "signed_on": today().to_string() }] })).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["mediation"]["status"], "agreed");
    assert_eq!(v["mediation"]["outcome"], "agreement");
    assert_eq!(v["agreement"]["effective_on"], today().to_string());
    assert_eq!(
        v["sessions"][1]["status"], "cancelled",
        "the session left is cancelled"
    );
    let agreement = id(&v["agreement"]);

    let concluded = ctx.payloads("mediation.mediation.concluded.v1").await;
    assert_eq!(concluded.len(), 1);
    assert_eq!(concluded[0]["resolves_petition"], true);
    assert_eq!(concluded[0]["outcome"], "agreement");
    assert_eq!(concluded[0]["petition_id"], case_id.to_string());
    let notices = ctx.payloads("mediation.notice.requested.v1").await;
    let templates: Vec<&str> = notices
        .iter()
        .map(|n| n["template"].as_str().unwrap())
        .collect();
    assert_eq!(
        templates,
        vec![
            "mediation_notice",
            "mediation_notice",
            "mediation_agreement"
        ]
    );
    assert_eq!(notices[2]["fields"]["parties"], "张三、李四");
    assert_eq!(notices[2]["fields"]["mediator"], "王五");

    // Judicial confirmation: applied, then ruled; not twice.
    let (s, v) = ctx
        .post(
            &format!("/api/v1/agreements/{agreement}/judicial-confirmation"),
            &med,
            json!({ "court": "襄垣县人民法院", "applied_on": today().to_string() }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["agreement"]["confirmation"], "applied");
    let (s, _) = ctx
        .post(
            &format!("/api/v1/agreements/{agreement}/judicial-confirmation"),
            &med,
            json!({ "court": "襄垣县人民法院", "applied_on": today().to_string() }),
        )
        .await;
    assert_eq!(s, 409);
    let (s, v) = ctx.post(&format!("/api/v1/agreements/{agreement}/judicial-ruling"), &med,
        json!({ "confirmed": true, "ruled_on": today().to_string(), "ruling": "（2026）晋0423民特1号：调解协议有效" })).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["agreement"]["confirmation"], "confirmed");

    let (s, v) = ctx
        .post(
            &format!("/api/v1/agreements/{agreement}/performance"),
            &med,
            json!({ "performed": true, "note": "回访：界桩已移除" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["agreement"]["performance"], "performed");

    let published = ctx.published().await;
    for key in [
        "mediation.mediation.referred.v1",
        "mediation.consent.recorded.v1",
        "mediation.mediator.assigned.v1",
        "mediation.session.scheduled.v1",
        "mediation.session.held.v1",
        "mediation.agreement.reached.v1",
        "mediation.mediation.ended.v1",
        "mediation.judicial_confirmation.applied.v1",
        "mediation.judicial_confirmation.ruled.v1",
        "mediation.agreement.performed.v1",
    ] {
        assert!(
            published.iter().any(|k| k == key),
            "{key} not in {published:?}"
        );
    }
    // The mediator's load is back to 0 and the field record counts the agreement.
    let (load, agreed): (i32, i32) = sqlx::query_as(
        "SELECT m.open_mediations, r.agreed FROM mediators m JOIN mediator_field_record r ON r.mediator_id = m.id WHERE m.id = $1")
        .bind(ctx.wang).fetch_one(&ctx.app.pool).await.unwrap();
    assert_eq!((load, agreed), (0, 1));
    // Every step is audited.
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE case_id = $1 AND action LIKE 'mediation.%'",
    )
    .bind(case_id)
    .fetch_one(&ctx.app.pool)
    .await
    .unwrap();
    assert!(audited >= 10, "{audited}");
    // The case keeps its history.
    let (s, v) = ctx
        .get(&format!("/api/v1/cases/{case_id}/mediations"), &ctx.clerk())
        .await;
    assert_eq!((s, v.as_array().unwrap().len()), (200, 1));
    ctx.stop().await;
}

#[tokio::test]
async fn a_refusal_of_consent_ends_the_referral_and_the_case_goes_on_in_handling() {
    let ctx = Ctx::start().await;
    let case_id = ctx.register_case().await;
    let m = ctx.refer(case_id).await;
    let med = ctx.mediator();
    // A refusal needs its reason.
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/consents"),
            &med,
            json!({ "party": "李四", "consented": false, "method": "written" }),
        )
        .await;
    assert_eq!(
        (s, v["details"]["field"].as_str()),
        (422, Some("note")),
        "{v}"
    );
    let (s, v) = ctx.post(&format!("/api/v1/mediations/{m}/consents"), &med,
        json!({ "party": "李四", "consented": false, "method": "written", "note": "要求走诉讼程序" })).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["mediation"]["status"], "consent_refused");
    let concluded = ctx.payloads("mediation.mediation.concluded.v1").await;
    assert_eq!(concluded[0]["outcome"], "consent_refused");
    assert_eq!(concluded[0]["resolves_petition"], false);
    assert!(concluded[0]["reason"]
        .as_str()
        .unwrap()
        .contains("要求走诉讼程序"));
    assert_eq!(ctx.payloads("mediation.consent.refused.v1").await.len(), 1);
    // No further step: the other party's consent, a mediator.
    let (s, _) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/consents"),
            &med,
            json!({ "party": "张三", "consented": true, "method": "written" }),
        )
        .await;
    assert_eq!(s, 409);
    let (s, _) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/mediator"),
            &med,
            json!({ "mediator_id": ctx.wang, "reason": "x" }),
        )
        .await;
    assert_eq!(s, 409);
    // The case may be referred again later.
    ctx.refer(case_id).await;
    ctx.stop().await;
}

#[tokio::test]
async fn a_party_withdraws_mid_way_and_the_case_returns_to_handling_with_the_period() {
    let ctx = Ctx::start().await;
    let case_id = ctx.register_case().await;
    let m = ctx.refer(case_id).await;
    ctx.consent_and_assign(m).await;
    let med = ctx.mediator();
    let (s, _) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/sessions"),
            &med,
            session(2, None),
        )
        .await;
    assert_eq!(s, 201);
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/withdrawal"),
            &med,
            json!({ "party": "某某", "reason": "不想调了" }),
        )
        .await;
    assert_eq!(
        (s, v["details"]["field"].as_str()),
        (422, Some("party")),
        "{v}"
    );
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/withdrawal"),
            &med,
            json!({ "party": "张三", "reason": "决定通过信访程序解决" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["mediation"]["status"], "withdrawn");
    assert_eq!(v["mediation"]["ended_on"], today().to_string());
    assert_eq!(v["mediation"]["referred_on"], today().to_string());
    assert_eq!(v["sessions"][0]["status"], "cancelled");
    let concluded = ctx.payloads("mediation.mediation.concluded.v1").await;
    assert_eq!(
        (
            concluded[0]["outcome"].as_str(),
            concluded[0]["resolves_petition"].as_bool()
        ),
        (Some("withdrawn"), Some(false))
    );
    let load: i32 = sqlx::query_scalar("SELECT open_mediations FROM mediators WHERE id = $1")
        .bind(ctx.wang)
        .fetch_one(&ctx.app.pool)
        .await
        .unwrap();
    assert_eq!(load, 0);
    // Ended: no agreement can follow.
    let (s, _) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/agreement"),
            &med,
            json!({ "form": "oral", "dispute": "x", "terms": "y" }),
        )
        .await;
    assert_eq!(s, 409);
    ctx.stop().await;
}

#[tokio::test]
async fn a_failed_mediation_returns_the_case_to_handling_with_its_reason() {
    let ctx = Ctx::start().await;
    let case_id = ctx.register_case().await;
    let m = ctx.refer(case_id).await;
    let med = ctx.mediator();
    // Not before consent.
    let (s, _) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/failure"),
            &med,
            json!({ "reason": "分歧大" }),
        )
        .await;
    assert_eq!(s, 409);
    ctx.consent_and_assign(m).await;
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/failure"),
            &med,
            json!({ "reason": "双方对赔偿数额分歧过大" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["mediation"]["status"], "failed");
    assert!(v["mediation"]["end_reason"]
        .as_str()
        .unwrap()
        .contains("分歧过大"));
    let concluded = ctx.payloads("mediation.mediation.concluded.v1").await;
    assert_eq!(
        (
            concluded[0]["outcome"].as_str(),
            concluded[0]["resolves_petition"].as_bool()
        ),
        (Some("failed"), Some(false))
    );
    let ended = ctx.payloads("mediation.mediation.ended.v1").await;
    assert_eq!(ended[0]["mediator_id"], ctx.wang.to_string());
    assert_eq!(ended[0]["township"], "古韩镇");
    ctx.stop().await;
}

#[tokio::test]
async fn an_agreement_not_performed_by_its_deadline_is_flagged_and_the_case_returns() {
    let ctx = Ctx::start().await;
    let med = ctx.mediator();
    // An oral agreement, performed on the record: not performed, to supervision.
    let case_a = ctx.register_case().await;
    let a = ctx.refer(case_a).await;
    ctx.consent_and_assign(a).await;
    let (s, v) = ctx.post(&format!("/api/v1/mediations/{a}/agreement"), &med, json!({
        "form": "oral", "dispute": "邻里排水纠纷", "terms": "李四三日内疏通排水沟", "perform_by": today().to_string() })).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["mediation"]["outcome"], "oral_agreement");
    assert_eq!(v["agreement"]["form"], "oral");
    // An oral agreement has no 调解协议书 to send.
    assert!(ctx
        .payloads("mediation.notice.requested.v1")
        .await
        .is_empty());
    let agreement = id(&v["agreement"]);
    let (s, v) = ctx
        .post(
            &format!("/api/v1/agreements/{agreement}/performance"),
            &med,
            json!({ "performed": false, "note": "回访：未疏通", "returned_to": "supervision" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["agreement"]["performance"], "not_performed");
    assert_eq!(v["agreement"]["returned_to"], "supervision");

    // A written agreement whose deadline passed yesterday: the watch flags it, once.
    let case_b = ctx.register_case().await;
    let b = ctx.refer(case_b).await;
    ctx.consent_and_assign(b).await;
    let (s, v) = ctx.post(&format!("/api/v1/mediations/{b}/agreement"), &med, json!({
        "form": "written", "dispute": "土地补偿", "terms": "一次性补偿 3000 元", "perform_by": days_ago(1).to_string(),
        "signatures": [{ "party": "张三", "signed_on": days_ago(5).to_string() }, { "party": "李四", "signed_on": days_ago(5).to_string() }] })).await;
    assert_eq!(s, 201, "{v}");
    let agreement_b = id(&v["agreement"]);
    assert_eq!(
        mediation::workers::performance::sweep(&ctx.app.pool, today())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        mediation::workers::performance::sweep(&ctx.app.pool, today())
            .await
            .unwrap(),
        0
    );
    let flagged = ctx.payloads("mediation.agreement.not_performed.v1").await;
    assert_eq!(flagged.len(), 2);
    assert_eq!(flagged[0]["returned_to"], "supervision");
    assert_eq!(flagged[1]["returned_to"], "handling");
    assert_eq!(flagged[1]["agreement_id"], agreement_b.to_string());
    assert_eq!(flagged[1]["petition_id"], case_b.to_string());
    // Recorded once: a late "performed" is refused; the history is kept.
    let (s, _) = ctx
        .post(
            &format!("/api/v1/agreements/{agreement_b}/performance"),
            &med,
            json!({ "performed": true, "note": "x" }),
        )
        .await;
    assert_eq!(s, 409);
    let (s, v) = ctx
        .get(&format!("/api/v1/mediations/{b}"), &ctx.clerk())
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["agreement"]["performance"], "not_performed");
    ctx.stop().await;
}
