//! The administrator's pages (系统管理页面): the units directory (单位目录) and accounts
//! (账号与角色) through the console's own API handlers (the same checks, audit records and events
//! as the API), routing rules (分类规则, intake: `admin_rules.rs`), document templates (文书模板, notification:
//! the save-time check's errors beside the field) and holiday calendars (节假日日历, supervision:
//! `admin_calendar.rs`).
//! Administrators only: anyone else gets the Chinese 403 page.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;
use xinfang_messaging::OutboxWaker;
use xinfang_platform::{auth::TokenType, http::Query, ApiError};

use super::{
    client::{ok_or_message, Services},
    intake::{Answer, FieldError},
    nav::staff_ctx,
    security::see_other,
    staff::{csrf_ok_for, field, form_pairs, role_zh, Staff},
    view::render,
};
use crate::{
    api::{
        accounts::{self, AccountQuery, CreateAccount, ResetPassword, UpdateAccount},
        caller::Caller,
        state::AppState,
        units::{self, CreateUnit, RetireUnit, UnitQuery, UpdateUnit},
    },
    domain::{
        account::AccountStatus,
        unit::{UnitKind, UnitLevel},
    },
};

/// The administration pages' routes (under `/console`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(index))
        .route("/admin/units", web::get().to(unit_list))
        .route("/admin/units", web::post().to(unit_create))
        .route("/admin/units/new", web::get().to(unit_new))
        .route("/admin/units/{code}", web::get().to(unit_edit))
        .route("/admin/units/{code}", web::post().to(unit_update))
        .route("/admin/units/{code}/retire", web::post().to(unit_retire))
        .route("/admin/accounts", web::get().to(account_list))
        .route("/admin/accounts", web::post().to(account_create))
        .route("/admin/accounts/new", web::get().to(account_new))
        .route("/admin/accounts/{id}", web::get().to(account_edit))
        .route("/admin/accounts/{id}", web::post().to(account_update))
        .route(
            "/admin/accounts/{id}/password",
            web::post().to(account_password),
        )
        .route("/admin/templates", web::get().to(template_list))
        .route("/admin/templates/{code}", web::get().to(template_edit))
        .route("/admin/templates/{code}", web::post().to(template_publish));
}

/// The roles an administrator can give (角色).
const ROLES: [&str; 10] = [
    "clerk",
    "handler",
    "unit_head",
    "mediator",
    "supervisor",
    "leader",
    "auditor",
    "archivist",
    "admin",
    "pii_viewer",
];

type Data<T> = web::Data<T>;

macro_rules! admin_or_page {
    ($req:expr, $pool:expr, $waker:expr, $state:expr) => {
        $crate::pages::nav::staff_or_page!(
            $req,
            $pool,
            $waker,
            $state,
            $crate::pages::nav::ADMIN_ROLES,
            "系统管理页面"
        )
    };
}
pub(super) use admin_or_page;

/// The console API's caller for the member of staff (whose session the page already checked).
pub(super) fn caller_of(staff: &Staff) -> Caller {
    Caller {
        subject: staff.account_id.to_string(),
        typ: TokenType::User,
        account_id: Some(staff.account_id),
        login_name: None,
        unit: Some(staff.unit.clone()),
        roles: staff.roles.iter().filter_map(|r| r.parse().ok()).collect(),
        scopes: Vec::new(),
        session_id: Some(staff.session_id),
        enrol_only: false,
    }
}

/// A console API handler's answer, read like a service's.
pub(super) async fn answer_of(r: Result<HttpResponse, ApiError>) -> Answer {
    match r {
        Ok(res) => {
            let status = res.status().as_u16();
            let bytes = actix_web::body::to_bytes(res.into_body())
                .await
                .unwrap_or_default();
            Answer {
                status,
                body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            }
        }
        Err(e) => Answer {
            status: e.status.as_u16(),
            body: serde_json::to_value(&e.body).unwrap_or(Value::Null),
        },
    }
}

/// Field errors of a refused change, each beside its field (or on `fallback`).
pub(super) fn errors_of(a: &Answer, fallback: &str) -> Vec<FieldError> {
    let mut e = a.field_errors();
    if e.is_empty() {
        e.push(FieldError {
            field: fallback.into(),
            message: a.message(),
        });
    }
    e
}

