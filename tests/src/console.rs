//! The console in end-to-end tests (控制台): started in the platform's environment, with an
//! administrator written into its store (TOTP enrolled) who logs in through the API.

use chrono::Utc;
use secrecy::SecretString;
use serde_json::{json, Value};
use uuid::Uuid;

use console::{
    configuration::*,
    domain::{
        account::LoginName,
        password::{HashCost, NewPassword, PasswordHasher},
        totp::{SecretBox, TotpSecret},
    },
    store,
};
use xinfang_test_support::{spawn_app, test_client, TestApp, TestEnv, BUREAU};

/// The TOTP sealing key of the test console (base64 of 32 bytes).
pub const TOTP_KEY: &str = "ZGV2LW9ubHktdG90cC1rZXktY2hhbmdlLW1lLTAwMDA=";

const HASH_COST: HashCost = HashCost {
    memory_kib: 19 * 1024,
    iterations: 2,
    parallelism: 1,
};

/// Console settings for the test environment: an in-memory signing key (tokens it issues are
/// trusted only through its JWKS), access tokens valid `access_ttl_secs`, a cheap argon2 cost.
pub fn console_settings(env: &TestEnv, access_ttl_secs: i64) -> Settings {
    Settings {
        platform: env.settings("console"),
        environment: "local".into(),
        console: ConsoleSettings {
            tokens: TokenSettings {
                access_ttl_secs,
                service_ttl_secs: 60,
                leeway_secs: 0,
                signing_keys: Vec::new(),
                dev_key_file: None,
                service_clients: Vec::new(),
            },
            sessions: SessionSettings::default(),
            login: LoginSettings::default(),
            password: PasswordSettings {
                memory_kib: HASH_COST.memory_kib,
                iterations: HASH_COST.iterations,
                parallelism: HASH_COST.parallelism,
            },
            totp: TotpSettings {
                issuer: "襄垣县信访平台".into(),
                encryption_key: SecretString::from(TOTP_KEY),
            },
            workers: WorkerSettings::default(),
            bootstrap_admin: None,
            pages: PagesSettings::default(),
        },
    }
}

/// Start the console in `env`.
pub async fn start_console(env: &TestEnv, access_ttl_secs: i64) -> TestApp {
    spawn_app(console::startup::build(console_settings(
        env,
        access_ttl_secs,
    )))
    .await
}

/// Write an account straight into the console's store; with `totp`, enrolled.
pub async fn add_account(
    console: &TestApp,
    login: &str,
    unit: &str,
    roles: &[&str],
    password: &str,
    totp: Option<&TotpSecret>,
) -> Uuid {
    let login_name = LoginName::parse(login).unwrap();
    let new_password = NewPassword::parse("password", password, &login_name).unwrap();
    let hash = PasswordHasher::new(HASH_COST)
        .unwrap()
        .hash(&new_password)
        .unwrap();
    let id = Uuid::now_v7();
    let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
    let mut conn = console.pool.acquire().await.unwrap();
    store::accounts::insert(
        &mut conn,
        &store::accounts::NewAccount {
            id,
            login_name: login,
            display_name: "测试用户",
            unit_code: unit,
            roles: &roles,
            password_hash: &hash,
            created_by: "test",
        },
    )
    .await
    .unwrap();
    if let Some(secret) = totp {
        let sealed = SecretBox::new(&SecretString::from(TOTP_KEY))
            .unwrap()
            .seal(id, secret)
            .unwrap();
        store::accounts::confirm_totp(&mut conn, id, &sealed, 0)
            .await
            .unwrap();
    }
    id
}

/// Like [`add_account`], with the person's name (显示名称) as pages show it.
pub async fn add_named_account(
    console: &TestApp,
    login: &str,
    display_name: &str,
    unit: &str,
    roles: &[&str],
    password: &str,
) -> Uuid {
    let id = add_account(console, login, unit, roles, password, None).await;
    sqlx::query("UPDATE accounts SET display_name = $2 WHERE id = $1")
        .bind(id)
        .bind(display_name)
        .execute(&console.pool)
        .await
        .unwrap();
    id
}

