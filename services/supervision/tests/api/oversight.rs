//! Oversight API tests: orders (and their escalation), leaders, campaigns, recommendations,
//! accountability, misconduct reports and order maintenance, with their rights and scoping.

use chrono::{Duration as Days, NaiveDate, Utc};
use serde_json::json;
use supervision::configuration::OversightSettings;
use uuid::Uuid;
use xinfang_contracts::{
    events::{Channel, PetitionAssignedV1, PetitionRegisteredV1},
    Envelope, Event,
};
use xinfang_messaging::consumer::Outcome;
use xinfang_platform::time::today_in_china;
use xinfang_platform::Role;
use xinfang_test_support::{token, BUREAU};

use crate::helpers::app::{date, TestApp};

impl TestApp {
    async fn event<E: Event>(&self, e: &E, case_id: Uuid) -> Envelope {
        let env = Envelope::new(e, Some(case_id), None, None);
        assert_eq!(self.inbox.apply(&env).await, Outcome::Applied);
        env
    }

    /// A registered case (through the real event handler), optionally assigned to `unit`.
    async fn case(&self, unit: Option<&str>) -> (Uuid, Envelope) {
        let id = Uuid::now_v7();
        let received = today_in_china() - Days::days(3);
        let env = self
            .event(
                &PetitionRegisteredV1 {
                    petition_id: id,
                    case_number: format!("140423-2026-{}", &id.simple().to_string()[24..]),
                    channel: Channel::Visit,
                    received_on: received,
                    registered_at: Utc::now(),
                    registering_unit: BUREAU.into(),
                    division_code: "140423".into(),
                    field: Some("labour_social_security".into()),
                    township: Some("T1".into()),
                    ..PetitionRegisteredV1::minimal_defaults()
                },
                id,
            )
            .await;
        if let Some(u) = unit {
            self.event(
                &PetitionAssignedV1 {
                    petition_id: id,
                    case_number: "c".into(),
                    decided_on: received,
                    decided_by_unit: BUREAU.into(),
                    to_unit: u.into(),
                    due_on: received + Days::days(30),
                    instructions: "请依法办理".into(),
                },
                id,
            )
            .await;
        }
        (id, env)
    }
}

fn supervisor() -> String {
    token("sup-1", BUREAU, &[Role::Supervisor])
}
fn unit_head(unit: &str) -> String {
    token(&format!("head-{unit}"), unit, &[Role::UnitHead])
}
fn clerk() -> String {
    token("clerk-1", BUREAU, &[Role::Clerk])
}

