//! The staff console's pages (工作人员控制台): login, a home page per role, and the window
//! clerk's registration page (窗口登记) with its printable receipt (回执); the clerk's case pages
//! (分办) are in `clerk.rs`.

use std::collections::BTreeMap;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Map, Value};
use sqlx::PgPool;
use uuid::Uuid;
use xinfang_messaging::OutboxWaker;
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    time::{china_time, today_in_china},
    ApiError,
};

use super::{
    client::Services,
    intake::FieldError,
    security::{
        cookie, cookie_value, csrf_for, csrf_ok, random_value, removal, see_other, LOGIN_COOKIE,
        STAFF_COOKIE,
    },
    view::{error_page, render},
};
use crate::{
    api::{
        auth::{login_session, refresh_session, LoginRequest},
        state::AppState,
    },
    domain::session::EndReason,
    store,
};

/// At most five representatives of a group visit (《信访工作条例》第二十条).
pub const MAX_REPRESENTATIVES: usize = 5;
/// The refusal of a sixth representative, as intake words it.
pub const REPRESENTATIVES_RULE: &str =
    "多人走访应推选代表，代表人数不超过 5 人（《信访工作条例》第二十条）";

/// The logged-in member of staff of a page view (当前工作人员).
pub struct Staff {
    pub account_id: Uuid,
    pub session_id: Uuid,
    pub display_name: String,
    pub unit: String,
    /// The organ's name from the units directory (单位名称), shown in the page header.
    pub unit_name: String,
    pub roles: Vec<String>,
    /// A fresh access token (at most 5 minutes), forwarded to the services.
    pub access_token: String,
    /// The CSRF token of this session's forms.
    pub csrf: String,
}

impl Staff {
    /// What every page's header shows of the staff member (name, organ, CSRF token of the forms,
    /// the navigation of their roles).
    pub fn view(&self) -> minijinja::Value {
        staff_ctx(self)
    }

    pub fn has_any(&self, roles: &[&str]) -> bool {
        self.roles.iter().any(|r| roles.contains(&r.as_str()))
    }
}

/// Decoded form fields, in order (repeated names kept).
pub(crate) fn form_pairs(body: &web::Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.replace('\0', "")))
        .collect()
}

pub(crate) fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn all<'a>(pairs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The staff member of the request's cookie, or `None` (no cookie, session ended, account off).
#[tracing::instrument(skip_all)]
pub(crate) async fn current(
    req: &HttpRequest,
    pool: &PgPool,
    waker: &OutboxWaker,
    state: &AppState,
) -> Result<Option<Staff>, ApiError> {
    let Some(secret) = cookie_value(req, STAFF_COOKIE) else {
        return Ok(None);
    };
    let tokens = match refresh_session(&secret, pool, waker, state).await {
        Ok(t) => t,
        Err(e) if e.status == StatusCode::UNAUTHORIZED => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut conn = pool.acquire().await?;
    let Some(session) = store::sessions::get(&mut conn, tokens.session_id).await? else {
        return Ok(None);
    };
    let Some(account) = store::accounts::get(&mut conn, session.account_id).await? else {
        return Ok(None);
    };
    let unit_name = store::units::get(&mut conn, &account.unit_code)
        .await?
        .map(|u| u.name)
        .unwrap_or_else(|| account.unit_code.clone());
    Ok(Some(Staff {
        account_id: account.id,
        session_id: session.id,
        display_name: account.display_name,
        unit: account.unit_code,
        unit_name,
        roles: if tokens.totp_enrolment_required {
            Vec::new()
        } else {
            account.roles
        },
        access_token: tokens.access_token,
        csrf: csrf_for(&secret),
    }))
}

/// The display name of the account behind a token's subject (an account id), or the subject
/// itself (a service, an account since removed).
pub(crate) async fn display_name_of(
    conn: &mut sqlx::PgConnection,
    subject: Option<&str>,
) -> Result<String, ApiError> {
    let Some(subject) = subject else {
        return Ok(String::new());
    };
    Ok(match Uuid::parse_str(subject) {
        Ok(id) => store::accounts::get(conn, id)
            .await?
            .map(|a| a.display_name)
            .unwrap_or_else(|| subject.to_string()),
        Err(_) => subject.to_string(),
    })
}

pub(crate) fn to_login() -> HttpResponse {
    see_other("/console/login").finish()
}

/// `GET /console` → `/console/`.
pub async fn root() -> HttpResponse {
    see_other("/console/").finish()
}

#[derive(Serialize)]
struct Task {
    title: &'static str,
    href: Option<&'static str>,
    note: &'static str,
}

pub(crate) fn role_zh(role: &str) -> &'static str {
    match role {
        "clerk" => "窗口登记员",
        "handler" => "承办人",
        "unit_head" => "单位负责人",
        "mediator" => "调解员",
        "supervisor" => "督查专员",
        "leader" => "领导",
        "auditor" => "审计员",
        "admin" => "系统管理员",
        "pii_viewer" => "个人信息查看员",
        "archivist" => "档案管理员",
        _ => "其他",
    }
}