/// Log in through the console's API; returns the session body (with `access_token`).
pub async fn login(console: &TestApp, login: &str, password: &str, totp: Option<&str>) -> Value {
    let mut body = json!({ "login_name": login, "password": password });
    if let Some(code) = totp {
        body["totp_code"] = json!(code);
    }
    let res = test_client()
        .post(console.url("/api/v1/auth/login"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "login of {login}");
    res.json().await.unwrap()
}

/// An administrator of the bureau (TOTP enrolled), logged in: the access token.
pub async fn admin_token(console: &TestApp) -> String {
    let secret = TotpSecret::generate();
    add_account(
        console,
        "admin.e2e",
        BUREAU,
        &["admin"],
        "Xf-admin-e2e-2026!",
        Some(&secret),
    )
    .await;
    let code = secret.code_at(Utc::now().timestamp() as u64).unwrap();
    let session = login(console, "admin.e2e", "Xf-admin-e2e-2026!", Some(&code)).await;
    session["access_token"].as_str().unwrap().to_string()
}

/// The browser harness of every page test (浏览器测试): chromedriver and Debian's headless
/// Chromium (the flags of issue 17, a fresh profile and download directory), axe-core (vendored),
/// screenshots (`XINFANG_SCREENSHOTS=1` → `docs/console/`), and the few steps every page test
/// takes (find, fill, click, wait for a path, log in).
pub mod browser {
    use std::{
        path::{Path, PathBuf},
        process::{Child, Command, Stdio},
        time::{Duration, Instant},
    };

    use fantoccini::{Client, ClientBuilder, Locator};
    use serde_json::{json, Value};
    use xinfang_test_support::test_client;

    /// Debian's chromedriver and Chromium.
    pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
    pub const CHROMIUM: &str = "/usr/bin/chromium";
    /// axe-core, vendored (no network).
    const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");

    /// chromedriver on a free port, with its own Chromium profile and download directories; all
    /// end (and are removed) on drop.
    pub struct Driver {
        child: Child,
        port: u16,
        profile: PathBuf,
        /// Where the browser saves downloads, without asking.
        pub downloads: PathBuf,
    }

    impl Drop for Driver {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
            let _ = std::fs::remove_dir_all(&self.profile);
            let _ = std::fs::remove_dir_all(&self.downloads);
        }
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// chromedriver, or `None` (saying so) when Debian's chromium or chromium-driver is missing.
    pub async fn start_driver(test: &str) -> Option<Driver> {
        if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
            eprintln!(
                "SKIPPED {test}: {CHROMEDRIVER} or {CHROMIUM} missing; install Debian's \
                 chromium and chromium-driver (.ci/run does)"
            );
            return None;
        }
        let port = free_port();
        let id = uuid::Uuid::new_v4();
        let profile = std::env::temp_dir().join(format!("xf-chromium-{id}"));
        let downloads = std::env::temp_dir().join(format!("xf-downloads-{id}"));
        std::fs::create_dir_all(&profile).unwrap();
        std::fs::create_dir_all(&downloads).unwrap();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver {
            child,
            port,
            profile,
            downloads,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = test_client()
                .get(format!("http://127.0.0.1:{port}/status"))
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success());
            if ready.is_some() {
                return Some(driver);
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    impl Driver {
        /// A headless Chromium session, zh-CN, `width`×`height`, downloads into
        /// [`Driver::downloads`].
        pub async fn session(&self, width: u32, height: u32) -> Client {
            let mut caps = serde_json::Map::new();
            caps.insert(
                "goog:chromeOptions".into(),
                json!({
                    "binary": CHROMIUM,
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--no-first-run", "--lang=zh-CN",
                        format!("--window-size={width},{height}"),
                        format!("--user-data-dir={}", self.profile.display()),
                    ],
                    "prefs": {
                        "intl.accept_languages": "zh-CN,zh",
                        "download.default_directory": self.downloads.display().to_string(),
                        "download.prompt_for_download": false,
                        "plugins.always_open_pdf_externally": true,
                    },
                }),
            );
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps)
                .connect(&format!("http://127.0.0.1:{}", self.port))
                .await
                .expect("connect to chromedriver")
        }
    }

    /// A session at the staff console's size (1366×768).
    pub async fn browser(driver: &Driver) -> Client {
        driver.session(1366, 768).await
    }

    /// axe-core on the current page: the serious or critical violations (WCAG 2.0/2.1 A and AA).
    pub async fn axe_violations(c: &Client) -> Vec<Value> {
        c.execute(&format!("{AXE}\n;return true;"), vec![])
            .await
            .expect("inject axe-core");
        let found = c
            .execute_async(
                "var done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                   .then(function (r) { done(r.violations.map(function (v) {
                       return { id: v.id, impact: v.impact, help: v.help,
                                nodes: v.nodes.slice(0, 3).map(function (n) { return n.target.join(' '); }) }; })); })
                   .catch(function (e) { done([{ id: 'axe-error', impact: 'critical', help: String(e) }]); });",
                vec![],
            )
            .await
            .expect("run axe-core");
        found
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect()
    }

    /// axe-core on the current page: no serious or critical violation.
    pub async fn axe_check(c: &Client, page: &str) {
        let bad = axe_violations(c).await;
        assert!(
            bad.is_empty(),
            "accessibility violations on {page}: {bad:#?}"
        );
    }

    /// With `XINFANG_SCREENSHOTS=1`, the whole page at `width` into `docs/console/<name>.png`;
    /// the window is then `width`×`height` again.
    pub async fn page_screenshot(c: &Client, name: &str, width: u32, height: u32) {
        if std::env::var("XINFANG_SCREENSHOTS").as_deref() != Ok("1") {
            return;
        }
        c.set_window_size(width, height).await.unwrap();
        let measure = "window.scrollTo(0, 0); return [document.documentElement.scrollHeight, \
                       window.outerHeight - window.innerHeight];";
        let m = c.execute(measure, vec![]).await.unwrap();
        let page = m[0].as_u64().unwrap_or(height as u64) as u32;
        let frame = m[1].as_u64().unwrap_or(0) as u32;
        c.set_window_size(width, page.max(height.min(600)) + frame)
            .await
            .unwrap();
        c.execute("window.scrollTo(0, 0); return true;", vec![])
            .await
            .unwrap();
        let png = c.screenshot().await.unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/console");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
        c.set_window_size(width, height).await.unwrap();
    }

    /// A staff page's screenshot at `width` (the window is then 1366×768 again).
    pub async fn screenshot(c: &Client, name: &str, width: u32) {
        page_screenshot(c, name, width, 768).await;
        if width != 1366 && std::env::var("XINFANG_SCREENSHOTS").as_deref() == Ok("1") {
            c.set_window_size(1366, 768).await.unwrap();
        }
    }

    pub async fn text(c: &Client, css: &str) -> String {
        c.find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    pub async fn fill(c: &Client, css: &str, value: &str) {
        let e = c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        e.clear().await.unwrap();
        e.send_keys(value).await.unwrap();
    }

    pub async fn click(c: &Client, css: &str) {
        c.find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Click `css` (a form's submit button, a link) and wait until the browser has loaded the
    /// document that follows, even when it has the same path (a form shown again with its
    /// errors, a redirect to the page itself): the old document is marked first, so that nothing
    /// is read from it after the click.
    pub async fn submit(c: &Client, css: &str) {
        c.execute(
            "document.documentElement.dataset.xfBefore = '1'; return true;",
            vec![],
        )
        .await
        .unwrap();
        click(c, css).await;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let fresh = c
                .execute(
                    "return document.readyState === 'complete' \
                     && document.documentElement.dataset.xfBefore === undefined;",
                    vec![],
                )
                .await;
            if matches!(fresh, Ok(Value::Bool(true))) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no new page after clicking {css}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Wait (polling, 10 s) until the browser is at `path`.
    pub async fn wait_path(c: &Client, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if c.current_url().await.unwrap().path() == path {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "never reached {path} (at {})",
                c.current_url().await.unwrap()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Reload `url` until an element matches `css` (something another service does in the
    /// background shows up), at most `timeout`.
    pub async fn reload_until(c: &Client, url: &str, css: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            c.goto(url).await.unwrap();
            if c.find(Locator::Css(css)).await.is_ok() {
                return;
            }
            assert!(Instant::now() < deadline, "{css} never appeared on {url}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Log in through the console's login page (and out first when someone is logged in), with
    /// a TOTP code when the account needs one; waits for the home page.
    pub async fn log_in_with(
        c: &Client,
        console_url: &str,
        login: &str,
        password: &str,
        totp: Option<&str>,
    ) {
        c.goto(&format!("{console_url}/console/")).await.unwrap();
        if c.find(Locator::Css("form[action='/console/logout'] button"))
            .await
            .is_ok()
        {
            click(c, "form[action='/console/logout'] button").await;
            wait_path(c, "/console/login").await;
        } else {
            c.goto(&format!("{console_url}/console/login"))
                .await
                .unwrap();
        }
        fill(c, "#login_name", login).await;
        fill(c, "#password", password).await;
        if let Some(code) = totp {
            fill(c, "#totp_code", code).await;
        }
        click(c, "form[action='/console/login'] button[type=submit]").await;
        wait_path(c, "/console/").await;
    }

    /// Log in with login name and password (see [`log_in_with`]).
    pub async fn log_in(c: &Client, console_url: &str, login: &str, password: &str) {
        log_in_with(c, console_url, login, password, None).await;
    }
}

/// The console signing with the development key (which every service trusts) and calling the
/// platform's intake, supervision and notification.
pub async fn start_console_for(p: &crate::Platform) -> TestApp {
    let mut settings = console_settings(&p.env, 300);
    settings.console.tokens.signing_keys = vec![KeySettings {
        kid: xinfang_platform::auth::dev::DEV_KID.into(),
        private_key_pem: Some(xinfang_test_support::DEV_KEY_PEM.to_string().into()),
        private_key_file: None,
        state: KeyState::Active,
        retired_at: None,
    }];
    settings.console.pages.intake_url = p.intake.url("");
    settings.console.pages.supervision_url = p.supervision.url("");
    settings.console.pages.notification_url = p.notification.url("");
    settings.console.pages.mediation_url = p.mediation.url("");
    settings.console.pages.administrative_review_url = p.review.url("");
    spawn_app(console::startup::build(settings)).await
}

// ---- The petitioner portal's end-to-end harness (portal_pages.rs): a local SMS gateway and the
// console wired to intake and notification (the browser is [`browser`]'s).

/// A local SMS gateway (短信网关) on a free port: answers every `POST` with 200 and keeps the JSON
/// bodies (`to`, `text`, …) it received. Plain HTTP/1.1 over tokio, one request per connection.
#[derive(Clone, Default)]
pub struct SmsGateway {
    pub messages: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
}

impl SmsGateway {
    /// Start it; returns its URL.
    pub async fn start(&self) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = self.messages.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let messages = messages.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let (head_end, length) = loop {
                        let Ok(n) = socket.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
                            let length = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|v| v.trim().parse::<usize>().ok())
                                .unwrap_or(0);
                            break (i + 4, length);
                        }
                    };
                    while buf.len() < head_end + length {
                        let Ok(n) = socket.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    let body = &buf[head_end..(head_end + length).min(buf.len())];
                    let count = {
                        let mut m = messages.lock().unwrap();
                        m.push(serde_json::from_slice(body).unwrap_or(Value::Null));
                        m.len()
                    };
                    let answer = format!("{{\"id\":\"gw-{count}\"}}");
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        format!("http://127.0.0.1:{port}/sms")
    }

    /// The messages received so far.
    pub fn received(&self) -> Vec<Value> {
        self.messages.lock().unwrap().clone()
    }
}

/// Notification for the portal: SMS through `gateway_url`, contact details and query codes from
/// intake (a development service token), the client address taken from the console's
/// `X-Forwarded-For`, and a generous self-service limit (the portal keeps its own).
pub async fn start_portal_notification(
    env: &TestEnv,
    intake_url: &str,
    gateway_url: &str,
) -> TestApp {
    let mut n = notification::configuration::NotificationSettings::default();
    n.delivery.poll_interval_ms = 100;
    n.sms = Some(notification::configuration::SmsSettings {
        url: gateway_url.to_string(),
        api_key: "gw-key".to_string().into(),
        signing_secret: "gw-secret".to_string().into(),
        sender: "襄垣县信访局".into(),
        timeout_ms: 5_000,
    });
    n.contacts.intake_url = intake_url.trim_end_matches('/').to_string();
    n.contacts.token =
        Some(xinfang_test_support::service_token("notification", &["intake.contact.read"]).into());
    n.self_service.trust_forwarded_for = true;
    n.self_service.attempts_per_minute = 200;
    spawn_app(notification::startup::build(
        notification::configuration::Settings {
            platform: env.settings("notification"),
            notification: n,
        },
    ))
    .await
}

/// The console signing with the development key (trusted by the services in tests), its pages
/// calling `intake_url` and `notification_url`, with the portal's `portal` limits.
pub async fn start_portal_console(
    env: &TestEnv,
    intake_url: &str,
    notification_url: &str,
    portal: PortalSettings,
) -> TestApp {
    let mut settings = console_settings(env, 300);
    settings.console.tokens.signing_keys = vec![KeySettings {
        kid: xinfang_platform::auth::dev::DEV_KID.into(),
        private_key_pem: Some(xinfang_test_support::DEV_KEY_PEM.to_string().into()),
        private_key_file: None,
        state: KeyState::Active,
        retired_at: None,
    }];
    settings.console.pages.intake_url = intake_url.to_string();
    settings.console.pages.notification_url = notification_url.to_string();
    settings.console.pages.portal = portal;
    spawn_app(console::startup::build(settings)).await
}