fn expired(field: &str) -> Vec<FieldError> {
    vec![FieldError {
        field: field.into(),
        message: "页面已过期，请核对后重新提交".into(),
    }]
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// `GET /console/admin`: the administration index (系统管理).
pub async fn index(
    req: HttpRequest,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    Ok(render(
        StatusCode::OK,
        "admin_index.html",
        minijinja::context! { title => "系统管理", staff => staff_ctx(&staff) },
    ))
}

// ---- units (单位目录) ----

#[derive(Debug, Serialize, Default)]
struct UnitForm {
    code: String,
    name: String,
    short_name: String,
    kind: String,
    level: String,
    parent_code: String,
    supervisor_code: String,
    township_code: String,
    remarks: String,
    version: String,
    active: bool,
}

impl UnitForm {
    fn from_pairs(p: &[(String, String)]) -> UnitForm {
        let f = |n: &str| field(p, n).trim().to_string();
        UnitForm {
            code: f("code"),
            name: f("name"),
            short_name: f("short_name"),
            kind: f("kind"),
            level: f("level"),
            parent_code: f("parent_code"),
            supervisor_code: f("supervisor_code"),
            township_code: f("township_code"),
            remarks: f("remarks"),
            version: f("version"),
            active: true,
        }
    }
    fn from_view(v: &Value) -> UnitForm {
        let s = |n: &str| v[n].as_str().unwrap_or("").to_string();
        UnitForm {
            code: s("code"),
            name: s("name"),
            short_name: s("short_name"),
            kind: s("kind"),
            level: s("level"),
            parent_code: s("parent_code"),
            supervisor_code: s("supervisor_code"),
            township_code: s("township_code"),
            remarks: s("remarks"),
            version: v["version"]
                .as_i64()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            active: v["active"].as_bool().unwrap_or(true),
        }
    }
    fn create(&self) -> CreateUnit {
        CreateUnit {
            code: self.code.clone(),
            name: self.name.clone(),
            short_name: self.short_name.clone(),
            kind: self.kind.clone(),
            level: self.level.clone(),
            parent_code: opt(&self.parent_code),
            supervisor_code: opt(&self.supervisor_code),
            township_code: opt(&self.township_code),
            remarks: opt(&self.remarks),
        }
    }
    fn update(&self) -> UpdateUnit {
        UpdateUnit {
            name: self.name.clone(),
            short_name: self.short_name.clone(),
            kind: self.kind.clone(),
            level: self.level.clone(),
            parent_code: opt(&self.parent_code),
            supervisor_code: opt(&self.supervisor_code),
            township_code: opt(&self.township_code),
            remarks: opt(&self.remarks),
            version: self.version.parse().ok(),
        }
    }
}

fn choices_kind() -> Vec<(&'static str, &'static str)> {
    UnitKind::ALL
        .iter()
        .map(|k| (k.as_str(), k.label_zh()))
        .collect()
}

fn choices_level() -> Vec<(&'static str, &'static str)> {
    UnitLevel::ALL
        .iter()
        .map(|k| (k.as_str(), k.label_zh()))
        .collect()
}

fn unit_form_page(
    staff: &Staff,
    form: &UnitForm,
    creating: bool,
    errors: &[FieldError],
    status: StatusCode,
) -> HttpResponse {
    render(
        status,
        "admin_unit.html",
        minijinja::context! {
            title => if creating { "新建单位" } else { "修改单位" },
            staff => staff_ctx(staff),
            form => form,
            creating => creating,
            kinds => choices_kind(),
            levels => choices_level(),
            errors => errors,
            error_of => errors.iter().map(|e| (e.field.clone(), e.message.clone())).collect::<std::collections::BTreeMap<_, _>>(),
        },
    )
}

/// `GET /console/admin/units`: every unit, active or retired.
pub async fn unit_list(
    req: HttpRequest,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let a = answer_of(
        units::list(
            caller_of(&staff),
            Query(UnitQuery {
                kind: None,
                level: None,
                parent: None,
                active: None,
            }),
            pool.clone(),
        )
        .await,
    )
    .await;
    let list = if a.status == 200 { a.body } else { json!([]) };
    Ok(render(
        StatusCode::OK,
        "admin_units.html",
        minijinja::context! { title => "单位目录", staff => staff_ctx(&staff), units => list },
    ))
}

/// `GET /console/admin/units/new`: the form of a new unit.
pub async fn unit_new(
    req: HttpRequest,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let form = UnitForm {
        kind: "department".into(),
        level: "county".into(),
        active: true,
        ..UnitForm::default()
    };
    Ok(unit_form_page(&staff, &form, true, &[], StatusCode::OK))
}

/// `POST /console/admin/units`: create a unit (新建单位); errors beside their fields.
#[tracing::instrument(skip_all)]
pub async fn unit_create(
    req: HttpRequest,
    body: web::Bytes,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let pairs = form_pairs(&body);
    let form = UnitForm::from_pairs(&pairs);
    if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        return Ok(unit_form_page(
            &staff,
            &form,
            true,
            &expired("code"),
            StatusCode::FORBIDDEN,
        ));
    }
    let a = answer_of(
        units::create(
            caller_of(&staff),
            web::Json(form.create()),
            pool.clone(),
            waker.clone(),
        )
        .await,
    )
    .await;
    if a.status == 201 || a.status == 200 {
        return Ok(see_other("/console/admin/units?saved=1").finish());
    }
    Ok(unit_form_page(
        &staff,
        &form,
        true,
        &errors_of(&a, "code"),
        a.status_code(),
    ))
}

