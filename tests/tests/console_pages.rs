//! The console's pages in a real browser (issue 17): headless Chromium from Debian's packages,
//! driven over WebDriver (chromedriver on a free port), against the real console and intake
//! started in-process. The window clerk logs in, registers a group visit with representatives
//! (the ID number checked as typed, a bad one refused by intake beside its field, the sixth
//! representative refused on the page), sees the receipt, registers the same petitioner again
//! and opens the case page (分办) from the receipt: the repeat candidate beside the new petition,
//! confirmed new, the 交办 notices previewed (notification renders them) and the assignment made
//! (the petitioner portal is tested in `portal_pages.rs`). Every page is checked with axe-core (vendored, injected by the test): no serious or
//! critical violation.
//!
//! Screenshots of each page into `docs/console/`:
//! `XINFANG_SCREENSHOTS=1 cargo test -p xinfang-e2e --test console_pages`.
//! Skipped, saying so, only when chromedriver is missing (`.ci/run` installs it).

// A panic in a test helper is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use console::configuration::{KeySettings, KeyState};
use fantoccini::Locator;
use serde_json::{json, Value};
use xinfang_e2e::{
    console::{
        add_account,
        browser::{axe_check, browser, fill, screenshot, start_driver, submit, text, wait_path},
        console_settings,
    },
    start_intake, start_notification,
};
use xinfang_messaging::ConsumerHooks;
use xinfang_test_support::{spawn_app, test_client, TestApp, TestEnv, BUREAU};

/// The ID number with its GB 11643 check digit.
fn id_number(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{first17}{check}")
}

/// The same number with a wrong check digit.
fn wrong_check_digit(id: &str) -> String {
    let last = if id.ends_with('1') { '2' } else { '1' };
    format!("{}{last}", &id[..17])
}

/// Intake and notification, then the console signing with the development key (which both trust)
/// and calling them.
async fn start_services(env: &TestEnv) -> (xinfang_e2e::Service, xinfang_e2e::Service, TestApp) {
    let intake = start_intake(env).await;
    let notification = start_notification(env, ConsumerHooks::default()).await;
    let mut settings = console_settings(env, 300);
    settings.console.tokens.signing_keys = vec![KeySettings {
        kid: xinfang_platform::auth::dev::DEV_KID.into(),
        private_key_pem: Some(xinfang_test_support::DEV_KEY_PEM.to_string().into()),
        private_key_file: None,
        state: KeyState::Active,
        retired_at: None,
    }];
    settings.console.pages.intake_url = intake.url("");
    settings.console.pages.notification_url = notification.url("");
    let console_app = spawn_app(console::startup::build(settings)).await;
    (intake, notification, console_app)
}

