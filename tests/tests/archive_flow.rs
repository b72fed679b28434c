//! From finality to an archived package (办理终结 → 信访档案) across the real services: intake
//! registers and accepts a claim with the petitioner's identity number; administrative review
//! handles, reviews and re-reviews it until it is final (`administrative-review.case.finalized.v1`);
//! notification's archiver (delay 0 here) packages it with intake's record and audit trail, the
//! documents notification printed, its own trail and the manifest; the package is found by case
//! number and by the petitioner's identity number, and every file matches the manifest.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use fantoccini::Locator;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use xinfang_e2e::{
    console::{
        add_account,
        browser::{
            axe_check, browser, fill, log_in, screenshot, start_driver, submit, text, wait_path,
        },
        start_console_for,
    },
    start_intake, start_supervision, Platform, Service,
};
use xinfang_platform::audit_trail::{verify_trail, CaseTrail};
use xinfang_platform::{time::today_in_china, Role};
use xinfang_test_support::{
    clerk_token, service_token, spawn_app, test_client, token, wait_for, TestEnv, BUREAU,
};

const CENTRE: &str = "140423-LDJC";
const RSJ: &str = "140423-RSJ";
const COUNTY: &str = "140423-ZF";
const ID_NUMBER: &str = "140423199001011237";

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
    let (s, v) = call(p, "POST", p.review.url(path), token, body).await;
    assert!(s == 200 || s == 201, "{path}: {s} {v}");
    v
}

async fn opinion_delivered(p: &Platform, id: &str, unit: &str, outcome: &str) {
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
    act(p, id, &format!("/api/v1/handling/opinions/{opinion}/delivery"), &handler(unit),
        json!({ "delivered_on": today_in_china(), "method": "in_person", "proof": "信访人张三当面签收" })).await;
}

fn has_clock(case: &Value, kind: &str) -> bool {
    case["clocks"].as_array().is_some_and(|a| {
        a.iter()
            .any(|k| k["kind"] == kind && k["due_on"].is_string())
    })
}

/// The platform, with notification packaging final cases at once and asking the real intake.
async fn platform() -> Platform {
    let env = TestEnv::new();
    let intake = start_intake(&env).await;
    let mediation = Service {
        name: "mediation",
        app: spawn_app(mediation::startup::build(
            mediation::configuration::Settings {
                platform: env.settings("mediation"),
            },
        ))
        .await,
    };
    let review = Service {
        name: "administrative-review",
        app: spawn_app(administrative_review::startup::build(
            administrative_review::configuration::Settings {
                platform: env.settings("administrative-review"),
            },
        ))
        .await,
    };
    let supervision = start_supervision(&env, Default::default()).await;
    let mut n = notification::configuration::NotificationSettings::default();
    n.contacts.intake_url = intake.app.address.clone();
    n.contacts.token = Some(
        service_token(
            "notification",
            &["intake.contact.read", "intake.archive.read"],
        )
        .into(),
    );
    n.archive.delay_secs = 0;
    n.archive.poll_interval_ms = 200;
    let notification = Service {
        name: "notification",
        app: spawn_app(notification::startup::build(
            notification::configuration::Settings {
                platform: env.settings("notification"),
                notification: n,
            },
        ))
        .await,
    };
    let p = Platform {
        env,
        intake,
        mediation,
        review,
        supervision,
        notification,
        client: test_client(),
    };
    for s in p.services() {
        assert!(s.app.broker.wait_connected(Duration::from_secs(15)).await);
    }
    p
}