/// `GET /console/admin/units/{code}`: a unit's form.
pub async fn unit_edit(
    req: HttpRequest,
    path: web::Path<String>,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let a = answer_of(units::get(caller_of(&staff), path, pool.clone()).await).await;
    if a.status != 200 {
        return Ok(super::view::error_page(
            a.status_code(),
            &a.message(),
            "/console/admin/units",
        ));
    }
    Ok(unit_form_page(
        &staff,
        &UnitForm::from_view(&a.body),
        false,
        &[],
        StatusCode::OK,
    ))
}

/// `POST /console/admin/units/{code}`: change a unit (修改单位).
#[tracing::instrument(skip_all)]
pub async fn unit_update(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let pairs = form_pairs(&body);
    let mut form = UnitForm::from_pairs(&pairs);
    form.code = path.into_inner();
    if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        return Ok(unit_form_page(
            &staff,
            &form,
            false,
            &expired("name"),
            StatusCode::FORBIDDEN,
        ));
    }
    let a = answer_of(
        units::update(
            caller_of(&staff),
            web::Path::from(form.code.clone()),
            web::Json(form.update()),
            pool.clone(),
            waker.clone(),
        )
        .await,
    )
    .await;
    if a.status == 200 {
        return Ok(see_other("/console/admin/units?saved=1").finish());
    }
    Ok(unit_form_page(
        &staff,
        &form,
        false,
        &errors_of(&a, "name"),
        a.status_code(),
    ))
}

/// `POST /console/admin/units/{code}/retire`: deactivate a unit (撤销单位).
#[tracing::instrument(skip_all)]
pub async fn unit_retire(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let pairs = form_pairs(&body);
    let code = path.into_inner();
    if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        return Ok(super::view::error_page(
            StatusCode::FORBIDDEN,
            "页面已过期，请返回重试",
            "/console/admin/units",
        ));
    }
    let a = answer_of(
        units::retire(
            caller_of(&staff),
            web::Path::from(code.clone()),
            web::Json(RetireUnit {
                reason: opt(field(&pairs, "reason")),
                version: field(&pairs, "version").parse().ok(),
            }),
            pool.clone(),
            waker.clone(),
        )
        .await,
    )
    .await;
    if a.status == 200 {
        return Ok(see_other("/console/admin/units?saved=1").finish());
    }
    // The unit's form again, the refusal beside the retire button.
    let current =
        answer_of(units::get(caller_of(&staff), web::Path::from(code), pool.clone()).await).await;
    let mut errors = errors_of(&a, "reason");
    for e in &mut errors {
        e.field = "reason".into();
    }
    Ok(unit_form_page(
        &staff,
        &UnitForm::from_view(&current.body),
        false,
        &errors,
        a.status_code(),
    ))
}

// ---- accounts (账号与角色) ----

#[derive(Debug, Serialize, Default)]
struct AccountForm {
    id: String,
    login_name: String,
    display_name: String,
    unit: String,
    roles: Vec<String>,
    status: String,
    totp_enrolled: bool,
}