#[tokio::test]
async fn orders_are_issued_answered_by_their_unit_only_and_scoped() {
    let app = TestApp::spawn().await;
    let (case_id, _) = app.case(Some("140423-RSJ")).await;
    let body = json!({ "kind": "reminder", "unit": "140423-RSJ", "case_id": case_id, "summary": "请加快办理", "respond_by": today_in_china() + Days::days(5) });

    // Rights: a clerk may not issue orders; no token is 401.
    assert_eq!(
        app.post("/api/v1/orders", &clerk(), body.clone()).await.0,
        403
    );
    let r = app
        .client
        .post(format!("{}/api/v1/orders", app.address))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // Validation names the fields, in Chinese.
    let (s, e) = app
        .post(
            "/api/v1/orders",
            &supervisor(),
            json!({ "kind": "nag", "unit": "", "summary": "x" }),
        )
        .await;
    assert_eq!(s, 422);
    assert!(e["message"].as_str().unwrap().contains("kind"));
    assert!(e["message"].as_str().unwrap().contains("case_id"));
    // An unknown case is 404.
    let (s, _) = app
        .post(
            "/api/v1/orders",
            &supervisor(),
            json!({ "kind": "reminder", "unit": "140423-RSJ", "case_id": Uuid::now_v7(), "summary": "x" }),
        )
        .await;
    assert_eq!(s, 404);

    let (s, order) = app
        .post("/api/v1/orders", &supervisor(), body.clone())
        .await;
    assert_eq!(s, 201, "{order}");
    assert_eq!(order["status"], "open");
    assert_eq!(order["kind_label"], "催办");
    let id = order["id"].as_str().unwrap().to_string();
    // The issued event is in the outbox, in the same transaction.
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE routing_key = 'supervision.order.issued.v1'",
    )
    .fetch_one(&app.service.pool)
    .await
    .unwrap();
    assert_eq!(n, 1);

    // The default deadline is N working days by the shared calendar (or a clear 422 when the
    // calendar does not cover it).
    let (s, pattern) = app.post("/api/v1/orders", &supervisor(), json!({ "kind": "supervision", "unit": "140423-ZJJ", "pattern": "多件交办事项逾期未办结", "summary": "请书面说明原因" })).await;
    match app.calendar.add_working_days(today_in_china(), 10) {
        Ok(due) => {
            assert_eq!(s, 201, "{pattern}");
            assert_eq!(pattern["respond_by"], json!(due));
            assert!(!pattern["explanation"].as_array().unwrap().is_empty());
        }
        Err(_) => assert_eq!(
            (s, pattern["code"].as_str()),
            (422, Some("outside_calendar"))
        ),
    }

    // Scoping: another unit does not see it; the addressed unit does; the bureau sees all.
    assert_eq!(
        app.get(&format!("/api/v1/orders/{id}"), &unit_head("140423-ZJJ"))
            .await
            .0,
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/orders/{id}"), &unit_head("140423-RSJ"))
            .await
            .0,
        200
    );
    let (_, page) = app.get("/api/v1/orders", &unit_head("140423-RSJ")).await;
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["unit"] == "140423-RSJ"));
    let (_, page) = app.get("/api/v1/orders?limit=1", &supervisor()).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let after = page["next_after"]
        .as_str()
        .expect("a next page")
        .to_string();
    let (_, page2) = app
        .get(
            &format!("/api/v1/orders?limit=1&after={after}"),
            &supervisor(),
        )
        .await;
    assert_ne!(page2["items"][0]["id"], page["items"][0]["id"]);

    // Only the addressed unit answers, once. Another unit learns nothing, not even from an
    // invalid body (authorize first, then validate: 404, not 422).
    assert_eq!(
        app.post(
            &format!("/api/v1/orders/{id}/response"),
            &unit_head("140423-ZJJ"),
            json!({ "response": " " })
        )
        .await
        .0,
        404
    );
    let answer = json!({ "response": "已召开专题会议，限期办结" });
    assert_eq!(
        app.post(
            &format!("/api/v1/orders/{id}/response"),
            &unit_head("140423-ZJJ"),
            answer.clone()
        )
        .await
        .0,
        404
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/orders/{id}/response"),
            &supervisor(),
            answer.clone()
        )
        .await
        .0,
        403
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/orders/{id}/response"),
            &unit_head("140423-RSJ"),
            json!({ "response": " " })
        )
        .await
        .0,
        422
    );
    let (s, answered) = app
        .post(
            &format!("/api/v1/orders/{id}/response"),
            &unit_head("140423-RSJ"),
            answer.clone(),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(answered["status"], "responded");
    assert_eq!(
        app.post(
            &format!("/api/v1/orders/{id}/response"),
            &unit_head("140423-RSJ"),
            answer
        )
        .await
        .0,
        409
    );
    app.stop().await;
}