#[tokio::test]
async fn a_case_that_became_final_is_archived_and_found_by_its_petitioner() {
    let p = platform().await;
    let admin = token("admin", BUREAU, &[Role::Admin]);
    let (s, v) = call(
        &p,
        "POST",
        p.supervision.url("/api/v1/calendar/years"),
        &admin,
        json!({ "year": 2027, "source": "测试用年度安排（非官方）",
                "holidays": [{ "name": "元旦", "from": "2027-01-01", "to": "2027-01-03" },
                             { "name": "春节", "from": "2027-02-06", "to": "2027-02-13" },
                             { "name": "国庆", "from": "2027-10-01", "to": "2027-10-07" }],
                "make_up_working_days": [{ "date": "2027-02-14", "for": "春节" }] }),
    )
    .await;
    assert_eq!(s, 200, "{v}");

    let reg = p
        .register(
            &json!({ "channel": "visit", "summary": "拖欠工资三个月未发放", "category": "claim",
                           "field": "labour_social_security", "township": "古韩镇",
                           "petitioners": [{ "name": "张三", "id_number": ID_NUMBER,
                                             "phone": "13912340000" }] }),
        )
        .await;
    let id = reg["id"].as_str().unwrap().to_string();
    let case_number = reg["case_number"].as_str().unwrap().to_string();
    let (s, d) = call(
        &p,
        "POST",
        p.intake.url(&format!("/api/v1/petitions/{id}/decisions")),
        &clerk_token(),
        json!({ "kind": "accept", "reason": "属于本机关职责范围", "handling_unit": CENTRE }),
    )
    .await;
    assert_eq!(s, 201, "{d}");
    let case_url = p.review.url(&format!("/api/v1/handling/cases/{id}"));
    until(
        &p,
        "handling due date",
        case_url.clone(),
        &clerk_token(),
        |c| has_clock(c, "handling"),
    )
    .await;

    // Handling, review (复查), re-review (复核) with a hearing: final.
    opinion_delivered(&p, &id, CENTRE, "reject").await;
    until(&p, "review window", case_url.clone(), &clerk_token(), |c| {
        has_clock(c, "review_window")
    })
    .await;
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
    until(&p, "review clock", case_url.clone(), &clerk_token(), |c| {
        has_clock(c, "review")
    })
    .await;
    opinion_delivered(&p, &id, RSJ, "uphold").await;
    until(
        &p,
        "re-review window",
        case_url.clone(),
        &clerk_token(),
        |c| has_clock(c, "re_review_window"),
    )
    .await;
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
        case_url.clone(),
        &clerk_token(),
        |c| has_clock(c, "re_review"),
    )
    .await;
    let today = today_in_china().to_string();
    let v = act(&p, &id, &format!("/api/v1/handling/cases/{id}/hearings"), &handler(COUNTY),
        json!({ "scheduled_on": today, "place": "县信访局听证室", "chair": "王五", "participants": ["张三"] })).await;
    let hearing = v["id"].as_str().unwrap();
    act(&p, &id, &format!("/api/v1/handling/hearings/{hearing}/record"), &handler(COUNTY),
        json!({ "held_from": today, "held_to": today, "participants": ["张三"], "record": "听证笔录" })).await;
    opinion_delivered(&p, &id, COUNTY, "uphold").await;
    until(&p, "final", case_url.clone(), &clerk_token(), |c| {
        c["step"] == "final"
    })
    .await;

    // The archive package, made by notification without any call on the event path.
    let archivist = token("archivist-1", BUREAU, &[Role::Archivist]);
    let package = until(
        &p,
        "the archive package",
        p.notification.url(&format!("/api/v1/archive/{id}")),
        &archivist,
        |_| true,
    )
    .await;
    assert_eq!(package["case_number"], case_number.as_str());
    assert_eq!(package["retention_class"], "long");
    assert_eq!(package["retention_name"], "长期");
    let files = package["manifest"]["files"].as_array().unwrap().clone();
    let pdfs = files
        .iter()
        .filter(|f| f["media_type"] == "application/pdf")
        .count();
    assert!(
        pdfs >= 2,
        "the receipt and the acceptance notice at least: {files:?}"
    );
    for f in &files {
        let path = f["path"].as_str().unwrap();
        let res = p
            .client
            .get(
                p.notification
                    .url(&format!("/api/v1/archive/{id}/files/{path}")),
            )
            .bearer_auth(&archivist)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{path}");
        let bytes = res.bytes().await.unwrap();
        assert_eq!(hex::encode(Sha256::digest(&bytes)), f["sha256"], "{path}");
        if path.starts_with("audit/") {
            let trail: CaseTrail = serde_json::from_slice(&bytes).unwrap();
            assert!(verify_trail(&trail).unwrap() > 0, "{path}");
        }
    }
    let (_, intake_trail) = call(
        &p,
        "GET",
        p.notification
            .url(&format!("/api/v1/archive/{id}/files/audit/intake.json")),
        &archivist,
        Value::Null,
    )
    .await;
    let actions: Vec<&str> = intake_trail["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"petition.register"), "{actions:?}");
    assert!(actions.contains(&"petition.archive.read"), "{actions:?}");

    for criteria in [
        json!({ "case_number": case_number }),
        json!({ "id_number": ID_NUMBER }),
    ] {
        let (s, found) = call(
            &p,
            "POST",
            p.notification.url("/api/v1/archive/search"),
            &archivist,
            criteria,
        )
        .await;
        assert_eq!(s, 200, "{found}");
        assert_eq!(found["items"][0]["case_id"], id.as_str());
    }

    // ---- The archivist's pages (档案管理员) in a real browser: found by the petitioner's
    // identity number (not shown again), the package with its files, a hold that needs its
    // reason, a destruction refused before the period ends, a file downloaded through the
    // console matching the manifest. ----
    if let Some(driver) = start_driver("archive_flow (pages)").await {
        let console = start_console_for(&p).await;
        add_account(
            &console,
            "archivist.zhou",
            BUREAU,
            &["archivist"],
            "Xf-archive-pages-2026!",
            None,
        )
        .await;
        let c = browser(&driver).await;
        log_in(
            &c,
            &console.url(""),
            "archivist.zhou",
            "Xf-archive-pages-2026!",
        )
        .await;
        assert!(text(&c, "header nav").await.contains("信访档案"));
        c.goto(&console.url("/console/archive")).await.unwrap();
        axe_check(&c, "archive search").await;
        fill(&c, "#id_number", ID_NUMBER).await;
        submit(&c, "#archive-search button[type=submit]").await;
        let results = text(&c, "#archive-results").await;
        assert!(
            results.contains(&case_number) && results.contains("长期"),
            "{results}"
        );
        assert!(!c.source().await.unwrap().contains(ID_NUMBER));
        axe_check(&c, "archive results").await;
        screenshot(&c, "archive-search", 1366).await;
        submit(&c, "#archive-results a").await;
        wait_path(&c, &format!("/console/archive/{id}")).await;
        let listed = text(&c, "#archive-files").await;
        for f in &files {
            assert!(listed.contains(f["path"].as_str().unwrap()), "{listed}");
        }
        axe_check(&c, "archive package").await;
        submit(&c, "#hold-form button[type=submit]").await;
        assert!(text(&c, "#hold-reason-error").await.contains("事由"));
        fill(&c, "#hold-reason", "县人民法院调卷（行政诉讼）").await;
        submit(&c, "#hold-form button[type=submit]").await;
        assert!(text(&c, "#archive-done").await.contains("法律保全"));
        assert!(text(&c, "#hold-state").await.contains("县人民法院调卷"));
        fill(&c, "#request-reason", "保管期限届满").await;
        submit(&c, "#request-form button[type=submit]").await;
        let refused = text(&c, "#request-reason-error").await;
        assert!(
            !refused.is_empty(),
            "a destruction during a hold is refused"
        );
        assert!(c.find(Locator::Css("#destructions")).await.is_err());
        axe_check(&c, "archive package with an error").await;
        screenshot(&c, "archive-package", 1366).await;
        // A file through the console, with the browser's session, matches the manifest.
        let cookies = c.get_all_cookies().await.unwrap();
        let cookie = cookies
            .iter()
            .map(|k| format!("{}={}", k.name(), k.value()))
            .collect::<Vec<_>>()
            .join("; ");
        let res = p
            .client
            .get(console.url(&format!("/console/archive/{id}/files/case.json")))
            .header("Cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert!(res
            .headers()
            .get("content-disposition")
            .is_some_and(|v| v.to_str().unwrap().contains("case.json")));
        let bytes = res.bytes().await.unwrap();
        let listed = files.iter().find(|f| f["path"] == "case.json").unwrap();
        assert_eq!(hex::encode(Sha256::digest(&bytes)), listed["sha256"]);

        // ---- The post room (收发室): the petitioner has a phone, so the notices that must be
        // proved served also went by letter; the clerk prints them all at once, posts one with
        // its tracking number and records its receipt. ----
        add_account(
            &console,
            "clerk.post",
            BUREAU,
            &["clerk"],
            "Xf-post-room-2026!",
            None,
        )
        .await;
        log_in(&c, &console.url(""), "clerk.post", "Xf-post-room-2026!").await;
        c.goto(&console.url("/console/post")).await.unwrap();
        let awaiting = text(&c, "#awaiting").await;
        assert!(
            awaiting.contains(&case_number) && awaiting.contains("告知书"),
            "{awaiting}"
        );
        axe_check(&c, "post room").await;
        let cookies = c.get_all_cookies().await.unwrap();
        let cookie = cookies
            .iter()
            .map(|k| format!("{}={}", k.name(), k.value()))
            .collect::<Vec<_>>()
            .join("; ");
        let batch = p
            .client
            .get(console.url("/console/post/letters.pdf"))
            .header("Cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(batch.status().as_u16(), 200);
        assert_eq!(batch.headers()["content-type"], "application/pdf");
        assert!(batch.bytes().await.unwrap().starts_with(b"%PDF-"));
        let form = "#awaiting form.row-form";
        fill(&c, &format!("{form} input[name=tracking_number]"), "12").await;
        submit(&c, &format!("{form} button[type=submit]")).await;
        assert!(text(&c, "#awaiting .error").await.contains("邮件号"));
        screenshot(&c, "post-room", 1366).await;
        fill(
            &c,
            &format!("{form} input[name=tracking_number]"),
            "1234567890123",
        )
        .await;
        submit(&c, &format!("{form} button[type=submit]")).await;
        assert!(text(&c, "#post-done").await.contains("邮件号"));
        assert!(text(&c, "#posted").await.contains("1234567890123"));
        let form = "#posted form.row-form";
        submit(&c, &format!("{form} button[type=submit]")).await;
        assert!(text(&c, "#posted .error").await.contains("签收人"));
        fill(&c, &format!("{form} input[name=signed_by]"), "张三").await;
        submit(&c, &format!("{form} button[type=submit]")).await;
        assert!(text(&c, "#post-done").await.contains("签收"));
        axe_check(&c, "post room after receipt").await;
        c.close().await.unwrap();
        console.stop().await;
    }
    p.stop().await;
}