impl AccountForm {
    fn from_pairs(p: &[(String, String)]) -> AccountForm {
        AccountForm {
            login_name: field(p, "login_name").trim().to_string(),
            display_name: field(p, "display_name").trim().to_string(),
            unit: field(p, "unit").trim().to_string(),
            roles: p
                .iter()
                .filter(|(k, _)| k == "roles")
                .map(|(_, v)| v.clone())
                .collect(),
            status: field(p, "status").to_string(),
            ..AccountForm::default()
        }
    }
    fn from_view(v: &Value) -> AccountForm {
        let s = |n: &str| v[n].as_str().unwrap_or("").to_string();
        AccountForm {
            id: s("id"),
            login_name: s("login_name"),
            display_name: s("display_name"),
            unit: s("unit"),
            roles: v["roles"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|r| r.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            status: s("status"),
            totp_enrolled: v["totp_enrolled"].as_bool().unwrap_or(false),
        }
    }
}

/// The errors with each field named as its input is (`roles[1]` → `roles`).
fn beside(errors: &[FieldError]) -> Vec<FieldError> {
    errors
        .iter()
        .map(|e| FieldError {
            field: base_field(&e.field),
            message: e.message.clone(),
        })
        .collect()
}

fn role_choices() -> Vec<(&'static str, &'static str)> {
    ROLES.iter().map(|r| (*r, role_zh(r))).collect()
}

/// `roles[1]` → `roles`: the field a message goes beside.
fn base_field(f: &str) -> String {
    f.split(['[', '.']).next().unwrap_or(f).to_string()
}

pub(super) async fn unit_choices(staff: &Staff, pool: &Data<PgPool>) -> Value {
    let a = answer_of(
        units::list(
            caller_of(staff),
            Query(UnitQuery {
                kind: None,
                level: None,
                parent: None,
                active: Some(true),
            }),
            pool.clone(),
        )
        .await,
    )
    .await;
    if a.status == 200 {
        a.body
    } else {
        json!([])
    }
}

async fn account_form_page(
    staff: &Staff,
    pool: &Data<PgPool>,
    form: &AccountForm,
    creating: bool,
    errors: &[FieldError],
    status: StatusCode,
) -> HttpResponse {
    let errors = beside(errors);
    let error_of: std::collections::BTreeMap<String, String> = errors
        .iter()
        .map(|e| (e.field.clone(), e.message.clone()))
        .collect();
    render(
        status,
        "admin_account.html",
        minijinja::context! {
            title => if creating { "新建账号" } else { "修改账号" },
            staff => staff_ctx(staff),
            form => form,
            creating => creating,
            roles => role_choices(),
            units => unit_choices(staff, pool).await,
            errors => errors,
            error_of => error_of,
        },
    )
}

/// `GET /console/admin/accounts`: every account.
pub async fn account_list(
    req: HttpRequest,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let a = answer_of(
        accounts::list(
            caller_of(&staff),
            Query(AccountQuery {
                unit: None,
                status: None,
            }),
            pool.clone(),
        )
        .await,
    )
    .await;
    let mut list = if a.status == 200 { a.body } else { json!([]) };
    if let Some(items) = list.as_array_mut() {
        for item in items {
            let zh: Vec<&str> = item["roles"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).map(role_zh).collect())
                .unwrap_or_default();
            item["roles_zh"] = json!(zh.join("、"));
        }
    }
    Ok(render(
        StatusCode::OK,
        "admin_accounts.html",
        minijinja::context! { title => "账号与角色", staff => staff_ctx(&staff), accounts => list },
    ))
}

/// `GET /console/admin/accounts/new`: the form of a new account.
pub async fn account_new(
    req: HttpRequest,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let form = AccountForm {
        status: "active".into(),
        ..AccountForm::default()
    };
    Ok(account_form_page(&staff, &pool, &form, true, &[], StatusCode::OK).await)
}

/// `POST /console/admin/accounts`: create an account (新建账号) with its initial password.
#[tracing::instrument(skip_all)]
pub async fn account_create(
    req: HttpRequest,
    body: web::Bytes,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let pairs = form_pairs(&body);
    let form = AccountForm::from_pairs(&pairs);
    if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        return Ok(account_form_page(
            &staff,
            &pool,
            &form,
            true,
            &expired("login_name"),
            StatusCode::FORBIDDEN,
        )
        .await);
    }
    let a = answer_of(
        accounts::create(
            caller_of(&staff),
            web::Json(CreateAccount {
                login_name: form.login_name.clone(),
                display_name: form.display_name.clone(),
                unit: form.unit.clone(),
                roles: form.roles.clone(),
                password: field(&pairs, "password").to_string(),
            }),
            pool.clone(),
            waker.clone(),
            state.clone(),
        )
        .await,
    )
    .await;
    if a.status == 201 || a.status == 200 {
        return Ok(see_other("/console/admin/accounts?saved=1").finish());
    }
    Ok(account_form_page(
        &staff,
        &pool,
        &form,
        true,
        &errors_of(&a, "login_name"),
        a.status_code(),
    )
    .await)
}