/// The tasks of a role's home page: the pages built so far link, the others say so.
fn tasks_of(staff: &Staff) -> Vec<Task> {
    let mut tasks = Vec::new();
    if staff.has_any(&["clerk", "admin"]) {
        tasks.push(Task {
            title: "登记信访事项",
            href: Some("/console/register"),
            note: "走访、来信、来电、网上信访的登记，打印回执",
        });
        tasks.push(Task {
            title: "待分办信访事项",
            href: Some("/console/cases"),
            note: "核对重复信访，作出受理、不予受理、不再受理、转送或交办决定，预览告知书",
        });
    }
    if staff.has_any(POST_ROOM_ROLES) {
        tasks.push(Task {
            title: "收发室与送达",
            href: Some("/console/post"),
            note: "打印待寄信件（可批量），登记邮件号与签收，当面送达，重发失败的短信和邮件",
        });
    }
    if staff.has_any(&["handler", "unit_head"]) {
        tasks.push(Task {
            title: "本单位待办",
            href: Some("/console/unit"),
            note: "按到期日排列的本单位信访事项：签收或异议、办理、延期、意见书、送达",
        });
    }
    if staff.has_any(&["supervisor", "leader"]) {
        tasks.push(Task {
            title: "督查督办与统计",
            href: Some("/console/oversight"),
            note: "指标与图表、超期与考核发现、督办、包案、专项行动、年度报告与月度通报",
        });
    }
    if staff.has_any(&["mediator"]) {
        tasks.push(Task {
            title: "我的调解",
            href: Some("/console/mediation"),
            note: "引调的纠纷、当事人意愿、调解日程、调解协议",
        });
    }
    if staff.has_any(ARCHIVE_ROLES) {
        tasks.push(Task {
            title: "信访档案",
            href: Some("/console/archive"),
            note:
                "按信访件编号或信访人查询已归档案件，查看与下载档案文件，法律保全，销毁申请与批准",
        });
    }
    if staff.has_any(&["admin"]) {
        tasks.push(Task {
            title: "单位目录与账号管理",
            href: Some("/console/admin"),
            note: "单位目录、账号与角色、分类规则、文书模板、节假日日历",
        });
    }
    tasks
}

/// `GET /console/`: the home page of the staff member's roles (工作台).
pub async fn home(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(staff) = current(&req, &pool, &waker, &state).await? else {
        return Ok(to_login());
    };
    let roles: Vec<&str> = staff.roles.iter().map(|r| role_zh(r)).collect();
    Ok(render(
        StatusCode::OK,
        "home.html",
        minijinja::context! {
            title => "工作台",
            staff => staff.view(),
            roles => roles,
            enrol_only => staff.roles.is_empty(),
            tasks => tasks_of(&staff),
        },
    ))
}