#[tokio::test]
async fn unanswered_orders_escalate_exactly_once_per_level_across_replicas() {
    let app = TestApp::spawn().await;
    let (case_id, _) = app.case(Some("140423-RSJ")).await;
    let (s, order) = app
        .post("/api/v1/orders", &supervisor(), json!({ "kind": "reminder", "unit": "140423-RSJ", "case_id": case_id, "summary": "请加快办理", "respond_by": today_in_china() + Days::days(2) }))
        .await;
    assert_eq!(s, 201);
    let id: Uuid = order["id"].as_str().unwrap().parse().unwrap();
    // Move the order onto a fixed, covered stretch of the calendar (the clock is injected below).
    sqlx::query(
        "UPDATE supervision_orders SET issued_on = '2025-06-03', respond_by = '2025-06-10'",
    )
    .execute(&app.service.pool)
    .await
    .unwrap();
    let settings = OversightSettings::default();
    let pool = app.service.pool.clone();

    // On the due day nothing happens.
    let run = supervision::oversight::orders::workers::escalate_due(
        &pool,
        &app.calendar,
        &settings,
        date(2025, 6, 10),
    )
    .await
    .unwrap();
    assert_eq!(run.escalated, 0);

    // The day after, two replicas race: exactly one 督办 is issued.
    let day = date(2025, 6, 11);
    let (a, b) = tokio::join!(
        supervision::oversight::orders::workers::escalate_due(&pool, &app.calendar, &settings, day),
        supervision::oversight::orders::workers::escalate_due(&pool, &app.calendar, &settings, day),
    );
    assert_eq!(a.unwrap().escalated + b.unwrap().escalated, 1);
    // A restart (another pass) does nothing more.
    assert_eq!(
        supervision::oversight::orders::workers::escalate_due(&pool, &app.calendar, &settings, day)
            .await
            .unwrap()
            .escalated,
        0
    );
    let child: (Uuid, String, NaiveDate) =
        sqlx::query_as("SELECT id, kind, respond_by FROM supervision_orders WHERE parent_id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(child.1, "supervision");
    // 10 working days from 2025-06-11 by the calendar (the 端午 holiday 5/31–6/2 is before).
    assert_eq!(child.2, app.calendar.add_working_days(day, 10).unwrap());
    let (_, parent) = app
        .get(&format!("/api/v1/orders/{id}"), &supervisor())
        .await;
    assert_eq!(parent["status"], "escalated");
    // The escalated order cannot be answered any more; the new one can.
    assert_eq!(
        app.post(
            &format!("/api/v1/orders/{id}/response"),
            &unit_head("140423-RSJ"),
            json!({ "response": "迟复" })
        )
        .await
        .0,
        409
    );

    // Unanswered again: 督办 → 挂牌督办, then 挂牌督办 is marked overdue, each once.
    let later = child.2 + Days::days(1);
    let run = supervision::oversight::orders::workers::escalate_due(
        &pool,
        &app.calendar,
        &settings,
        later,
    )
    .await
    .unwrap();
    assert_eq!(run.escalated, 1);
    let listed: (Uuid, String, NaiveDate) =
        sqlx::query_as("SELECT id, kind, respond_by FROM supervision_orders WHERE parent_id = $1")
            .bind(child.0)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(listed.1, "listed");
    let end = listed.2 + Days::days(1);
    let (a, b) = tokio::join!(
        supervision::oversight::orders::workers::escalate_due(&pool, &app.calendar, &settings, end),
        supervision::oversight::orders::workers::escalate_due(&pool, &app.calendar, &settings, end),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        (
            a.escalated + b.escalated,
            a.marked_overdue + b.marked_overdue
        ),
        (0, 1)
    );
    let issued: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE routing_key = 'supervision.order.issued.v1'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        issued, 3,
        "the first order and two escalations, each published once"
    );
    // The overdue listed order can still be answered.
    let (s, done) = app
        .post(
            &format!("/api/v1/orders/{}/response", listed.0),
            &unit_head("140423-RSJ"),
            json!({ "response": "已办结" }),
        )
        .await;
    assert_eq!((s, done["status"].as_str()), (200, Some("responded")));
    app.stop().await;
}