/// `GET /console/admin/accounts/{id}`: an account's form.
pub async fn account_edit(
    req: HttpRequest,
    path: web::Path<Uuid>,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let a = answer_of(accounts::get(caller_of(&staff), path, pool.clone()).await).await;
    if a.status != 200 {
        return Ok(super::view::error_page(
            a.status_code(),
            &a.message(),
            "/console/admin/accounts",
        ));
    }
    Ok(account_form_page(
        &staff,
        &pool,
        &AccountForm::from_view(&a.body),
        false,
        &[],
        StatusCode::OK,
    )
    .await)
}

/// `POST /console/admin/accounts/{id}`: name, unit, roles, enabled or disabled (启用/停用).
#[tracing::instrument(skip_all)]
pub async fn account_update(
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: web::Bytes,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let id = path.into_inner();
    let pairs = form_pairs(&body);
    let mut form = AccountForm::from_pairs(&pairs);
    form.id = id.to_string();
    form.login_name = field(&pairs, "login_name_shown").to_string();
    if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        return Ok(account_form_page(
            &staff,
            &pool,
            &form,
            false,
            &expired("display_name"),
            StatusCode::FORBIDDEN,
        )
        .await);
    }
    let status = match form.status.as_str() {
        "disabled" => Some(AccountStatus::Disabled),
        _ => Some(AccountStatus::Active),
    };
    let a = answer_of(
        accounts::update(
            caller_of(&staff),
            web::Path::from(id),
            web::Json(UpdateAccount {
                display_name: Some(form.display_name.clone()),
                unit: Some(form.unit.clone()),
                roles: Some(form.roles.clone()),
                status,
            }),
            pool.clone(),
            waker.clone(),
        )
        .await,
    )
    .await;
    if a.status == 200 {
        return Ok(see_other("/console/admin/accounts?saved=1").finish());
    }
    Ok(account_form_page(
        &staff,
        &pool,
        &form,
        false,
        &errors_of(&a, "display_name"),
        a.status_code(),
    )
    .await)
}

/// `POST /console/admin/accounts/{id}/password`: set a new password (重置密码).
#[tracing::instrument(skip_all)]
pub async fn account_password(
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: web::Bytes,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let id = path.into_inner();
    let pairs = form_pairs(&body);
    let errors = if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        expired("new_password")
    } else {
        let a = answer_of(
            accounts::reset_password(
                caller_of(&staff),
                web::Path::from(id),
                web::Json(ResetPassword {
                    new_password: field(&pairs, "new_password").to_string(),
                }),
                pool.clone(),
                waker.clone(),
                state.clone(),
            )
            .await,
        )
        .await;
        if a.status == 204 || a.status == 200 {
            return Ok(see_other("/console/admin/accounts?saved=1").finish());
        }
        errors_of(&a, "new_password")
    };
    let current =
        answer_of(accounts::get(caller_of(&staff), web::Path::from(id), pool.clone()).await).await;
    Ok(account_form_page(
        &staff,
        &pool,
        &AccountForm::from_view(&current.body),
        false,
        &errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await)
}

// ---- routing rules, templates, calendars (other services) ----

/// `GET /console/admin/templates`: notification's templates with the version in force.
pub async fn template_list(
    req: HttpRequest,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
    services: Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let r = ok_or_message(
        services
            .notification
            .get("templates", &staff.access_token)
            .await,
        "文书模板",
    );
    let (list, error) = match r {
        Ok(v) => (v, None),
        Err(e) => (json!([]), Some(e)),
    };
    Ok(render(
        StatusCode::OK,
        "admin_templates.html",
        minijinja::context! { title => "文书模板", staff => staff_ctx(&staff), templates => list, error => error },
    ))
}

fn safe_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