/// `GET /console/login`: the login form (登录).
pub async fn login_form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    login_page(&req, &state, "", false, None, StatusCode::OK)
}

fn login_page(
    req: &HttpRequest,
    state: &AppState,
    login_name: &str,
    show_totp: bool,
    error: Option<FieldError>,
    status: StatusCode,
) -> HttpResponse {
    let pre = cookie_value(req, LOGIN_COOKIE).unwrap_or_else(random_value);
    let mut res = render(
        status,
        "login.html",
        minijinja::context! {
            title => "登录",
            csrf => csrf_for(&pre),
            login_name => login_name,
            show_totp => show_totp,
            error => error,
        },
    );
    let _ = res.add_cookie(&cookie(
        LOGIN_COOKIE,
        pre,
        "/console",
        &state.settings.pages,
    ));
    res
}

/// `POST /console/login`: password (and TOTP where the account needs it) → the session cookie.
#[tracing::instrument(skip_all)]
pub async fn login(
    req: HttpRequest,
    body: web::Bytes,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pairs = form_pairs(&body);
    let login_name = field(&pairs, "login_name").trim().to_string();
    let csrf_valid =
        cookie_value(&req, LOGIN_COOKIE).is_some_and(|pre| csrf_ok(&pre, field(&pairs, "csrf")));
    if !csrf_valid {
        return Ok(login_page(
            &req,
            &state,
            &login_name,
            false,
            Some(FieldError {
                field: "login_name".into(),
                message: "页面已过期，请重新登录".into(),
            }),
            StatusCode::FORBIDDEN,
        ));
    }
    let totp = field(&pairs, "totp_code").trim().to_string();
    let request = LoginRequest {
        login_name: login_name.clone(),
        password: field(&pairs, "password").to_string(),
        totp_code: (!totp.is_empty()).then_some(totp),
    };
    match login_session(&req, request, &pool, &waker, &state).await {
        Ok(tokens) => {
            let Some(secret) = tokens.refresh_token else {
                return Err(ApiError::internal("login without a refresh secret"));
            };
            let pages = &state.settings.pages;
            let mut res = see_other("/console/").finish();
            let _ = res.add_cookie(&cookie(STAFF_COOKIE, secret, "/console", pages));
            let _ = res.add_cookie(&removal(LOGIN_COOKIE, "/console", pages));
            Ok(res)
        }
        Err(e) if e.status.is_client_error() => {
            let totp_field = e.body.details["field"].as_str() == Some("totp_code");
            let field = if totp_field { "totp_code" } else { "password" };
            Ok(login_page(
                &req,
                &state,
                &login_name,
                totp_field,
                Some(FieldError {
                    field: field.into(),
                    message: e.body.message.clone(),
                }),
                e.status,
            ))
        }
        Err(e) => Err(e),
    }
}

/// `POST /console/logout`: ends the session (注销).
pub async fn logout(
    req: HttpRequest,
    body: web::Bytes,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pairs = form_pairs(&body);
    let Some(staff) = current(&req, &pool, &waker, &state).await? else {
        return Ok(to_login());
    };
    if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        return Ok(error_page(
            StatusCode::FORBIDDEN,
            "页面已过期，请返回重试",
            "/console/",
        ));
    }
    let mut uow = xinfang_messaging::UnitOfWork::begin(&pool, &waker).await?;
    let subject = staff.account_id.to_string();
    if store::sessions::revoke(
        uow.conn(),
        staff.session_id,
        EndReason::Logout.as_str(),
        &subject,
    )
    .await?
    {
        uow.audit(AuditEntry {
            actor: subject.clone(),
            unit: staff.unit.clone(),
            action: "auth.logout".into(),
            case_id: None,
            details: json!({ "account_id": staff.account_id, "session_id": staff.session_id, "via": "console_pages" }),
        })
        .await?;
    }
    uow.commit().await?;
    let mut res = see_other("/console/login").finish();
    let _ = res.add_cookie(&removal(STAFF_COOKIE, "/console", &state.settings.pages));
    Ok(res)
}

