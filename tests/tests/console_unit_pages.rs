//! The unit's and the mediator's pages in a real browser (issue 17): headless Chromium from
//! Debian's packages over chromedriver, against the real console and all five services started
//! in-process. The bureau registers a group visit and assigns it to 县人社局 (through the API);
//! the unit's handler logs in, sees it in the inbox with its due date, accepts it, records a
//! talk, requests an extension (first refused as stale after someone else changed the case, with
//! the reload hint); the unit head approves it; the handler drafts a 解释说明 opinion, the head
//! approves and issues it, the handler records its delivery. A mediator of 古韩镇 sees the
//! referral, records both parties' consent, schedules a session (a second booking at the same time
//! refused beside the time) and finds it in the calendar. Every page is checked with axe-core.
//!
//! Screenshots into `docs/console/`:
//! `XINFANG_SCREENSHOTS=1 cargo test -p xinfang-e2e --test console_unit_pages`.
//! Skipped, saying so, only when chromedriver is missing (`.ci/run` installs it).

// A panic in a test helper is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::Duration as Days;
use console::configuration::{KeySettings, KeyState};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use xinfang_e2e::{
    console::{
        add_named_account,
        browser::{
            self, axe_check, browser, click, fill, log_in, reload_until, screenshot, start_driver,
            text, wait_path,
        },
        console_settings,
    },
    Platform,
};
use xinfang_platform::{time::today_in_china, Role};
use xinfang_test_support::{clerk_token, spawn_app, token, wait_for, TestApp, BUREAU};

const RSJ: &str = "140423-RSJ";
const RSJ_NAME: &str = "襄垣县人力资源和社会保障局";
const TOWN: &str = "140423-GHZ";
const PASSWORD: &str = "Xf-unit-pages-2026!";

/// The console signing with the development key (which the services trust), calling them.
async fn start_console(p: &Platform) -> TestApp {
    let mut settings = console_settings(&p.env, 300);
    settings.console.tokens.signing_keys = vec![KeySettings {
        kid: xinfang_platform::auth::dev::DEV_KID.into(),
        private_key_pem: Some(xinfang_test_support::DEV_KEY_PEM.to_string().into()),
        private_key_file: None,
        state: KeyState::Active,
        retired_at: None,
    }];
    let pages = &mut settings.console.pages;
    pages.intake_url = p.intake.url("");
    pages.administrative_review_url = p.review.url("");
    pages.mediation_url = p.mediation.url("");
    pages.supervision_url = p.supervision.url("");
    pages.notification_url = p.notification.url("");
    spawn_app(console::startup::build(settings)).await
}

async fn post(p: &Platform, url: String, bearer: &str, body: Value) -> Value {
    let res = p
        .client
        .post(url)
        .bearer_auth(bearer)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!((200..300).contains(&status), "{status}: {body}");
    body
}

/// Poll a GET until `ok` accepts the body.
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

/// Submit `form` and wait for the page that answers it (never read the old one).
async fn submit(c: &Client, form: &str) {
    browser::submit(c, &format!("{form} button[type=submit]")).await;
}

