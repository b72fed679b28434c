//! The petitioner portal in a real browser (issues 17 and 15): headless Debian Chromium over
//! chromedriver against the real console, intake and notification started in-process, and a
//! local SMS gateway the test reads. On a phone-sized window (390×844; each page is also checked
//! at 1366×768) the petitioner verifies a mobile number with the code the gateway received (a
//! wrong code first), submits an online petition and reads the receipt (case number, query code);
//! looks the case up (a wrong code answers like a missing case), downloads a notice as PDF; after
//! the bureau declines the case through intake's API (closure), rates it once, and a second rating
//! is refused in Chinese; asking for a second code at once and too many lookups answer the 429
//! page. axe-core finds no serious or critical violation on any portal page.
//!
//! Screenshots into `docs/console/portal-*.png`:
//! `XINFANG_SCREENSHOTS=1 cargo test -p xinfang-e2e --test portal_pages`.
//! Skipped, saying so, only when chromedriver is missing (`.ci/run` installs it).

// A panic in a test helper is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use console::configuration::PortalSettings;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use xinfang_e2e::{
    console::{
        browser::{self, axe_violations, page_screenshot, start_driver},
        start_portal_console, start_portal_notification, SmsGateway,
    },
    start_intake,
};
use xinfang_test_support::{clerk_token, test_client, wait_for, TestEnv, BUREAU};

const PHONE: (u32, u32) = (390, 844);
const WIDE: (u32, u32) = (1366, 768);
const WAIT: Duration = Duration::from_secs(30);