pub(crate) fn csrf_ok_for(req: &HttpRequest, token: &str) -> bool {
    cookie_value(req, STAFF_COOKIE).is_some_and(|v| csrf_ok(&v, token))
}

/// One representative's row on the registration form (代表).
#[derive(Debug, Default, Serialize)]
struct RepRow {
    index: usize,
    number: usize,
    name: String,
    id_number: String,
    phone: String,
    errors: BTreeMap<String, String>,
}

/// What the registration form shows (登记表).
#[derive(Debug, Serialize)]
struct RegisterForm {
    idem: String,
    channel: String,
    received_on: String,
    summary: String,
    facts: String,
    requests: String,
    category: String,
    field: String,
    township: String,
    village: String,
    petitioner_count: String,
    group_visit: bool,
    reps: Vec<RepRow>,
    errors: BTreeMap<String, String>,
    /// Every error, for the summary at the top (with the id of its field).
    summary_errors: Vec<(String, String)>,
}

impl RegisterForm {
    fn empty() -> RegisterForm {
        RegisterForm {
            idem: Uuid::new_v4().to_string(),
            channel: "visit".into(),
            received_on: today_in_china().to_string(),
            summary: String::new(),
            facts: String::new(),
            requests: String::new(),
            category: "claim".into(),
            field: String::new(),
            township: String::new(),
            village: String::new(),
            petitioner_count: String::new(),
            group_visit: false,
            reps: vec![RepRow {
                index: 0,
                number: 1,
                ..RepRow::default()
            }],
            errors: BTreeMap::new(),
            summary_errors: Vec::new(),
        }
    }

    fn from_pairs(pairs: &[(String, String)]) -> RegisterForm {
        let names = all(pairs, "rep_name");
        let ids = all(pairs, "rep_id_number");
        let phones = all(pairs, "rep_phone");
        let n = names.len().max(ids.len()).max(phones.len()).max(1);
        let reps = (0..n)
            .map(|i| RepRow {
                index: i,
                number: i + 1,
                name: names.get(i).unwrap_or(&"").trim().to_string(),
                id_number: ids.get(i).unwrap_or(&"").trim().to_string(),
                phone: phones.get(i).unwrap_or(&"").trim().to_string(),
                errors: BTreeMap::new(),
            })
            .collect();
        let idem = field(pairs, "idem");
        RegisterForm {
            idem: if Uuid::parse_str(idem).is_ok() {
                idem.to_string()
            } else {
                Uuid::new_v4().to_string()
            },
            channel: field(pairs, "channel").to_string(),
            received_on: field(pairs, "received_on").trim().to_string(),
            summary: field(pairs, "summary").trim().to_string(),
            facts: field(pairs, "facts").trim().to_string(),
            requests: field(pairs, "requests").trim().to_string(),
            category: field(pairs, "category").to_string(),
            field: field(pairs, "field").to_string(),
            township: field(pairs, "township").trim().to_string(),
            village: field(pairs, "village").trim().to_string(),
            petitioner_count: field(pairs, "petitioner_count").trim().to_string(),
            group_visit: field(pairs, "group_visit") == "on",
            reps,
            errors: BTreeMap::new(),
            summary_errors: Vec::new(),
        }
    }

    /// Representatives with anything filled in.
    fn filled_reps(&self) -> Vec<&RepRow> {
        self.reps
            .iter()
            .filter(|r| !(r.name.is_empty() && r.id_number.is_empty() && r.phone.is_empty()))
            .collect()
    }

