//! Dates of acts entered late (作出之日: an extension asked for or approved on paper) and the draft
//! opinion's edit and withdrawal before it is issued (issued opinions never change).

use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::*;

impl App {
    async fn put(&self, path: &str, token: &str, mut body: Value, id: Uuid) -> (u16, Value) {
        body["version"] = json!(self.version(id).await);
        let r = self
            .app
            .client
            .put(self.app.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    async fn audit_of(&self, id: Uuid, action: &str) -> Value {
        sqlx::query_scalar(
            "SELECT details FROM audit_log WHERE case_id = $1 AND action = $2 ORDER BY seq DESC LIMIT 1",
        )
        .bind(id)
        .bind(action)
        .fetch_one(&self.app.pool)
        .await
        .unwrap()
    }
}

#[tokio::test]
async fn extensions_carry_the_date_of_the_act_and_its_windows_count_from_it() {
    let a = App::spawn().await;
    // Handling began 70 days ago; its clock fell due 10 days ago.
    let (id, _) = a.accepted_claim(RSJ, days_ago(70)).await;
    a.project(id, "handling", RSJ, days_ago(70), days_ago(10), 0)
        .await;
    let path = format!("/api/v1/handling/cases/{id}/extensions");
    let body =
        |on: chrono::NaiveDate| json!({ "days": 10, "reason": "情况复杂", "requested_on": on });
    // Never before handling began, never in the future, never with an unknown field.
    for (on, why) in [
        (days_ago(71), "before handling began"),
        (today() + chrono::Duration::days(1), "in the future"),
    ] {
        let v = a.act(id, &path, &handler(RSJ), body(on), 422).await;
        assert_eq!(v["details"]["field"], "requested_on", "{why}: {v}");
    }
    let v = a
        .act(
            id,
            &path,
            &handler(RSJ),
            json!({ "days": 10, "reason": "情况复杂", "asked_on": days_ago(12) }),
            400,
        )
        .await;
    assert!(v["message"].is_string(), "{v}");
    // Asked for today: after the due date, refused.
    let v = a
        .act(
            id,
            &path,
            &handler(RSJ),
            json!({ "days": 10, "reason": "情况复杂" }),
            422,
        )
        .await;
    assert_eq!(v["code"], "extension_after_due");
    // Asked for on paper 12 days ago (before the due date) and entered now: judged on its date.
    let v = a
        .act(id, &path, &handler(RSJ), body(days_ago(12)), 201)
        .await;
    let ext = v["id"].as_str().unwrap().to_string();
    let requested = a
        .published("administrative-review.extension.requested.v1", id)
        .await;
    assert_eq!(requested[0]["requested_on"], days_ago(12).to_string());
    let audit = a.audit_of(id, "extension.request").await;
    assert_eq!(audit["requested_on"], days_ago(12).to_string());
    assert_eq!(audit["entered_on"], today().to_string());
    assert_eq!(audit["entered_late"], true);
    assert_eq!(audit["entered_by"], format!("handler@{RSJ}"));
    let case = a.case(id, &handler(RSJ)).await;
    assert_eq!(
        case["extensions"][0]["requested_on"],
        days_ago(12).to_string()
    );

    // The approval: never before the request.
    let decide = format!("/api/v1/handling/cases/{id}/extensions/{ext}/decision");
    let v = a
        .act(
            id,
            &decide,
            &head(RSJ),
            json!({ "approve": true, "decided_on": days_ago(13) }),
            422,
        )
        .await;
    assert_eq!(v["details"]["field"], "decided_on");
    let v = a
        .act(
            id,
            &decide,
            &head(RSJ),
            json!({ "approve": true, "decided_on": today() + chrono::Duration::days(1) }),
            422,
        )
        .await;
    assert_eq!(v["details"]["field"], "decided_on");
    a.act(
        id,
        &decide,
        &head(RSJ),
        json!({ "approve": true, "decided_on": days_ago(11) }),
        200,
    )
    .await;
    let decided = a
        .published("administrative-review.extension.decided.v1", id)
        .await;
    assert_eq!(decided[0]["decided_on"], days_ago(11).to_string());
    assert_eq!(decided[0]["approved"], true);
    let audit = a.audit_of(id, "extension.approve").await;
    assert_eq!(audit["decided_on"], days_ago(11).to_string());
    assert_eq!(audit["entered_late"], true);
    assert_eq!(audit["entered_by"], format!("head@{RSJ}"));
    let case = a.case(id, &handler(RSJ)).await;
    assert_eq!(
        case["extensions"][0]["decided_on"],
        days_ago(11).to_string()
    );
    a.stop().await;
}

#[tokio::test]
async fn a_draft_opinion_is_edited_or_withdrawn_before_issue_and_never_after() {
    let a = App::spawn().await;
    let (id, _) = a.accepted_claim(RSJ, days_ago(20)).await;
    let drafted = a
        .act(
            id,
            &format!("/api/v1/handling/cases/{id}/opinions"),
            &handler(RSJ),
            json!({ "outcome": "reject", "facts": "初稿事实", "reasons": "初稿理由",
                    "legal_basis": "《信访工作条例》第三十二条" }),
            201,
        )
        .await;
    let opinion = drafted["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/handling/opinions/{opinion}");
    let edited = json!({ "outcome": "explain", "facts": "经调查核实的事实", "reasons": "修改后的理由",
                         "legal_basis": "《信访工作条例》第三十二条第二项" });
    // Another unit cannot see it; an unknown field or an outcome of another level is refused.
    let (s, _) = a.put(&path, &handler(OTHER), edited.clone(), id).await;
    assert_eq!(s, 404);
    let mut unknown = edited.clone();
    unknown["signed_by"] = json!("x");
    let (s, v) = a.put(&path, &handler(RSJ), unknown, id).await;
    assert_eq!(s, 400, "{v}");
    let mut wrong = edited.clone();
    wrong["outcome"] = json!("uphold");
    let (s, v) = a.put(&path, &handler(RSJ), wrong, id).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["details"]["field"], "outcome");
    // Edited as a draft.
    let (s, v) = a.put(&path, &handler(RSJ), edited.clone(), id).await;
    assert_eq!(s, 200, "{v}");
    let o = &a.case(id, &handler(RSJ)).await["opinions"][0];
    assert_eq!(
        (
            o["outcome"].clone(),
            o["facts"].clone(),
            o["status"].clone()
        ),
        (json!("explain"), json!("经调查核实的事实"), json!("draft"))
    );
    // Edited after approval: the approval was of the old text, so it must be approved again.
    a.act(id, &format!("{path}/approval"), &head(RSJ), json!({}), 200)
        .await;
    let mut again = edited.clone();
    again["reasons"] = json!("负责人审批后再次修改的理由");
    let (s, v) = a.put(&path, &handler(RSJ), again, id).await;
    assert_eq!(s, 200, "{v}");
    let o = &a.case(id, &handler(RSJ)).await["opinions"][0];
    assert_eq!(o["status"], "draft");
    assert!(o["approved_by"].is_null());
    a.act(id, &format!("{path}/issue"), &handler(RSJ), json!({}), 409)
        .await;
    let audit = a.audit_of(id, "opinion.edit").await;
    assert_eq!(audit["approval_reset"], true);
    // Withdrawn (with a reason): kept on record, a new draft may follow.
    let v = a
        .act(
            id,
            &format!("{path}/withdrawal"),
            &handler(RSJ),
            json!({ "reason": "  " }),
            422,
        )
        .await;
    assert_eq!(v["details"]["field"], "reason");
    a.act(
        id,
        &format!("{path}/withdrawal"),
        &handler(RSJ),
        json!({ "reason": "事实需重新调查" }),
        200,
    )
    .await;
    let case = a.case(id, &handler(RSJ)).await;
    assert_eq!(case["opinions"][0]["status"], "withdrawn");
    assert_eq!(case["step"], "in_progress");
    let (s, _) = a.put(&path, &handler(RSJ), edited.clone(), id).await;
    assert_eq!(s, 409, "a withdrawn draft is not edited");
    a.act(id, &format!("{path}/approval"), &head(RSJ), json!({}), 409)
        .await;
    // The new draft goes the whole way; once issued it never changes.
    let issued = a.opinion(id, RSJ, "support", days_ago(1)).await;
    let issued_path = format!("/api/v1/handling/opinions/{issued}");
    let (s, v) = a.put(&issued_path, &handler(RSJ), edited.clone(), id).await;
    assert_eq!(s, 409, "{v}");
    assert!(v["message"].as_str().unwrap().contains("更正"), "{v}");
    a.act(
        id,
        &format!("{issued_path}/withdrawal"),
        &handler(RSJ),
        json!({ "reason": "撤回" }),
        409,
    )
    .await;
    let o = a.case(id, &handler(RSJ)).await["opinions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == issued.to_string())
        .cloned()
        .unwrap();
    assert_eq!(
        (o["status"].clone(), o["outcome"].clone()),
        (json!("issued"), json!("support"))
    );
    a.stop().await;
}

#[tokio::test]
async fn a_case_handed_on_after_acceptance_moves_to_the_unit_that_signs_for_it() {
    let a = App::spawn().await;
    let (id, number) = a.accepted_claim(RSJ, days_ago(5)).await;
    assert_eq!(a.case(id, &handler(RSJ)).await["unit"], RSJ);
    // Intake handed it on (交办) to another unit, which signed for it.
    a.apply(
        &xinfang_contracts::events::AssignmentAcceptedV1 {
            petition_id: id,
            case_number: number.clone(),
            unit: OTHER.into(),
            accepted_on: days_ago(2),
        },
        Some(id),
    )
    .await;
    let case = a.case(id, &handler(OTHER)).await;
    assert_eq!(case["unit"], OTHER);
    assert_eq!(case["level_unit"], OTHER);
    assert_eq!(case["started_on"], days_ago(2).to_string());
    let (s, _) = a
        .get(&format!("/api/v1/handling/cases/{id}"), &handler(RSJ))
        .await;
    assert_eq!(s, 404, "the first unit no longer sees it");
    let started = a
        .published("administrative-review.handling.started.v1", id)
        .await;
    assert_eq!(started.len(), 2, "the new unit's handling clock opens");
    assert_eq!(started[1]["unit"], OTHER);
    let audit = a.audit_of(id, "handling.handed_on").await;
    assert_eq!(audit["from_unit"], RSJ);
    // Once an opinion is issued, a late hand-off changes nothing.
    a.opinion(id, OTHER, "explain", days_ago(1)).await;
    a.apply(
        &xinfang_contracts::events::AssignmentAcceptedV1 {
            petition_id: id,
            case_number: number,
            unit: RSJ.into(),
            accepted_on: today(),
        },
        Some(id),
    )
    .await;
    assert_eq!(a.case(id, &handler(OTHER)).await["unit"], OTHER);
    a.stop().await;
}