#[tokio::test]
async fn pages_carry_the_security_headers_and_refuse_a_form_without_its_token() {
    let env = TestEnv::new();
    let (intake, notification, console_app) = start_services(&env).await;
    let res = test_client()
        .get(console_app.url("/console/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    // No CSRF cookie and token: refused, nothing logged in.
    let res = test_client()
        .post(console_app.url("/console/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("login_name=a&password=b&csrf=x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert!(res
        .headers()
        .get("set-cookie")
        .is_none_or(|c| !c.to_str().unwrap().starts_with("xf_console=")));
    // The staff pages need a session.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(console_app.url("/console/register"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()["location"], "/console/login");
    console_app.stop().await;
    notification.stop().await;
    intake.stop().await;
}

#[tokio::test]
async fn the_clerk_registers_a_group_visit_and_the_petitioner_looks_it_up() {
    let Some(driver) = start_driver("console_pages").await else {
        return;
    };
    let env = TestEnv::new();
    let (intake, notification, console_app) = start_services(&env).await;
    add_account(
        &console_app,
        "clerk.wang",
        BUREAU,
        &["clerk"],
        "Xf-clerk-2026!",
        None,
    )
    .await;
    let c = browser(&driver).await;

    // Login (登录): a wrong password is answered beside the form, then the right one.
    c.goto(&console_app.url("/console/login")).await.unwrap();
    axe_check(&c, "login").await;
    screenshot(&c, "login", 1366).await;
    fill(&c, "#login_name", "clerk.wang").await;
    fill(&c, "#password", "wrong-password-1").await;
    submit(&c, "button[type=submit]").await;
    let err = c
        .wait()
        .for_element(Locator::Css("#login-error"))
        .await
        .unwrap();
    assert!(err.text().await.unwrap().contains("用户名或密码"));
    fill(&c, "#password", "Xf-clerk-2026!").await;
    submit(&c, "button[type=submit]").await;
    wait_path(&c, "/console/").await;

    // Home (工作台) of a clerk.
    assert!(text(&c, "main").await.contains("窗口登记员"));
    axe_check(&c, "home").await;
    screenshot(&c, "home", 1366).await;
    c.find(Locator::LinkText("登记信访事项"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&c, "/console/register").await;

    // Registration (登记): a group visit by 30 villagers with representatives.
    let focused = c
        .execute("return document.activeElement.id;", vec![])
        .await
        .unwrap();
    assert_eq!(focused, "channel", "the form starts on its first field");
    assert_eq!(
        c.find(Locator::Css("#received_on"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap(),
        xinfang_platform::time::today_in_china().to_string(),
        "received today by default"
    );
    fill(&c, "#summary", "三十名村民反映工程款拖欠").await;
    fill(&c, "#facts", "某工程完工两年，工程款仍未结清。").await;
    fill(&c, "#requests", "请求督促结清工程款。").await;
    fill(&c, "#township", "古韩镇").await;
    fill(&c, "#petitioner_count", "30").await;
    c.find(Locator::Css("#group_visit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let good = [
        id_number("14042319800101001"),
        id_number("14042319750612002"),
        id_number("14042319900303003"),
    ];
    // The ID number is checked as it is typed.
    fill(&c, "#rep_name_0", "王大山").await;
    fill(&c, "#rep_id_number_0", &good[0][..10]).await;
    assert!(text(&c, "#rep_id_number_0-check")
        .await
        .contains("已输入 10 位"));
    fill(&c, "#rep_id_number_0", &wrong_check_digit(&good[0])).await;
    assert!(text(&c, "#rep_id_number_0-check")
        .await
        .contains("校验位不正确"));
    fill(&c, "#rep_id_number_0", &good[0]).await;
    assert!(text(&c, "#rep_id_number_0-check")
        .await
        .contains("校验通过"));
    // Representatives 2..5 with the button; the sixth is refused on the page with the article.
    for n in 1..5 {
        c.find(Locator::Css("#add-rep"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let focused = c
            .execute("return document.activeElement.id;", vec![])
            .await
            .unwrap();
        assert_eq!(
            focused,
            format!("rep_name_{n}"),
            "focus moves to the new row"
        );
    }
    let refused = c.find(Locator::Css("#reps-refused")).await.unwrap();
    assert!(!refused.is_displayed().await.unwrap());
    c.find(Locator::Css("#add-rep"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(refused.is_displayed().await.unwrap());
    assert!(refused.text().await.unwrap().contains("第二十条"));
    assert_eq!(
        c.find_all(Locator::Css("[data-rep]")).await.unwrap().len(),
        5
    );
    fill(&c, "#rep_name_1", "李小河").await;
    // Intake refuses a bad check digit: the error comes back beside that field.
    fill(&c, "#rep_id_number_1", &wrong_check_digit(&good[1])).await;
    fill(&c, "#rep_name_2", "赵春花").await;
    fill(&c, "#rep_id_number_2", &good[2]).await;
    fill(&c, "#rep_phone_2", "13912345678").await;
    axe_check(&c, "register").await;
    screenshot(&c, "register", 1366).await;
    submit(&c, "#register button[type=submit]").await;
    let err = c
        .wait()
        .for_element(Locator::Css("#rep_id_number_1-error"))
        .await
        .unwrap();
    assert!(!err.text().await.unwrap().is_empty());
    assert!(text(&c, "#error-summary")
        .await
        .contains(&err.text().await.unwrap()));
    // What was typed is kept.
    assert_eq!(
        c.find(Locator::Css("#summary"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap(),
        "三十名村民反映工程款拖欠"
    );
    axe_check(&c, "register with errors").await;
    screenshot(&c, "register-errors", 1366).await;
    fill(&c, "#rep_id_number_1", &good[1]).await;
    submit(&c, "#register button[type=submit]").await;

    // The receipt (回执): case number and query code.
    let case = c
        .wait()
        .for_element(Locator::Css("#case_number"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let code = text(&c, "#query_code").await;
    assert!(case.starts_with("140423-") && case.len() == 18, "{case}");
    assert_eq!(code.len(), 8, "{code}");
    assert!(text(&c, ".receipt")
        .await
        .contains("王大山、李小河、赵春花"));
    axe_check(&c, "receipt").await;
    screenshot(&c, "receipt", 1366).await;
    // Registered in intake with the three representatives and the count.
    let reg = test_client()
        .get(intake.url("/api/v1/petitions"))
        .bearer_auth(xinfang_test_support::clerk_token())
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let item = reg["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["case_number"] == case.as_str())
        .expect("the case is in intake");
    let id = item["id"].as_str().unwrap();
    let detail = test_client()
        .get(intake.url(&format!("/api/v1/petitions/{id}")))
        .bearer_auth(xinfang_test_support::clerk_token())
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(detail["petitioner_count"], 30);
    assert_eq!(detail["group_visit"], true);
    assert_eq!(detail["petitioners"].as_array().unwrap().len(), 3);

    // The same representative comes again about the same matter: a repeat candidate.
    c.goto(&console_app.url("/console/register")).await.unwrap();
    fill(&c, "#summary", "王大山再次反映工程款拖欠").await;
    fill(&c, "#township", "古韩镇").await;
    fill(&c, "#rep_name_0", "王大山").await;
    fill(&c, "#rep_id_number_0", &good[0]).await;
    submit(&c, "#register button[type=submit]").await;
    let second = c
        .wait()
        .for_element(Locator::Css("#case_number"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text(&c, "main").await.contains("1 件可能重复"));
    // The administrators' routing rules send claims to litigation (法定途径).
    let admin = xinfang_test_support::token("admin-1", BUREAU, &[xinfang_platform::Role::Admin]);
    let published = test_client()
        .put(intake.url("/api/v1/routing-rules"))
        .bearer_auth(admin)
        .json(
            &json!({ "rules": [{ "category": "claim", "legal_channel": "litigation",
                                   "guidance": "可以向人民法院提起诉讼" }],
                       "note": "申诉求决类导入诉讼" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(published.status().as_u16(), 201);
    c.find(Locator::Css("#to-case"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#candidate-1"))
        .await
        .unwrap();
    // Side by side: the new petition and the earlier one, the petitioner masked as intake shows it.
    assert_eq!(text(&c, "#case-number").await, second);
    assert!(text(&c, "#this-case")
        .await
        .contains("王大山再次反映工程款拖欠"));
    let candidate = text(&c, "#candidate-1").await;
    assert!(
        candidate.contains(&case) && candidate.contains("三十名村民反映工程款拖欠"),
        "{candidate}"
    );
    assert!(candidate.contains("身份证号相同") && candidate.contains("已登记，待分办"));
    assert!(
        !candidate.contains(&good[0]),
        "the ID number is masked: {candidate}"
    );
    // The suggestion above the form, and the form prefilled from it.
    let suggestion = text(&c, "#suggestion").await;
    assert!(
        suggestion.contains("依法通过诉讼解决")
            && suggestion.contains("第 1 条")
            && suggestion.contains("可以向人民法院提起诉讼"),
        "{suggestion}"
    );
    assert!(c
        .find(Locator::Css("#kind-decline"))
        .await
        .unwrap()
        .is_selected()
        .await
        .unwrap());
    assert_eq!(
        c.find(Locator::Css("#legal_channel"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("litigation")
    );
    axe_check(&c, "clerk case").await;
    screenshot(&c, "clerk-case", 1366).await;
    submit(&c, "#confirm-new button").await;
    let done = c
        .wait()
        .for_element(Locator::Css("#repeat-decision"))
        .await
        .unwrap();
    assert!(done.text().await.unwrap().contains("已确认为新的信访事项"));

    // 交办 to the county's human resources bureau, due in 20 days: the notices previewed first.
    let due = xinfang_platform::time::today_in_china() + chrono::Duration::days(20);
    let due_zh = format!(
        "{}年{}月{}日",
        chrono::Datelike::year(&due),
        chrono::Datelike::month(&due),
        chrono::Datelike::day(&due)
    );
    c.find(Locator::Css("#kind-assign"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Without the assignment's instructions intake refuses: its message beside the field and in
    // the summary at the top, the unit and the date kept.
    c.execute(
        "document.querySelector('#due_on').value = arguments[0]; return true;",
        vec![json!(due.to_string())],
    )
    .await
    .unwrap();
    c.find(Locator::Css("#to_unit option[value='140423-RSJ']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&c, "#decide-button").await;
    let err = c
        .wait()
        .for_element(Locator::Css("#d-instructions-error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(err.contains("交办要求"), "{err}");
    assert!(text(&c, "#d-summary").await.contains(&err));
    assert_eq!(
        c.find(Locator::Css("#instructions"))
            .await
            .unwrap()
            .attr("aria-invalid")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    for (field, value) in [
        ("#due_on", due.to_string()),
        ("#to_unit", "140423-RSJ".into()),
    ] {
        let kept = c
            .find(Locator::Css(field))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kept, value, "{field} kept");
    }
    axe_check(&c, "clerk case with intake's error").await;
    screenshot(&c, "clerk-case-error", 1366).await;
    c.find(Locator::Css("#to_unit option[value='140423-RSJ']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.execute(
        "document.querySelector('#due_on').value = arguments[0]; return true;",
        vec![json!(due.to_string())],
    )
    .await
    .unwrap();
    fill(&c, "#instructions", "请核实工程款拖欠情况，依法督促结清").await;
    c.find(Locator::Css("#preview-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let preview = c
        .wait()
        .for_element(Locator::Css("#preview"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        preview.contains("交由襄垣县人力资源和社会保障局办理")
            && preview.contains(&format!("请于{due_zh}前办结"))
            && preview.contains("请核实工程款拖欠情况"),
        "{preview}"
    );
    // Nothing typed is lost.
    assert!(c
        .find(Locator::Css("#kind-assign"))
        .await
        .unwrap()
        .is_selected()
        .await
        .unwrap());
    assert_eq!(
        c.find(Locator::Css("#due_on"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap(),
        due.to_string()
    );
    axe_check(&c, "clerk case with the notice preview").await;
    screenshot(&c, "clerk-case-preview", 1366).await;
    // Assigning against the suggested legal channel needs the reason: intake says so beside it.
    submit(&c, "#decide-button").await;
    let err = c
        .wait()
        .for_element(Locator::Css("#d-override_reason-error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(err.contains("诉讼"), "{err}");
    assert_eq!(
        c.find(Locator::Css("#instructions"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("请核实工程款拖欠情况，依法督促结清")
    );
    fill(
        &c,
        "#override_reason",
        "涉及三十名村民，先由主管部门核实处理",
    )
    .await;
    submit(&c, "#decide-button").await;
    let decisions = c
        .wait()
        .for_element(Locator::Css("#decisions"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        decisions.contains("交办")
            && decisions.contains("襄垣县人力资源和社会保障局")
            && decisions.contains(&due.to_string()),
        "{decisions}"
    );
    assert_eq!(text(&c, "#case-status").await, "已交办");
    assert!(c.find(Locator::Css("#decide-form")).await.is_err());

    // The pending list: the first petition still waits, the assigned one is gone.
    c.find(Locator::LinkText("待分办"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&c, "/console/cases").await;
    let pending = text(&c, "#pending").await;
    assert!(
        pending.contains(&case) && !pending.contains(&second),
        "{pending}"
    );
    axe_check(&c, "pending list").await;
    screenshot(&c, "clerk-cases", 1366).await;

    // The petitioner's side (lookup, documents, rating, online petition) is in portal_pages.rs.
    c.close().await.unwrap();
    console_app.stop().await;
    notification.stop().await;
    intake.stop().await;
}