    /// The body of intake's `POST /api/v1/petitions`.
    fn request_body(&self) -> Value {
        let mut b = Map::new();
        b.insert("channel".into(), json!(self.channel));
        let opt = |b: &mut Map<String, Value>, k: &str, v: &str| {
            if !v.is_empty() {
                b.insert(k.into(), json!(v));
            }
        };
        opt(&mut b, "received_on", &self.received_on);
        b.insert("summary".into(), json!(self.summary));
        opt(&mut b, "facts", &self.facts);
        opt(&mut b, "requests", &self.requests);
        opt(&mut b, "category", &self.category);
        opt(&mut b, "field", &self.field);
        opt(&mut b, "township", &self.township);
        opt(&mut b, "village", &self.village);
        if let Ok(n) = self.petitioner_count.parse::<u32>() {
            b.insert("petitioner_count".into(), json!(n));
        }
        if self.group_visit {
            b.insert("group_visit".into(), json!(true));
        }
        let people: Vec<Value> = self
            .filled_reps()
            .iter()
            .map(|r| {
                let mut p = Map::new();
                p.insert("name".into(), json!(r.name));
                if !r.id_number.is_empty() {
                    p.insert("id_number".into(), json!(r.id_number));
                }
                if !r.phone.is_empty() {
                    p.insert("phone".into(), json!(r.phone));
                }
                Value::Object(p)
            })
            .collect();
        b.insert("petitioners".into(), Value::Array(people));
        Value::Object(b)
    }

    /// Put an error beside the field it names (`petitioners[i].x` → that row's `x`).
    fn add_error(&mut self, e: &FieldError) {
        let target = parse_person_field(&e.field);
        let id = match target {
            Some((i, sub)) if i < self.reps.len() => {
                self.reps[i].errors.insert(sub.clone(), e.message.clone());
                format!("rep_{sub}_{i}")
            }
            _ => {
                let key = if e.field.starts_with("petitioners") {
                    "petitioners".to_string()
                } else {
                    e.field.clone()
                };
                self.errors.insert(key.clone(), e.message.clone());
                if key == "petitioners" {
                    "rep_name_0".to_string()
                } else {
                    key
                }
            }
        };
        self.summary_errors.push((id, e.message.clone()));
    }
}

/// `petitioners[2].id_number` → `(2, "id_number")`.
fn parse_person_field(field: &str) -> Option<(usize, String)> {
    let rest = field.strip_prefix("petitioners[")?;
    let (index, sub) = rest.split_once("].")?;
    Some((index.parse().ok()?, sub.to_string()))
}

fn register_page(staff: &Staff, form: &RegisterForm, status: StatusCode) -> HttpResponse {
    render(
        status,
        "register.html",
        minijinja::context! {
            title => "登记信访事项",
            staff => staff.view(),
            form => form,
            max_reps => MAX_REPRESENTATIVES,
            rule => REPRESENTATIVES_RULE,
        },
    )
}

fn may_register(staff: &Staff) -> bool {
    staff.has_any(&["clerk", "admin"])
}

/// `GET /console/register`: the clerk's registration form, with today's date and a visit preset.
pub async fn register_form(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(staff) = current(&req, &pool, &waker, &state).await? else {
        return Ok(to_login());
    };
    if !may_register(&staff) {
        return Ok(error_page(
            StatusCode::FORBIDDEN,
            "当前账号无权登记信访事项",
            "/console/",
        ));
    }
    Ok(register_page(
        &staff,
        &RegisterForm::empty(),
        StatusCode::OK,
    ))
}