#[tokio::test]
async fn leaders_campaigns_and_recommendations() {
    let app = TestApp::spawn().await;
    let (a, _) = app.case(Some("140423-RSJ")).await;
    let (b, _) = app.case(None).await;
    let leader = token("leader-wang", BUREAU, &[Role::Leader]);

    // 领导包案
    let body = json!({ "case_id": a, "leader_id": "leader-wang", "leader_name": "王副县长" });
    assert_eq!(
        app.post(
            "/api/v1/leader-assignments",
            &unit_head("140423-RSJ"),
            body.clone()
        )
        .await
        .0,
        403
    );
    let (s, asg) = app
        .post("/api/v1/leader-assignments", &supervisor(), body.clone())
        .await;
    assert_eq!(s, 201, "{asg}");
    assert_eq!(asg["case_status"], "assigned");
    assert_eq!(
        app.post("/api/v1/leader-assignments", &supervisor(), body)
            .await
            .0,
        409
    );
    let aid = asg["id"].as_str().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/leader-assignments/{aid}/actions"),
            &leader,
            json!({ "action": "site_visit", "description": "到现场察看" }),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(
        app.post(
            &format!("/api/v1/leader-assignments/{aid}/actions"),
            &unit_head("140423-RSJ"),
            json!({ "action": "other", "description": "x" })
        )
        .await
        .0,
        403
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/leader-assignments/{aid}/actions"),
            &leader,
            json!({ "action": "lunch", "description": "x" })
        )
        .await
        .0,
        422
    );
    let (_, mine) = app.get("/api/v1/leader-assignments", &leader).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["actions"], 1);
    assert_eq!(mine["items"][0]["responsible_unit"], "140423-RSJ");

    // 百日百件
    let (s, c) = app
        .post(
            "/api/v1/campaigns",
            &supervisor(),
            json!({ "name": "百日百件", "target_on": today_in_china() + Days::days(100) }),
        )
        .await;
    assert_eq!(s, 201);
    let cid = c["id"].as_str().unwrap();
    let (s, e) = app
        .post(
            &format!("/api/v1/campaigns/{cid}/cases"),
            &supervisor(),
            json!({ "case_ids": [a, Uuid::now_v7()] }),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    let (s, added) = app
        .post(
            &format!("/api/v1/campaigns/{cid}/cases"),
            &supervisor(),
            json!({ "case_ids": [a, b] }),
        )
        .await;
    assert_eq!((s, added["added"].as_u64()), (200, Some(2)));
    // By case number (案件编号), as the receipt prints it: an unknown one is named and nothing
    // is added; a case already in counts as such.
    let number_a = format!("140423-2026-{}", &a.simple().to_string()[24..]);
    let (s, e) = app
        .post(
            &format!("/api/v1/campaigns/{cid}/cases"),
            &supervisor(),
            json!({ "case_numbers": [number_a, "140423-2026-NOSUCH"] }),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["details"]["field"], "case_numbers", "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("140423-2026-NOSUCH"),
        "{e}"
    );
    let (s, again) = app
        .post(
            &format!("/api/v1/campaigns/{cid}/cases"),
            &supervisor(),
            json!({ "case_numbers": [format!(" {number_a} ")], "case_ids": [a] }),
        )
        .await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(
        (again["added"].as_u64(), again["already_in"].as_u64()),
        (Some(0), Some(1))
    );
    let (s, e) = app
        .post(
            &format!("/api/v1/campaigns/{cid}/cases"),
            &supervisor(),
            json!({}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    let (_, board) = app
        .get(&format!("/api/v1/campaigns/{cid}/board"), &supervisor())
        .await;
    assert_eq!(
        (board["total"].as_i64(), board["closed"].as_i64()),
        (Some(2), Some(0))
    );
    assert_eq!(board["by_unit"].as_array().unwrap().len(), 2);
    let (_, board) = app
        .get(
            &format!("/api/v1/campaigns/{cid}/board"),
            &unit_head("140423-RSJ"),
        )
        .await;
    assert_eq!(board["total"], 1, "a unit sees its own cases on the board");
    // The list of campaigns, with counts: county-wide, and as a unit sees them.
    let (s, list) = app.get("/api/v1/campaigns", &supervisor()).await;
    assert_eq!(s, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        (
            items[0]["id"].as_str(),
            items[0]["name"].as_str(),
            items[0]["total"].as_i64(),
            items[0]["closed"].as_i64()
        ),
        (Some(cid), Some("百日百件"), Some(2), Some(0))
    );
    let (_, list) = app.get("/api/v1/campaigns", &unit_head("140423-RSJ")).await;
    assert_eq!(list["items"][0]["total"], 1, "a unit counts its own cases");
    let (s, b) = app.get("/api/v1/campaigns?after=x", &supervisor()).await;
    assert_eq!(
        s, 400,
        "a malformed query is refused like every list's: {b}"
    );
    let (s, _) = app
        .get(&format!("/api/v1/campaigns?after={cid}"), &supervisor())
        .await;
    assert_eq!(s, 200);

    // 三项建议
    let (s, r) = app.post("/api/v1/recommendations", &supervisor(), json!({ "kind": "improve_policy", "unit": "140423-RSJ", "content": "建议完善欠薪保障金制度", "feedback_due": today_in_china() + Days::days(10) })).await;
    assert_eq!(s, 201, "{r}");
    let rid = r["id"].as_str().unwrap().to_string();
    let (s, late) = app.post("/api/v1/recommendations", &supervisor(), json!({ "kind": "improve_work", "unit": "140423-ZJJ", "content": "建议规范受理告知", "feedback_due": today_in_china() + Days::days(1) })).await;
    assert_eq!(s, 201);
    sqlx::query("UPDATE recommendations SET feedback_due = issued_on - 1 WHERE id = $1")
        .bind(late["id"].as_str().unwrap().parse::<Uuid>().unwrap())
        .execute(&app.service.pool)
        .await
        .unwrap();
    assert_eq!(
        app.post(
            "/api/v1/recommendations",
            &supervisor(),
            json!({ "kind": "nice_idea", "unit": "140423-RSJ", "content": "x" })
        )
        .await
        .0,
        422
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/recommendations/{rid}/feedback"),
            &unit_head("140423-ZJJ"),
            json!({ "adoption": "maybe", "feedback": " " })
        )
        .await
        .0,
        404,
        "authorize first, then validate"
    );
    let fb = json!({ "adoption": "partially_adopted", "feedback": "已采纳第一条，第二条需省级政策支持" });
    assert_eq!(
        app.post(
            &format!("/api/v1/recommendations/{rid}/feedback"),
            &unit_head("140423-ZJJ"),
            fb.clone()
        )
        .await
        .0,
        404
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/recommendations/{rid}/feedback"),
            &unit_head("140423-RSJ"),
            fb.clone()
        )
        .await
        .0,
        200
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/recommendations/{rid}/feedback"),
            &unit_head("140423-RSJ"),
            fb
        )
        .await
        .0,
        409
    );
    let (_, overdue) = app
        .get("/api/v1/recommendations?overdue=true", &supervisor())
        .await;
    assert_eq!(overdue["items"].as_array().unwrap().len(), 1);
    assert_eq!(overdue["items"][0]["unit"], "140423-ZJJ");
    assert_eq!(overdue["items"][0]["overdue"], true);
    let (_, board) = app
        .get("/api/v1/recommendations/board", &supervisor())
        .await;
    let policy = board
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "improve_policy")
        .unwrap();
    assert_eq!(
        (
            policy["issued"].as_i64(),
            policy["partially_adopted"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let work = board
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "improve_work")
        .unwrap();
    assert_eq!(work["overdue"], 1);
    let (_, own) = app
        .get("/api/v1/recommendations", &unit_head("140423-RSJ"))
        .await;
    assert!(own["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["unit"] == "140423-RSJ"));
    app.stop().await;
}

#[tokio::test]
async fn accountability_misconduct_and_order_maintenance() {
    let app = TestApp::spawn().await;
    let (case_id, registered) = app.case(Some("140423-RSJ")).await;

    // 双向规范: any staff may report; only county supervision reads.
    let (s, report) = app.post("/api/v1/misconduct-reports", &clerk(), json!({ "case_id": case_id, "unit": "140423-RSJ", "staff_ref": "RSJ-0427", "description": "接待时态度粗暴" })).await;
    assert_eq!(s, 201, "{report}");
    assert_eq!(
        app.post(
            "/api/v1/misconduct-reports",
            &clerk(),
            json!({ "unit": "140423-RSJ", "staff_ref": "14042319800101123X", "description": "x" })
        )
        .await
        .0,
        422
    );
    assert_eq!(
        app.get("/api/v1/misconduct-reports", &unit_head("140423-RSJ"))
            .await
            .0,
        403
    );
    let (_, open) = app
        .get(
            "/api/v1/misconduct-reports?uninvestigated=true",
            &supervisor(),
        )
        .await;
    assert_eq!(open["items"].as_array().unwrap().len(), 1);

    // 立案追责, linked to the report (so it is no longer 应查处不查处).
    let body = json!({ "case_id": case_id, "unit": "140423-RSJ", "ground": "rude_conduct", "summary": "工作人员态度恶劣", "misconduct_report_id": report["id"] });
    assert_eq!(
        app.post("/api/v1/accountability-cases", &clerk(), body.clone())
            .await
            .0,
        403
    );
    assert_eq!(
        app.post(
            "/api/v1/accountability-cases",
            &supervisor(),
            json!({ "unit": "140423-RSJ", "ground": "bad_luck", "summary": "x" })
        )
        .await
        .0,
        422
    );
    let (s, acc) = app
        .post("/api/v1/accountability-cases", &supervisor(), body.clone())
        .await;
    assert_eq!(s, 201, "{acc}");
    assert_eq!(acc["article"], "第四十六条第（一）项");
    assert_eq!(acc["misconduct_reports"][0], report["id"]);
    assert_eq!(
        app.post("/api/v1/accountability-cases", &supervisor(), body)
            .await
            .0,
        409,
        "a report is investigated once"
    );
    let linked: Option<Uuid> =
        sqlx::query_scalar("SELECT accountability_id FROM misconduct_reports WHERE id = $1")
            .bind(report["id"].as_str().unwrap().parse::<Uuid>().unwrap())
            .fetch_one(&app.service.pool)
            .await
            .unwrap();
    assert_eq!(
        linked.map(|u| u.to_string()),
        acc["id"].as_str().map(String::from)
    );
    let (_, open) = app
        .get(
            "/api/v1/misconduct-reports?uninvestigated=true",
            &supervisor(),
        )
        .await;
    assert!(open["items"].as_array().unwrap().is_empty());

    let aid = acc["id"].as_str().unwrap();
    let (s, _) = app.post(&format!("/api/v1/accountability-cases/{aid}/people"), &supervisor(), json!({ "name": "李某", "position": "科员", "unit": "140423-RSJ", "responsibility": "direct" })).await;
    assert_eq!(s, 201);
    assert_eq!(
        app.post(
            &format!("/api/v1/accountability-cases/{aid}/people"),
            &supervisor(),
            json!({ "name": "李某", "unit": "140423-RSJ", "responsibility": "everyone" })
        )
        .await
        .0,
        422
    );
    // Evidence must come from this case's history.
    assert_eq!(
        app.post(
            &format!("/api/v1/accountability-cases/{aid}/evidence"),
            &supervisor(),
            json!({ "event_id": Uuid::now_v7() })
        )
        .await
        .0,
        422
    );
    let (s, with_ev) = app
        .post(
            &format!("/api/v1/accountability-cases/{aid}/evidence"),
            &supervisor(),
            json!({ "event_id": registered.event_id, "note": "登记记录" }),
        )
        .await;
    assert_eq!(s, 201, "{with_ev}");
    assert_eq!(
        with_ev["evidence"][0]["event_id"],
        json!(registered.event_id)
    );
    let (s, done) = app
        .post(
            &format!("/api/v1/accountability-cases/{aid}/outcome"),
            &supervisor(),
            json!({ "outcome": "criticism_education", "detail": "对李某批评教育" }),
        )
        .await;
    assert_eq!((s, done["status"].as_str()), (200, Some("concluded")));
    assert_eq!(
        app.post(
            &format!("/api/v1/accountability-cases/{aid}/people"),
            &supervisor(),
            json!({ "name": "赵某", "unit": "140423-RSJ", "responsibility": "direct" })
        )
        .await
        .0,
        409
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/accountability-cases/{aid}"),
            &unit_head("140423-RSJ")
        )
        .await
        .0,
        403
    );
    let (_, list) = app.get("/api/v1/accountability-cases", &supervisor()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // 维护秩序
    let incident = json!({ "case_id": case_id, "person_ref": "信访人-0193", "occurred_at": Utc::now(), "location": "县信访接待大厅",
        "conduct": "lingering_or_abandoning", "description": "拒不离开并大声喧哗", "response": "education" });
    assert_eq!(
        app.post(
            "/api/v1/order-incidents",
            &unit_head("140423-RSJ"),
            incident.clone()
        )
        .await
        .0,
        403
    );
    let mut bad = incident.clone();
    bad["person_ref"] = json!("140423198001011234");
    bad["response"] = json!("detention");
    let (s, e) = app.post("/api/v1/order-incidents", &clerk(), bad).await;
    assert_eq!(s, 422);
    assert!(
        e["message"].as_str().unwrap().contains("person_ref")
            && e["message"].as_str().unwrap().contains("response")
    );
    let (s, rec) = app
        .post("/api/v1/order-incidents", &clerk(), incident)
        .await;
    assert_eq!(s, 201, "{rec}");
    assert_eq!(rec["response_label"], "教育");
    let (_, list) = app
        .get(
            "/api/v1/order-incidents?person_ref=信访人-0193",
            &supervisor(),
        )
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (_, other) = app
        .get("/api/v1/order-incidents", &unit_head("140423-RSJ"))
        .await;
    assert!(
        other["items"].as_array().unwrap().is_empty(),
        "a unit sees only its own records"
    );
    app.stop().await;
}