/// Check the page at both sizes: no serious/critical axe violation, no sideways scrolling on the
/// phone; screenshots `<name>` (phone) and `<name>-wide`.
async fn check(c: &Client, name: &str) {
    let bad = axe_violations(c).await;
    assert!(
        bad.is_empty(),
        "accessibility violations on {name}: {bad:#?}"
    );
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(overflow, false, "sideways scrolling on a phone: {name}");
    page_screenshot(c, name, PHONE.0, PHONE.1).await;
    c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
    let bad = axe_violations(c).await;
    assert!(
        bad.is_empty(),
        "accessibility violations on {name} at 1366×768: {bad:#?}"
    );
    page_screenshot(c, &format!("{name}-wide"), WIDE.0, WIDE.1).await;
    c.set_window_size(PHONE.0, PHONE.1).await.unwrap();
}

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn fill(c: &Client, css: &str, value: &str) {
    let e = c.find(Locator::Css(css)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(value).await.unwrap();
}

/// Submit `form` and wait for the page that answers it (never read the old one).
async fn submit(c: &Client, form: &str) {
    browser::submit(c, &format!("{form} button[type=submit]")).await;
}

async fn wait_text(c: &Client, css: &str, contains: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if let Ok(t) = e.text().await {
                if t.contains(contains) {
                    return t;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "{css} never showed {contains:?}: {}",
            text(c, "main").await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The portal cookie and the current page's CSRF token, for requests the test makes itself.
async fn session_of(c: &Client) -> (String, String) {
    let cookie = c.get_named_cookie("xf_portal").await.unwrap();
    let csrf = c
        .find(Locator::Css("input[name=csrf]"))
        .await
        .unwrap()
        .attr("value")
        .await
        .unwrap()
        .unwrap();
    (format!("xf_portal={}", cookie.value()), csrf)
}

async fn post_form(
    console: &str,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{console}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", cookie)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Look the case up on the portal's form.
async fn look_up(c: &Client, console: &str, case: &str, code: &str) {
    c.goto(&format!("{console}/portal/")).await.unwrap();
    fill(c, "#case_number", case).await;
    fill(c, "#query_code", code).await;
    submit(c, "form[action='/portal/lookup']").await;
}

/// Notification's self-service answer (the case reaches it over the bus).
async fn progress(notification: &str, case: &str, code: &str) -> Option<Value> {
    let r = test_client()
        .post(format!("{notification}/api/v1/self-service/lookup"))
        .json(&json!({ "case_number": case, "query_code": code }))
        .send()
        .await
        .ok()?;
    if r.status().as_u16() != 200 {
        return None;
    }
    r.json().await.ok()
}

/// The first file the browser downloads into `dir`, once complete.
async fn downloaded(dir: &std::path::Path) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let done = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "pdf"));
        if let Some(p) = done {
            return std::fs::read(p).unwrap();
        }
        assert!(Instant::now() < deadline, "no PDF downloaded into {dir:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_petitioner_submits_online_follows_the_case_downloads_a_notice_and_rates_it_once() {
    let Some(browser) = start_driver("portal_pages").await else {
        return;
    };
    let env = TestEnv::new();
    let intake = start_intake(&env).await;
    intake.app.wait_connected().await;
    let gateway = SmsGateway::default();
    let gateway_url = gateway.start().await;
    let notification = start_portal_notification(&env, &intake.url(""), &gateway_url).await;
    notification.wait_connected().await;
    let console_app = start_portal_console(
        &env,
        &intake.url(""),
        &notification.address,
        PortalSettings {
            lookups_per_minute: 12,
            ..PortalSettings::default()
        },
    )
    .await;
    let base = console_app.address.clone();
    // Notification sends codes only for a service holding the scope.
    let send = |token: String| {
        let url = format!("{}/internal/v1/verification-codes", notification.address);
        async move {
            let r = test_client()
                .post(url)
                .bearer_auth(token)
                .json(&json!({ "phone": "13900000000", "code": "123456", "valid_minutes": 10 }))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (s, body) = send(clerk_token()).await;
    assert_eq!(s, 403, "{body}");
    let (s, body) = send(xinfang_test_support::service_token(
        "console-portal",
        &["notification.sms.verification"],
    ))
    .await;
    assert_eq!(s, 202, "{body}");
    let c = browser.session(PHONE.0, PHONE.1).await;

    // The portal's front page leads to the online petition.
    c.goto(&format!("{base}/portal/")).await.unwrap();
    check(&c, "portal-lookup").await;
    c.find(Locator::LinkText("我要信访（网上信访）"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Step 1: the mobile number; step 2: the code the SMS gateway received.
    c.wait().for_element(Locator::Css("#phone")).await.unwrap();
    check(&c, "portal-phone").await;
    fill(&c, "#phone", "12345").await;
    submit(&c, "form[action='/portal/petition/code']").await;
    wait_text(&c, "#phone-error", "11 位手机号码").await;
    fill(&c, "#phone", "138 1234 5678").await;
    submit(&c, "form[action='/portal/petition/code']").await;
    wait_text(&c, "main", "138****5678").await;
    let sms = wait_for("the code's SMS", WAIT, || {
        let gateway = gateway.clone();
        async move {
            gateway.received().into_iter().find(|m| {
                m["to"] == "13812345678" && m["text"].as_str().is_some_and(|t| t.contains("验证码"))
            })
        }
    })
    .await;
    assert_eq!(sms["to"], "13812345678");
    let code: String = sms["text"]
        .as_str()
        .unwrap()
        .split(|ch: char| !ch.is_ascii_digit())
        .find(|run| run.len() == 6)
        .expect("six digits in the SMS")
        .to_string();
    check(&c, "portal-code").await;
    // A second code to the same phone at once: 429, and no second SMS.
    let (cookie, csrf) = session_of(&c).await;
    let again = post_form(
        &base,
        "/portal/petition/code",
        &cookie,
        &[("csrf", csrf.as_str()), ("phone", "13812345678")],
    )
    .await;
    assert_eq!(again.status().as_u16(), 429);
    assert!(again.text().await.unwrap().contains("请求过于频繁"));
    let wrong = if code == "000000" { "111111" } else { "000000" };
    fill(&c, "#code", wrong).await;
    submit(&c, "form[action='/portal/petition/verify']").await;
    wait_text(&c, "#code-error", "验证码不正确").await;
    fill(&c, "#code", &code).await;
    submit(&c, "form[action='/portal/petition/verify']").await;

    // Step 3: the petition.
    c.wait()
        .for_element(Locator::Css("#summary"))
        .await
        .unwrap();
    assert!(text(&c, ".notice").await.contains("已验证"));
    // Intake's refusal comes back beside its field (an e-mail preference without an address).
    fill(&c, "#name", "张三").await;
    fill(&c, "#summary", "在建筑工地务工，工资被拖欠三个月").await;
    c.find(Locator::Css("#preferred_channel_email"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&c, "#petition").await;
    let err = wait_text(&c, "#preferred_channel-error", "电子邮箱").await;
    assert!(text(&c, "#error-summary").await.contains(&err));
    assert_eq!(
        c.find(Locator::Css("#summary"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap(),
        "在建筑工地务工，工资被拖欠三个月",
        "what was typed is kept"
    );
    check(&c, "portal-petition-errors").await;
    c.find(Locator::Css("#preferred_channel"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#field"))
        .await
        .unwrap()
        .select_by_value("labour_social_security")
        .await
        .unwrap();
    c.find(Locator::Css("#township"))
        .await
        .unwrap()
        .select_by_index(1)
        .await
        .unwrap();
    fill(
        &c,
        "#facts",
        "某建筑公司承建的住宅项目，2026年6月起未发工资。",
    )
    .await;
    fill(&c, "#requests", "请求督促公司支付拖欠的工资。").await;
    check(&c, "portal-petition").await;
    submit(&c, "#petition").await;

    // The receipt: case number and query code, once; printable.
    let case = c
        .wait()
        .for_element(Locator::Css("#case_number"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let query_code = text(&c, "#query_code").await;
    assert!(case.starts_with("140423-") && case.len() == 18, "{case}");
    assert_eq!(query_code.len(), 8, "{query_code}");
    assert!(c.find(Locator::Css("#print")).await.is_ok());
    assert!(!c.current_url().await.unwrap().as_str().contains(&case));
    check(&c, "portal-receipt").await;

    // Registered at intake on the online channel by the bureau, with the verified phone (masked
    // for a clerk), audited as the portal's service identity.
    let list: Value = test_client()
        .get(intake.url("/api/v1/petitions"))
        .bearer_auth(clerk_token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["case_number"] == case.as_str())
        .expect("the case is in intake")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let detail: Value = test_client()
        .get(intake.url(&format!("/api/v1/petitions/{id}")))
        .bearer_auth(clerk_token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["channel"], "online");
    assert_eq!(detail["registering_unit"], BUREAU);
    assert_eq!(detail["field"], "labour_social_security");
    assert_eq!(detail["petitioners"][0]["name"], "张三");
    assert_eq!(detail["petitioners"][0]["phone"], "138****5678");
    assert_eq!(detail["petitioners"][0]["preferred_channel"], "sms");
    let actor: String = sqlx::query_scalar(
        "SELECT actor FROM audit_log WHERE action = 'petition.register' AND case_id = $1::uuid",
    )
    .bind(&id)
    .fetch_one(&intake.app.pool)
    .await
    .unwrap();
    assert_eq!(actor, "service:console-portal");
    // The code is kept only as a keyed hash, and went over no bus.
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM portal_phone_codes WHERE used_at IS NULL OR position(convert_to($1, 'UTF8') IN code_hash) > 0",
    )
    .bind(&code)
    .fetch_one(&console_app.pool)
    .await
    .unwrap();
    assert_eq!(
        stored, 0,
        "the verification is spent and the code not stored"
    );
    let on_bus: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE envelope::text LIKE '%' || $1 || '%'",
    )
    .bind(&code)
    .fetch_one(&notification.pool)
    .await
    .unwrap();
    assert_eq!(on_bus, 0);

    // The case reaches notification over the bus; then the petitioner looks it up.
    wait_for("the case in the self-service", WAIT, || {
        progress(&notification.address, &case, &query_code)
    })
    .await;
    look_up(&c, &base, &case, "ZZZZZZZZ").await;
    let missing = wait_text(&c, "#query_code-error", "未找到").await;
    look_up(&c, &base, "140423-1999-999999", &query_code).await;
    assert_eq!(wait_text(&c, "#query_code-error", "未找到").await, missing);
    look_up(&c, &base, &case, &query_code.to_lowercase()).await;
    wait_text(&c, "#status", "已登记").await;
    assert!(text(&c, "#documents").await.contains("登记回执"));
    assert!(text(&c, "#dates").await.contains("告知是否受理的期限"));
    assert!(text(&c, "#rating").await.contains("办结"));
    assert!(!c.current_url().await.unwrap().as_str().contains(&case));
    check(&c, "portal-status").await;

    // The bureau declines the case (a labour dispute goes to arbitration): the case has ended.
    let decided = test_client()
        .post(intake.url(&format!("/api/v1/petitions/{id}/decisions")))
        .bearer_auth(clerk_token())
        .json(
            &json!({ "kind": "decline", "reason": "属于劳动争议", "legal_channel": "arbitration" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        decided.status().as_u16(),
        201,
        "{}",
        decided.text().await.unwrap()
    );
    wait_for("the case closed in the self-service", WAIT, || async {
        progress(&notification.address, &case, &query_code)
            .await
            .filter(|p| {
                p["closed"] == true && p["documents"].as_array().is_some_and(|d| d.len() >= 2)
            })
    })
    .await;
    look_up(&c, &base, &case, &query_code).await;
    wait_text(&c, "#status", "不予受理").await;
    assert!(text(&c, "#documents").await.contains("不予受理告知书"));
    check(&c, "portal-status-closed").await;

    // The notice as PDF, downloaded by the browser from the portal (the credential in the form
    // body, not the URL) ...
    let buttons = c.find_all(Locator::Css("[data-download]")).await.unwrap();
    buttons.last().unwrap().click().await.unwrap();
    let pdf = downloaded(&browser.downloads).await;
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    // ... served as application/pdf.
    let (cookie, csrf) = session_of(&c).await;
    let notice_id = buttons
        .last()
        .unwrap()
        .attr("data-download")
        .await
        .unwrap()
        .unwrap();
    let res = post_form(
        &base,
        "/portal/document",
        &cookie,
        &[
            ("csrf", csrf.as_str()),
            ("case_number", case.as_str()),
            ("query_code", query_code.as_str()),
            ("notice_id", notice_id.as_str()),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF-"));

    // Rated once.
    c.find(Locator::Css("#rating_satisfied"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(&c, "#comment", "答复及时，告知了仲裁途径").await;
    submit(&c, "form[action='/portal/rating']").await;
    wait_text(&c, "#portal-message", "感谢您的评价").await;
    assert!(text(&c, "#rating-done").await.contains("满意"));
    check(&c, "portal-rated").await;
    // A second rating is refused, in Chinese.
    let (cookie, csrf) = session_of(&c).await;
    let again = post_form(
        &base,
        "/portal/rating",
        &cookie,
        &[
            ("csrf", csrf.as_str()),
            ("case_number", case.as_str()),
            ("query_code", query_code.as_str()),
            ("rating", "dissatisfied"),
        ],
    )
    .await;
    assert_eq!(again.status().as_u16(), 409);
    let page = again.text().await.unwrap();
    assert!(page.contains("只能评价一次"), "{page}");
    assert!(page.contains("您的评价：<strong>满意"));

    // Two codes to another phone in a row: the second is the 429 page, in Chinese.
    for _ in 0..2 {
        c.goto(&format!("{base}/portal/petition")).await.unwrap();
        fill(&c, "#phone", "13912345678").await;
        submit(&c, "form[action='/portal/petition/code']").await;
        c.wait().for_element(Locator::Css("h1")).await.unwrap();
    }
    wait_text(&c, "h1", "请求过于频繁").await;
    check(&c, "portal-too-many").await;
    // Lookups past the limit: 429 as well.
    let mut limited = None;
    for _ in 0..15 {
        let r = post_form(
            &base,
            "/portal/lookup",
            &cookie,
            &[
                ("csrf", csrf.as_str()),
                ("case_number", case.as_str()),
                ("query_code", query_code.as_str()),
            ],
        )
        .await;
        if r.status().as_u16() == 429 {
            limited = Some(r.text().await.unwrap());
            break;
        }
    }
    assert!(limited
        .expect("lookups are limited")
        .contains("请求过于频繁"));

    c.close().await.unwrap();
    console_app.stop().await;
    notification.stop().await;
    intake.stop().await;
}