/// `POST /console/register`: register through intake with the clerk's token; the receipt, or the
/// form again with intake's errors beside their fields.
#[tracing::instrument(skip_all)]
pub async fn register(
    req: HttpRequest,
    body: web::Bytes,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let Some(staff) = current(&req, &pool, &waker, &state).await? else {
        return Ok(to_login());
    };
    if !may_register(&staff) {
        return Ok(error_page(
            StatusCode::FORBIDDEN,
            "当前账号无权登记信访事项",
            "/console/",
        ));
    }
    let pairs = form_pairs(&body);
    let mut form = RegisterForm::from_pairs(&pairs);
    if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        form.add_error(&FieldError {
            field: "summary".into(),
            message: "页面已过期，请核对后重新提交".into(),
        });
        return Ok(register_page(&staff, &form, StatusCode::FORBIDDEN));
    }
    if form.filled_reps().len() > MAX_REPRESENTATIVES {
        form.add_error(&FieldError {
            field: "petitioners".into(),
            message: REPRESENTATIVES_RULE.into(),
        });
        return Ok(register_page(
            &staff,
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let answer = match services
        .intake
        .post_once(
            "petitions",
            &staff.access_token,
            &form.idem,
            &form.request_body(),
        )
        .await
    {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "intake unreachable");
            form.add_error(&FieldError {
                field: "summary".into(),
                message: "登记服务暂时无法连接，请稍后重试（已填内容未丢失）".into(),
            });
            return Ok(register_page(&staff, &form, StatusCode::BAD_GATEWAY));
        }
    };
    match answer.status {
        200 | 201 => {
            let b = &answer.body;
            Ok(render(
                StatusCode::OK,
                "receipt.html",
                minijinja::context! {
                    title => "登记回执",
                    staff => staff.view(),
                    case_id => b["id"].as_str().unwrap_or(""),
                    case_number => b["case_number"].as_str().unwrap_or(""),
                    query_code => b["query_code"].as_str().unwrap_or(""),
                    received_on => b["received_on"].as_str().unwrap_or(""),
                    registered_at => china_time_text(b["registered_at"].as_str().unwrap_or("")),
                    summary => form.summary,
                    channel => channel_zh(&form.channel),
                    reps => form.filled_reps().iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
                    candidates => b["repeat_candidates"].as_array().map(|a| a.len()).unwrap_or(0),
                },
            ))
        }
        status => {
            let errors = answer.field_errors();
            if errors.is_empty() {
                form.add_error(&FieldError {
                    field: "summary".into(),
                    message: answer.message(),
                });
            }
            for e in &errors {
                form.add_error(e);
            }
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            Ok(register_page(&staff, &form, status))
        }
    }
}