async fn template_page(
    staff: &Staff,
    services: &Services,
    code: &str,
    edited: Option<(String, String)>,
    errors: &[FieldError],
    status: StatusCode,
) -> HttpResponse {
    let versions = ok_or_message(
        services
            .notification
            .get(&format!("templates/{code}"), &staff.access_token)
            .await,
        "文书模板",
    );
    let versions = match versions {
        Ok(v) => v,
        Err(e) => {
            return super::view::error_page(StatusCode::NOT_FOUND, &e, "/console/admin/templates")
        }
    };
    let current = versions[0].clone();
    let (title, body) = edited.unwrap_or_else(|| {
        (
            current["title"].as_str().unwrap_or("").to_string(),
            current["body"].as_str().unwrap_or("").to_string(),
        )
    });
    let errors = beside(errors);
    let error_of: std::collections::BTreeMap<String, String> = errors
        .iter()
        .map(|e| (e.field.clone(), e.message.clone()))
        .collect();
    render(
        status,
        "admin_template.html",
        minijinja::context! {
            title => format!("文书模板：{}", current["name"].as_str().unwrap_or(code)),
            staff => staff_ctx(staff),
            code => code,
            current => current,
            versions => versions,
            form_title => title,
            form_body => body,
            errors => errors,
            error_of => error_of,
        },
    )
}

/// `GET /console/admin/templates/{code}`: a template, its fields and versions, and the editor.
pub async fn template_edit(
    req: HttpRequest,
    path: web::Path<String>,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
    services: Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let code = path.into_inner();
    if !safe_code(&code) {
        return Ok(super::view::error_page(
            StatusCode::NOT_FOUND,
            "未找到该模板",
            "/console/admin/templates",
        ));
    }
    Ok(template_page(&staff, &services, &code, None, &[], StatusCode::OK).await)
}

/// `POST /console/admin/templates/{code}`: publish a new version; notification's save-time check
/// (unknown placeholder, required field left out) comes back beside the field.
#[tracing::instrument(skip_all)]
pub async fn template_publish(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
    services: Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let code = path.into_inner();
    if !safe_code(&code) {
        return Ok(super::view::error_page(
            StatusCode::NOT_FOUND,
            "未找到该模板",
            "/console/admin/templates",
        ));
    }
    let pairs = form_pairs(&body);
    let edited = (
        field(&pairs, "title").to_string(),
        field(&pairs, "body").replace("\r\n", "\n"),
    );
    if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        return Ok(template_page(
            &staff,
            &services,
            &code,
            Some(edited),
            &expired("body"),
            StatusCode::FORBIDDEN,
        )
        .await);
    }
    let answer = services
        .notification
        .send(
            reqwest::Method::PUT,
            &format!("templates/{code}"),
            &staff.access_token,
            &json!({ "title": edited.0, "body": edited.1 }),
        )
        .await;
    let a = match answer {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "notification unreachable");
            let errors = vec![FieldError {
                field: "body".into(),
                message: "通知送达服务暂时无法连接，请稍后重试（已填内容未丢失）".into(),
            }];
            return Ok(template_page(
                &staff,
                &services,
                &code,
                Some(edited),
                &errors,
                StatusCode::BAD_GATEWAY,
            )
            .await);
        }
    };
    if a.status == 201 || a.status == 200 {
        return Ok(see_other(&format!("/console/admin/templates/{code}?saved=1")).finish());
    }
    let status = a.status_code();
    Ok(template_page(
        &staff,
        &services,
        &code,
        Some(edited),
        &errors_of(&a, "body"),
        status,
    )
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_go_beside_the_field_they_name() {
        assert_eq!(base_field("roles[1]"), "roles");
        assert_eq!(base_field("body"), "body");
        assert!(safe_code("acceptance_notice"));
        assert!(!safe_code("../x"));
    }

    #[test]
    fn a_unit_form_becomes_the_apis_input() {
        let pairs: Vec<(String, String)> = [
            ("code", " 140423-XZSPJ "),
            ("name", "襄垣县行政审批服务管理局"),
            ("parent_code", ""),
            ("supervisor_code", "140423-ZF"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let f = UnitForm::from_pairs(&pairs);
        assert_eq!(f.code, "140423-XZSPJ");
        let i = f.create();
        assert_eq!(i.parent_code, None);
        assert_eq!(i.supervisor_code.as_deref(), Some("140423-ZF"));
    }
}
