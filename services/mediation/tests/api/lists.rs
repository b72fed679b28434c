//! The lists behind the mediator's pages: their mediations (`GET /api/v1/mediations?mine=true`:
//! assigned to them, or waiting for a mediator at their unit's bodies) and their sessions of a
//! period (`GET /api/v1/sessions`); nothing of another unit.

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use xinfang_platform::Role;
use xinfang_test_support::token;

use crate::helpers::{session, Ctx, OTHER_TOWN, TOWN};

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_mediator_lists_their_referrals_and_sessions_and_nothing_of_another_unit() {
    let ctx = Ctx::start().await;
    let case_id = ctx.register_case().await;
    let m = ctx.refer(case_id).await.to_string();
    // 刘八 uses the system with the account `med-liu`.
    let (s, liu) = ctx
        .post(
            "/api/v1/mediators",
            &ctx.head(),
            json!({
            "name": "刘八", "body_id": ctx.body_id, "kind": "people_mediator",
            "fields": ["agriculture_rural"], "townships": ["古韩镇"], "account": "med-liu" }),
        )
        .await;
    assert_eq!(s, 201, "{liu}");
    let liu_token = token("med-liu", TOWN, &[Role::Mediator]);
    let other_mediator = token("med-other", TOWN, &[Role::Mediator]);
    let elsewhere = token("med-x", OTHER_TOWN, &[Role::Mediator]);

    // Waiting for a mediator: every mediator of the body's unit sees it as theirs to take.
    let (s, v) = ctx.get("/api/v1/mediations?mine=true", &liu_token).await;
    assert_eq!((s, ids(&v)), (200, vec![m.clone()]), "{v}");
    assert_eq!(v[0]["status"], "awaiting_consent");
    let (_, v) = ctx.get("/api/v1/mediations", &elsewhere).await;
    assert!(
        ids(&v).is_empty(),
        "another town's mediator sees nothing: {v}"
    );

    // Assigned to 刘八: his, no longer the other mediator's own (still visible to the unit).
    for party in ["张三", "李四"] {
        let (s, v) = ctx
            .post(
                &format!("/api/v1/mediations/{m}/consents"),
                &liu_token,
                json!({ "party": party, "consented": true, "method": "written" }),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/mediator"),
            &liu_token,
            json!({ "mediator_id": liu["id"], "reason": "本人承办" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, v) = ctx
        .get("/api/v1/mediations?mine=true&open=true", &liu_token)
        .await;
    assert_eq!(ids(&v), vec![m.clone()]);
    let (_, v) = ctx
        .get("/api/v1/mediations?mine=true", &other_mediator)
        .await;
    assert!(ids(&v).is_empty(), "{v}");
    let (_, v) = ctx.get("/api/v1/mediations", &other_mediator).await;
    assert_eq!(ids(&v), vec![m.clone()]);
    let (s, v) = ctx.get("/api/v1/mediations?limit=0", &liu_token).await;
    assert_eq!((s, v["details"]["field"].as_str()), (422, Some("limit")));

    // His session tomorrow, in the week's calendar; not in the other mediator's.
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/sessions"),
            &liu_token,
            session(1, Some("第一调解室")),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let today = (Utc::now() + Duration::hours(8)).date_naive();
    let week = format!("from={today}&to={}", today + Duration::days(6));
    let (s, v) = ctx
        .get(&format!("/api/v1/sessions?mine=true&{week}"), &liu_token)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["mediation_id"], m.as_str());
    assert_eq!(v[0]["room"], "第一调解室");
    let (_, v) = ctx
        .get(
            &format!("/api/v1/sessions?mine=true&{week}"),
            &other_mediator,
        )
        .await;
    assert!(v.as_array().unwrap().is_empty());
    let (_, v) = ctx
        .get(&format!("/api/v1/sessions?{week}"), &elsewhere)
        .await;
    assert!(v.as_array().unwrap().is_empty());
    // The day after the session's own (China time) holds none of it.
    let (_, v) = ctx
        .get(&format!("/api/v1/sessions?mine=true&{week}"), &liu_token)
        .await;
    let starts: chrono::DateTime<Utc> = v[0]["starts_at"].as_str().unwrap().parse().unwrap();
    let next = (starts + Duration::hours(8)).date_naive() + Duration::days(1);
    let (_, v) = ctx
        .get(
            &format!("/api/v1/sessions?mine=true&from={next}&to={next}"),
            &liu_token,
        )
        .await;
    assert!(v.as_array().unwrap().is_empty(), "{v}");
    let (s, v) = ctx
        .get(
            &format!(
                "/api/v1/sessions?from={today}&to={}",
                today - Duration::days(1)
            ),
            &liu_token,
        )
        .await;
    assert_eq!((s, v["details"]["field"].as_str()), (422, Some("to")));
    ctx.app.stop().await;
}