/// The confirmation after a saved step (the page comes back with `#done`).
async fn done(c: &Client) -> String {
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("#done"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Set a date or time field's value (typing into them depends on the browser's locale).
async fn set_value(c: &Client, css: &str, value: &str) {
    c.execute(
        "document.querySelector(arguments[0]).value = arguments[1]; return true;",
        vec![json!(css), json!(value)],
    )
    .await
    .unwrap();
}

async fn select(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_unit_handles_an_assigned_case_and_the_mediator_schedules_a_session() {
    let Some(driver) = start_driver("console_unit_pages").await else {
        return;
    };
    let p = Platform::start().await;
    let console_app = start_console(&p).await;
    let console = console_app.url("");
    let console = console.trim_end_matches('/');
    let handler_id = add_named_account(
        &console_app,
        "handler.li",
        "李承办",
        RSJ,
        &["handler"],
        PASSWORD,
    )
    .await;
    add_named_account(
        &console_app,
        "head.zhao",
        "赵主任",
        RSJ,
        &["unit_head"],
        PASSWORD,
    )
    .await;
    let mediator_id = add_named_account(
        &console_app,
        "mediator.wang",
        "王调解",
        TOWN,
        &["mediator"],
        PASSWORD,
    )
    .await;

    // The bureau registers a group visit and assigns it to 县人社局 (API).
    let reg = post(
        &p,
        p.intake.url("/api/v1/petitions"),
        &clerk_token(),
        json!({ "channel": "visit", "summary": "三十名农民工反映工程款拖欠", "category": "claim",
                "field": "labour_social_security", "township": "古韩镇", "group_visit": true,
                "petitioner_count": 30, "facts": "某工程完工两年，工资仍未结清。",
                "petitioners": [{ "name": "王大山" }, { "name": "李小河" }, { "name": "赵春花" }] }),
    )
    .await;
    let id = reg["id"].as_str().unwrap().to_string();
    let case_number = reg["case_number"].as_str().unwrap().to_string();
    let assign_due = (today_in_china() + Days::days(40)).to_string();
    post(
        &p,
        p.intake.url(&format!("/api/v1/petitions/{id}/decisions")),
        &clerk_token(),
        json!({ "kind": "assign", "to_unit": RSJ, "due_on": assign_due, "instructions": "请依法调查处理" }),
    )
    .await;
    // Another unit's case never shows in the inbox.
    let other = post(
        &p,
        p.intake.url("/api/v1/petitions"),
        &clerk_token(),
        json!({ "channel": "letter", "summary": "宅基地确权纠纷", "category": "claim",
                "field": "natural_resources", "petitioners": [{ "name": "孙七", "address": "襄垣县古韩镇南关村" }] }),
    )
    .await;
    post(
        &p,
        p.intake
            .url(&format!("/api/v1/petitions/{}/decisions", other["id"].as_str().unwrap())),
        &clerk_token(),
        json!({ "kind": "assign", "to_unit": "140423-ZRZYJ", "due_on": assign_due, "instructions": "请依法处理" }),
    )
    .await;

    let c = browser(&driver).await;

    // The handler's inbox (本单位待办): the case waiting to be accepted, its date with words.
    log_in(&c, console, "handler.li", PASSWORD).await;
    assert!(
        text(&c, "header .who").await.contains(RSJ_NAME),
        "the header names the organ, not its code"
    );
    click(&c, "a[href='/console/unit']").await;
    wait_path(&c, "/console/unit").await;
    let inbox = text(&c, "table.inbox").await;
    assert!(inbox.contains(&case_number), "{inbox}");
    assert!(inbox.contains("待签收（交办）"), "{inbox}");
    assert!(!inbox.contains("宅基地确权纠纷"), "nothing of other units");
    let label = text(&c, "table.inbox tbody tr .due-label").await;
    assert!(
        ["已超期", "3个工作日内到期", "期限内"].contains(&label.as_str()),
        "{label}"
    );
    let title = c
        .find(Locator::Css("table.inbox tbody tr .due"))
        .await
        .unwrap()
        .attr("title")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        title.contains("第二十三条") || title.contains("工作日"),
        "{title}"
    );
    // How supervision computed it, one click away (open for the screenshot).
    let how = c
        .execute(
            "var d = document.querySelector('table.inbox details.due-how'); d.open = true; \
             return d.textContent;",
            vec![],
        )
        .await
        .unwrap();
    assert!(how.as_str().unwrap().contains("计算过程"), "{how}");
    axe_check(&c, "unit inbox").await;
    screenshot(&c, "unit-inbox", 1366).await;

    // Accept (签收) with the date of the act.
    c.find(Locator::LinkText(&case_number))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let case_url = format!("{console}/console/unit/cases/{id}");
    wait_path(&c, &format!("/console/unit/cases/{id}")).await;
    assert!(text(&c, "#handoff").await.contains("第二十三条"));
    axe_check(&c, "unit case, hand-off").await;
    screenshot(&c, "unit-case-accept", 1366).await;
    // A date in the future is refused beside the field.
    set_value(
        &c,
        "#accept-accepted_on",
        &(today_in_china() + Days::days(3)).to_string(),
    )
    .await;
    submit(&c, "#accept-form").await;
    let err = c
        .wait()
        .for_element(Locator::Css("#accept-accepted_on-error"))
        .await
        .unwrap();
    assert!(!err.text().await.unwrap().is_empty());
    set_value(&c, "#accept-accepted_on", &today_in_china().to_string()).await;
    submit(&c, "#accept-form").await;
    assert!(done(&c).await.contains("已签收"));

    // Administrative review starts handling from intake's event; the page then offers handling.
    reload_until(&c, &case_url, "#entry-form", Duration::from_secs(30)).await;
    select(&c, "#entry-kind", "talk").await;
    fill(
        &c,
        "#entry-summary",
        "约谈信访人代表王大山，核实欠薪人数和金额",
    )
    .await;
    fill(&c, "#entry-att_name", "谈话笔录.pdf").await;
    fill(&c, "#entry-att_size", "20480").await;
    fill(
        &c,
        "#entry-att_sha256",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    )
    .await;
    submit(&c, "#entry-form").await;
    assert!(done(&c).await.contains("办理记录已保存"));
    assert!(text(&c, "table.records")
        .await
        .contains("约谈信访人代表王大山"));

    // The extension needs the handling clock's due date from supervision.
    let review_case = p.review.url(&format!("/api/v1/handling/cases/{id}"));
    until(
        &p,
        "the handling due date",
        review_case.clone(),
        &clerk_token(),
        |b| {
            b["clocks"].as_array().is_some_and(|a| {
                a.iter()
                    .any(|c| c["kind"] == "handling" && c["due_on"].is_string())
            })
        },
    )
    .await;
    c.goto(&case_url).await.unwrap();
    assert!(text(&c, "ul.dues").await.contains("办理期限"));
    // Someone else records an entry meanwhile: the page's version is stale (409, reload hint).
    let handler_api = token("h-api", RSJ, &[Role::Handler]);
    let now = p
        .client
        .get(review_case.clone())
        .bearer_auth(&handler_api)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    post(
        &p,
        p.review
            .url(&format!("/api/v1/handling/cases/{id}/entries")),
        &handler_api,
        json!({ "version": now["version"], "kind": "investigation", "occurred_on": today_in_china(),
                "summary": "调取工程合同和工资发放记录" }),
    )
    .await;
    fill(&c, "#extension-days", "30").await;
    fill(&c, "#extension-reason", "涉及人数多，需核实全部工资台账").await;
    submit(&c, "#extension-form").await;
    let err = c
        .wait()
        .for_element(Locator::Css("#extension-form-error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        err.contains("已被他人修改") && err.contains("刷新"),
        "{err}"
    );
    assert_eq!(
        c.find(Locator::Css("#extension-reason"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap(),
        "涉及人数多，需核实全部工资台账",
        "what was typed is kept"
    );
    axe_check(&c, "unit case, conflict").await;
    screenshot(&c, "unit-case-conflict", 1366).await;
    c.goto(&case_url).await.unwrap();
    fill(&c, "#extension-reason", "涉及人数多，需核实全部工资台账").await;
    submit(&c, "#extension-form").await;
    assert!(done(&c).await.contains("延期申请已提交"));
    assert!(c
        .find(Locator::Css("#extension-decision-form"))
        .await
        .is_err());

    // The unit head approves the extension.
    log_in(&c, console, "head.zhao", PASSWORD).await;
    c.goto(&case_url).await.unwrap();
    submit(&c, "#extension-decision-form").await;
    assert!(done(&c).await.contains("延期审批意见已保存"));
    assert!(text(&c, "main").await.contains("已批准"));

    // The handler drafts the opinion (解释说明).
    log_in(&c, console, "handler.li", PASSWORD).await;
    c.goto(&case_url).await.unwrap();
    click(&c, "#opinion-outcome-explain").await;
    fill(
        &c,
        "#opinion-facts",
        "经核实，工程款已由建设单位拨付至总包单位，总包单位正在结算。",
    )
    .await;
    fill(
        &c,
        "#opinion-reasons",
        "欠薪由劳动保障监察大队依法督促总包单位支付。",
    )
    .await;
    fill(
        &c,
        "#opinion-legal_basis",
        "《保障农民工工资支付条例》第三十条",
    )
    .await;
    submit(&c, "#opinion-form").await;
    assert!(done(&c).await.contains("意见书草稿已保存"));
    assert!(c.find(Locator::Css("#approval-form")).await.is_err());

    // The unit head approves and issues it.
    log_in(&c, console, "head.zhao", PASSWORD).await;
    c.goto(&case_url).await.unwrap();
    submit(&c, "#approval-form").await;
    assert!(done(&c).await.contains("已审批"));
    fill(&c, "#issue-document_number", "襄人社信复〔2026〕1号").await;
    submit(&c, "#issue-form").await;
    assert!(done(&c).await.contains("已出具"));

    // The handler records its delivery.
    log_in(&c, console, "handler.li", PASSWORD).await;
    c.goto(&case_url).await.unwrap();
    fill(&c, "#delivery-proof", "信访人代表王大山当面签收").await;
    submit(&c, "#delivery-form").await;
    assert!(done(&c).await.contains("送达情况已登记"));
    assert!(text(&c, ".delivered").await.contains("王大山当面签收"));
    let opinion = text(&c, ".opinion").await;
    assert!(
        opinion.contains("起草人 李承办") && opinion.contains("审批人 赵主任"),
        "{opinion}"
    );
    axe_check(&c, "unit case, delivered").await;
    screenshot(&c, "unit-case", 1366).await;
    let case = p
        .client
        .get(review_case)
        .bearer_auth(&handler_api)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let opinion = &case["opinions"][0];
    assert_eq!(
        (
            opinion["outcome"].as_str(),
            opinion["status"].as_str(),
            opinion["delivery_method"].as_str()
        ),
        (Some("explain"), Some("issued"), Some("in_person"))
    );
    assert_eq!(opinion["drafted_by"], handler_id.to_string());
    assert_eq!(case["extensions"][0]["status"], "approved");
    assert_eq!(
        case["entries"].as_array().unwrap().len(),
        2,
        "the page's talk and the API's investigation"
    );

    // Mediation: a body of 古韩镇 with the mediator (whose login account is the console's).
    until(
        &p,
        "the case in mediation's register",
        p.mediation.url(&format!("/api/v1/cases/{id}")),
        &clerk_token(),
        |c| c["case_id"].is_string(),
    )
    .await;
    let admin = token("admin", BUREAU, &[Role::Admin]);
    let body = post(
        &p,
        p.mediation.url("/api/v1/mediation-bodies"),
        &admin,
        json!({ "name": "古韩镇人民调解委员会", "kind": "township_committee", "township": "古韩镇",
                "fields": ["labour_social_security"], "contact": "0355-7000001", "unit_code": TOWN }),
    )
    .await;
    let town_head = token("head", TOWN, &[Role::UnitHead]);
    let mediator = post(
        &p,
        p.mediation.url("/api/v1/mediators"),
        &town_head,
        json!({ "name": "王调解", "body_id": body["id"], "kind": "people_mediator",
                "fields": ["labour_social_security"], "townships": ["古韩镇"],
                "account": mediator_id.to_string() }),
    )
    .await;
    let referred = post(
        &p,
        p.mediation.url("/api/v1/mediations"),
        &clerk_token(),
        json!({ "petition_id": id, "stage": "handling", "body_id": body["id"],
                "parties": [{ "name": "王大山", "role": "applicant" }, { "name": "某建筑公司", "role": "respondent" }],
                "summary": "农民工工资拖欠纠纷" }),
    )
    .await;
    let m = referred["mediation"]["id"].as_str().unwrap().to_string();

    // The mediator sees the referral and records both parties' consent.
    log_in(&c, console, "mediator.wang", PASSWORD).await;
    click(&c, "a[href='/console/mediation']").await;
    wait_path(&c, "/console/mediation").await;
    assert!(text(&c, "table.inbox").await.contains("农民工工资拖欠纠纷"));
    axe_check(&c, "mediator list").await;
    screenshot(&c, "mediator-list", 1366).await;
    c.find(Locator::LinkText(&case_number))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&c, &format!("/console/mediation/{m}")).await;
    for party in ["王大山", "某建筑公司"] {
        select(&c, "#consent-party", party).await;
        submit(&c, "#consent-form").await;
        assert!(done(&c).await.contains("当事人意愿已记录"));
    }
    assert!(text(&c, "#mediation-status").await.contains("已同意"));

    // The body assigns the mediator (API); the mediator schedules a session.
    post(
        &p,
        p.mediation.url(&format!("/api/v1/mediations/{m}/mediator")),
        &token("med-api", TOWN, &[Role::Mediator]),
        json!({ "mediator_id": mediator["id"], "reason": "系统推荐第 1 位" }),
    )
    .await;
    let mediation_url = format!("{console}/console/mediation/{m}");
    c.goto(&mediation_url).await.unwrap();
    let day = today_in_china() + Days::days(1);
    set_value(&c, "#session-date", &day.to_string()).await;
    set_value(&c, "#session-start", "09:00").await;
    set_value(&c, "#session-end", "10:30").await;
    fill(&c, "#session-place", "古韩镇司法所").await;
    fill(&c, "#session-room", "第一调解室").await;
    submit(&c, "#session-form").await;
    assert!(done(&c).await.contains("调解已安排"));
    assert!(text(&c, "main").await.contains("09:00–10:30"));
    // The same mediator at an overlapping time: refused beside the time.
    set_value(&c, "#session-date", &day.to_string()).await;
    set_value(&c, "#session-start", "10:00").await;
    set_value(&c, "#session-end", "11:00").await;
    fill(&c, "#session-place", "古韩镇司法所").await;
    fill(&c, "#session-room", "第二调解室").await;
    submit(&c, "#session-form").await;
    let err = c
        .wait()
        .for_element(Locator::Css("#session-start-error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(err.contains("不能重复预约"), "{err}");
    axe_check(&c, "mediator case, double booking").await;
    screenshot(&c, "mediator-double-booking", 1366).await;
    c.goto(&mediation_url).await.unwrap();
    axe_check(&c, "mediator case").await;
    screenshot(&c, "mediator-case", 1366).await;

    // The calendar (调解日程) of the week holding the session.
    c.goto(&format!(
        "{console}/console/mediation/calendar?view=week&from={day}"
    ))
    .await
    .unwrap();
    let week = text(&c, "ol.calendar").await;
    assert!(
        week.contains("09:00–10:30") && week.contains(&case_number),
        "{week}"
    );
    axe_check(&c, "mediator calendar").await;
    screenshot(&c, "mediator-calendar", 1366).await;
    c.goto(&format!(
        "{console}/console/mediation/calendar?view=month&from={day}"
    ))
    .await
    .unwrap();
    assert!(text(&c, "ol.calendar").await.contains("09:00–10:30"));

    // The agreement (调解协议书): without its terms it is refused beside the field, what was typed
    // kept; then it is recorded and the page shows it.
    c.goto(&mediation_url).await.unwrap();
    fill(
        &c,
        "#agreement-dispute",
        "某建筑公司拖欠王大山等人工资三个月",
    )
    .await;
    set_value(
        &c,
        "#agreement-perform_by",
        &(today_in_china() + Days::days(15)).to_string(),
    )
    .await;
    submit(&c, "#agreement-form").await;
    let err = c
        .wait()
        .for_element(Locator::Css("#agreement-terms-error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!err.is_empty());
    assert_eq!(
        c.find(Locator::Css("#agreement-dispute"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("某建筑公司拖欠王大山等人工资三个月")
    );
    fill(
        &c,
        "#agreement-terms",
        "某建筑公司于十五日内一次性支付拖欠工资共计人民币三万元",
    )
    .await;
    submit(&c, "#agreement-form").await;
    assert!(done(&c).await.contains("调解协议已登记"));
    let main = text(&c, "main").await;
    assert!(
        main.contains("调解协议书") && main.contains("一次性支付"),
        "{main}"
    );
    axe_check(&c, "mediator case with the agreement").await;

    // A mediator is not a unit handler.
    c.goto(&format!("{console}/console/unit")).await.unwrap();
    assert!(text(&c, "main").await.contains("无权"));

    c.close().await.unwrap();
    console_app.stop().await;
    p.stop().await;
}