/// A registration time (RFC 3339, UTC) as China time (北京时间, `YYYY-MM-DD HH:MM:SS`).
pub fn china_time_text(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| {
            china_time(t.with_timezone(&chrono::Utc))
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

/// A channel (信访形式) in Chinese.
pub fn channel_zh(channel: &str) -> &'static str {
    match channel {
        "visit" => "走访",
        "letter" => "来信",
        "phone" => "来电",
        "fax" => "传真",
        "online" => "网上信访",
        "transferred_in" => "上级转送",
        "assigned_in" => "上级交办",
        _ => "其他",
    }
}

// ---- Role-based navigation (按角色导航): what each role may follow; `nav.rs` re-exports it. ----

/// A link of the top navigation.
#[derive(Debug, Serialize)]
pub struct NavItem {
    pub title: &'static str,
    pub href: &'static str,
}

/// The roles of the supervisor's and leader's pages (督查专员, 领导).
pub const OVERSIGHT_ROLES: &[&str] = &["supervisor", "leader"];
/// The administrator's pages (系统管理员).
pub const ADMIN_ROLES: &[&str] = &["admin"];
/// The archive's pages (档案管理员, 系统管理员: notification's `ManageArchive`).
pub const ARCHIVE_ROLES: &[&str] = &["archivist", "admin"];
/// The post room and deliveries (收发室与送达: window clerks, 系统管理员).
pub const POST_ROOM_ROLES: &[&str] = &["clerk", "admin"];

/// The links `staff` may follow.
pub fn nav_for(staff: &Staff) -> Vec<NavItem> {
    let mut nav = Vec::new();
    if staff.has_any(&["clerk", "admin"]) {
        nav.push(NavItem {
            title: "登记",
            href: "/console/register",
        });
        nav.push(NavItem {
            title: "待分办",
            href: "/console/cases",
        });
    }
    if staff.has_any(POST_ROOM_ROLES) {
        nav.push(NavItem {
            title: "收发室",
            href: "/console/post",
        });
    }
    if staff.has_any(&["handler", "unit_head"]) {
        nav.push(NavItem {
            title: "本单位待办",
            href: "/console/unit",
        });
    }
    if staff.has_any(&["mediator"]) {
        nav.push(NavItem {
            title: "调解",
            href: "/console/mediation",
        });
        nav.push(NavItem {
            title: "调解日程",
            href: "/console/mediation/calendar",
        });
    }
    if staff.has_any(OVERSIGHT_ROLES) {
        nav.push(NavItem {
            title: "统计看板",
            href: "/console/oversight",
        });
        nav.push(NavItem {
            title: "督办与包案",
            href: "/console/oversight/orders",
        });
        nav.push(NavItem {
            title: "专项行动",
            href: "/console/oversight/campaigns",
        });
        nav.push(NavItem {
            title: "报告与通报",
            href: "/console/oversight/reports",
        });
    }
    if staff.has_any(ARCHIVE_ROLES) {
        nav.push(NavItem {
            title: "信访档案",
            href: "/console/archive",
        });
    }
    if staff.has_any(ADMIN_ROLES) {
        nav.push(NavItem {
            title: "系统管理",
            href: "/console/admin",
        });
    }
    nav
}

/// The `staff` value of a page's context: name, unit, CSRF token and navigation.
pub fn staff_ctx(staff: &Staff) -> minijinja::Value {
    minijinja::context! {
        name => staff.display_name,
        unit => staff.unit,
        unit_name => staff.unit_name,
        csrf => staff.csrf,
        nav => nav_for(staff),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_receipt_prints_china_time() {
        assert_eq!(
            china_time_text("2026-11-30T17:05:09.123456Z"),
            "2026-12-01 01:05:09"
        );
        assert_eq!(china_time_text("not a time"), "");
    }

    #[test]
    fn person_fields_name_their_row() {
        assert_eq!(
            parse_person_field("petitioners[2].id_number"),
            Some((2, "id_number".into()))
        );
        assert_eq!(parse_person_field("petitioners"), None);
        assert_eq!(parse_person_field("summary"), None);
    }

    #[test]
    fn a_form_becomes_intake_body_and_errors_go_beside_fields() {
        let pairs: Vec<(String, String)> = [
            ("channel", "visit"),
            ("summary", "拖欠工资"),
            ("group_visit", "on"),
            ("petitioner_count", "30"),
            ("rep_name", "张三"),
            ("rep_id_number", ""),
            ("rep_phone", ""),
            ("rep_name", "李四"),
            ("rep_id_number", "11010519491231002X"),
            ("rep_phone", ""),
            ("rep_name", ""),
            ("rep_id_number", ""),
            ("rep_phone", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let mut form = RegisterForm::from_pairs(&pairs);
        let body = form.request_body();
        assert_eq!(body["petitioners"].as_array().map(Vec::len), Some(2));
        assert_eq!(body["petitioners"][1]["id_number"], "11010519491231002X");
        assert_eq!(body["group_visit"], true);
        assert_eq!(body["petitioner_count"], 30);
        form.add_error(&FieldError {
            field: "petitioners[1].id_number".into(),
            message: "校验位不正确".into(),
        });
        form.add_error(&FieldError {
            field: "township".into(),
            message: "未知乡镇".into(),
        });
        assert_eq!(form.reps[1].errors["id_number"], "校验位不正确");
        assert_eq!(form.errors["township"], "未知乡镇");
        assert_eq!(form.summary_errors[0].0, "rep_id_number_1");
    }
}
