//! The units directory over HTTP (单位目录接口).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    ApiError,
};

use super::caller::Caller;
use crate::{
    domain::{
        unit::{
            parse_remarks, Referenced, UnitChange, UnitCode, UnitFacts, UnitKind, UnitLevel,
            UnitName,
        },
        DomainError,
    },
    events::unit_changed,
    store::{
        self,
        units::{UnitFilter, UnitRow},
    },
};

/// A unit as shown (单位).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitView {
    /// 单位代码
    pub code: String,
    /// 区划代码
    pub division_code: String,
    /// 全称
    pub name: String,
    /// 简称
    pub short_name: String,
    /// 单位类别
    pub kind: String,
    /// 单位类别（中文）
    pub kind_label: String,
    /// 层级
    pub level: String,
    /// 上一级行政机关
    pub parent_code: Option<String>,
    /// 主管机关
    pub supervisor_code: Option<String>,
    /// 所属乡镇
    pub township_code: Option<String>,
    /// 是否有效（未撤销）
    pub active: bool,
    /// 备注
    pub remarks: Option<String>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl From<UnitRow> for UnitView {
    fn from(r: UnitRow) -> UnitView {
        let kind_label = UnitKind::parse("kind", &r.kind)
            .map(|k| k.label_zh().to_string())
            .unwrap_or_else(|_| r.kind.clone());
        UnitView {
            code: r.code,
            division_code: r.division_code,
            name: r.name,
            short_name: r.short_name,
            kind: r.kind,
            kind_label,
            level: r.level,
            parent_code: r.parent_code,
            supervisor_code: r.supervisor_code,
            township_code: r.township_code,
            active: r.active,
            remarks: r.remarks,
            version: r.version,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UnitQuery {
    /// 单位类别
    pub kind: Option<String>,
    /// 层级
    pub level: Option<String>,
    /// 上一级机关代码
    pub parent: Option<String>,
    /// 是否有效
    pub active: Option<bool>,
}

/// The facts of a unit an administrator submits (单位信息), as `parse_facts` reads them.
///
/// `CreateUnit` and `UpdateUnit` spell these fields out rather than `#[serde(flatten)]` them: a
/// flattened struct becomes an `allOf` whose parts both forbid additional properties, a schema
/// no body can satisfy (and serde does not support `deny_unknown_fields` with `flatten`).
pub struct UnitInput<'a> {
    pub name: &'a str,
    pub short_name: &'a str,
    pub kind: &'a str,
    pub level: &'a str,
    pub parent_code: Option<&'a str>,
    pub supervisor_code: Option<&'a str>,
    pub township_code: Option<&'a str>,
    pub remarks: Option<&'a str>,
}

/// A new unit (新增单位).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUnit {
    /// 单位代码，如 140423-XFJ
    pub code: String,
    /// 全称
    pub name: String,
    /// 简称
    pub short_name: String,
    /// 单位类别
    pub kind: String,
    /// 层级
    pub level: String,
    /// 上一级行政机关
    #[serde(default)]
    pub parent_code: Option<String>,
    /// 主管机关
    #[serde(default)]
    pub supervisor_code: Option<String>,
    /// 所属乡镇
    #[serde(default)]
    pub township_code: Option<String>,
    /// 备注
    #[serde(default)]
    pub remarks: Option<String>,
}

impl CreateUnit {
    fn facts(&self) -> UnitInput<'_> {
        UnitInput {
            name: &self.name,
            short_name: &self.short_name,
            kind: &self.kind,
            level: &self.level,
            parent_code: self.parent_code.as_deref(),
            supervisor_code: self.supervisor_code.as_deref(),
            township_code: self.township_code.as_deref(),
            remarks: self.remarks.as_deref(),
        }
    }
}

/// A unit's changed facts (修改单位信息).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUnit {
    /// 全称
    pub name: String,
    /// 简称
    pub short_name: String,
    /// 单位类别
    pub kind: String,
    /// 层级
    pub level: String,
    /// 上一级行政机关
    #[serde(default)]
    pub parent_code: Option<String>,
    /// 主管机关
    #[serde(default)]
    pub supervisor_code: Option<String>,
    /// 所属乡镇
    #[serde(default)]
    pub township_code: Option<String>,
    /// 备注
    #[serde(default)]
    pub remarks: Option<String>,
    /// The version the change was made from (乐观锁); a newer stored version answers 409.
    #[serde(default)]
    pub version: Option<i64>,
}

impl UpdateUnit {
    fn facts(&self) -> UnitInput<'_> {
        UnitInput {
            name: &self.name,
            short_name: &self.short_name,
            kind: &self.kind,
            level: &self.level,
            parent_code: self.parent_code.as_deref(),
            supervisor_code: self.supervisor_code.as_deref(),
            township_code: self.township_code.as_deref(),
            remarks: self.remarks.as_deref(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetireUnit {
    /// 撤销原因
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
}

/// One version of a unit (单位变更历史).
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitHistoryView {
    pub version: i64,
    pub change: String,
    #[schema(value_type = Object)]
    pub record: serde_json::Value,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
}

fn parse_facts(i: &UnitInput<'_>) -> Result<UnitFacts, DomainError> {
    let code = |field: &str, v: Option<&str>| -> Result<Option<UnitCode>, DomainError> {
        match v.map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) => UnitCode::parse(field, s).map(Some),
        }
    };
    Ok(UnitFacts {
        name: UnitName::parse("name", "单位全称", i.name)?,
        short_name: UnitName::parse("short_name", "单位简称", i.short_name)?,
        kind: UnitKind::parse("kind", i.kind)?,
        level: UnitLevel::parse("level", i.level)?,
        parent_code: code("parent_code", i.parent_code)?,
        supervisor_code: code("supervisor_code", i.supervisor_code)?,
        township_code: code("township_code", i.township_code)?,
        remarks: parse_remarks(i.remarks)?,
    })
}

/// Check the units `facts` names against the directory (inside the change's transaction).
async fn check_references(
    conn: &mut sqlx::PgConnection,
    code: &UnitCode,
    facts: &UnitFacts,
) -> Result<(), DomainError> {
    let named: Vec<String> = [
        &facts.parent_code,
        &facts.supervisor_code,
        &facts.township_code,
    ]
    .into_iter()
    .flatten()
    .map(|c| c.as_str().to_string())
    .collect();
    let rows = store::units::references(conn, &named).await?;
    facts.check_references(code, |c| {
        rows.iter().find(|r| r.code == c.as_str()).and_then(|r| {
            Some(Referenced {
                code: c.clone(),
                level: UnitLevel::parse("level", &r.level).ok()?,
                kind: UnitKind::parse("kind", &r.kind).ok()?,
                active: r.active,
            })
        })
    })?;
    if let Some(parent) = &facts.parent_code {
        let above = store::units::ancestors(conn, parent.as_str()).await?;
        if above.iter().any(|u| u.code == code.as_str()) {
            return Err(DomainError::invalid(
                "parent_code",
                format!("上一级机关 {parent} 是本单位的下级，不能形成循环"),
            ));
        }
    }
    Ok(())
}

/// History, audit record and outbox event of a change, in its transaction.
async fn publish_change(
    uow: &mut UnitOfWork<'_>,
    caller: &Caller,
    row: &UnitRow,
    change: UnitChange,
    reason: Option<&str>,
) -> Result<(), DomainError> {
    let event = unit_changed::unit_changed(row, change, row.updated_at);
    let record =
        serde_json::to_value(&event.unit).map_err(|e| DomainError::Internal(e.to_string()))?;
    store::units::record_history(uow.conn(), row, change, &record).await?;
    let (actor, unit) = caller.audit_actor();
    uow.audit(AuditEntry {
            actor,
            unit,
            action: format!("unit.{}", change.as_str()),
            case_id: None,
            details: serde_json::json!({ "code": row.code, "version": row.version, "record": record, "reason": reason }),
        })
    .await?;
    uow.enqueue(&unit_changed::envelope(&event)).await?;
    Ok(())
}

fn check_version(row: &UnitRow, expected: Option<i64>) -> Result<(), DomainError> {
    match expected {
        Some(v) if v != row.version => Err(DomainError::Conflict {
            code: "version_conflict",
            message: format!(
                "单位 {} 已被他人修改（当前版本 {}），请刷新后重试",
                row.code, row.version
            ),
        }),
        _ => Ok(()),
    }
}

/// The units directory (单位目录), filtered.
#[utoipa::path(get, path = "/api/v1/units", tag = "单位目录", params(UnitQuery),
    responses((status = 200, body = [UnitView]), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    _caller: Caller,
    query: xinfang_platform::http::Query<UnitQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    if let Some(k) = &q.kind {
        UnitKind::parse("kind", k)?;
    }
    if let Some(l) = &q.level {
        UnitLevel::parse("level", l)?;
    }
    let rows = store::units::list(
        &pool,
        &UnitFilter {
            kind: q.kind,
            level: q.level,
            parent: q.parent,
            active: q.active,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(UnitView::from).collect::<Vec<_>>()))
}

/// One unit (单位详情).
#[utoipa::path(get, path = "/api/v1/units/{code}", tag = "单位目录", params(("code" = String, Path)),
    responses((status = 200, body = UnitView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    _caller: Caller,
    path: web::Path<String>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner();
    let mut conn = pool.acquire().await?;
    let row = store::units::get(&mut conn, &code)
        .await?
        .ok_or(DomainError::UnitNotFound(code))?;
    Ok(HttpResponse::Ok().json(UnitView::from(row)))
}

/// The organs above a unit (上级机关链), nearest first.
#[utoipa::path(get, path = "/api/v1/units/{code}/ancestors", tag = "单位目录", params(("code" = String, Path)),
    responses((status = 200, body = [UnitView]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn ancestors(
    _caller: Caller,
    path: web::Path<String>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner();
    let mut conn = pool.acquire().await?;
    if store::units::get(&mut conn, &code).await?.is_none() {
        return Err(DomainError::UnitNotFound(code).into());
    }
    let rows = store::units::ancestors(&mut conn, &code).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(UnitView::from).collect::<Vec<_>>()))
}

/// Every version of a unit (单位变更历史).
#[utoipa::path(get, path = "/api/v1/units/{code}/history", tag = "单位目录", params(("code" = String, Path)),
    responses((status = 200, body = [UnitHistoryView]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn history(
    _caller: Caller,
    path: web::Path<String>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner();
    let rows = store::units::history(&pool, &code).await?;
    if rows.is_empty() {
        return Err(DomainError::UnitNotFound(code).into());
    }
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .map(|h| UnitHistoryView {
                version: h.version,
                change: h.change,
                record: h.record,
                changed_by: h.changed_by,
                changed_at: h.changed_at,
            })
            .collect::<Vec<_>>(),
    ))
}

/// Create a unit (新增单位). Administrators only.
#[utoipa::path(post, path = "/api/v1/units", tag = "单位目录", request_body = CreateUnit,
    responses((status = 201, body = UnitView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, fields(code = %body.code))]
pub async fn create(
    caller: Caller,
    body: web::Json<CreateUnit>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let code = UnitCode::parse("code", &body.code)?;
    let facts = parse_facts(&body.facts())?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    if store::units::get(uow.conn(), code.as_str())
        .await?
        .is_some()
    {
        return Err(DomainError::Conflict {
            code: "unit_exists",
            message: format!("单位代码 {code} 已存在"),
        }
        .into());
    }
    check_references(uow.conn(), &code, &facts).await?;
    let row = match store::units::insert(uow.conn(), &code, &facts, &caller.subject).await {
        Ok(r) => r,
        Err(e) if store::is_unique_violation(&e) => {
            return Err(DomainError::Conflict {
                code: "unit_exists",
                message: format!("单位代码 {code} 已存在"),
            }
            .into())
        }
        Err(e) => return Err(e.into()),
    };
    publish_change(&mut uow, &caller, &row, UnitChange::Created, None).await?;
    uow.commit().await?;
    waker.wake();
    tracing::info!(code = %row.code, "unit created");
    Ok(HttpResponse::Created().json(UnitView::from(row)))
}

/// Change a unit (修改单位). Administrators only.
#[utoipa::path(put, path = "/api/v1/units/{code}", tag = "单位目录", params(("code" = String, Path)), request_body = UpdateUnit,
    responses((status = 200, body = UnitView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, fields(code = %path))]
pub async fn update(
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<UpdateUnit>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let code = UnitCode::parse("code", &path)?;
    let facts = parse_facts(&body.facts())?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let current = store::units::get_for_update(uow.conn(), code.as_str())
        .await?
        .ok_or_else(|| DomainError::UnitNotFound(code.to_string()))?;
    check_version(&current, body.version)?;
    if !current.active {
        return Err(DomainError::Conflict {
            code: "unit_retired",
            message: format!("单位 {code} 已撤销，不能修改"),
        }
        .into());
    }
    check_references(uow.conn(), &code, &facts).await?;
    let row = store::units::update(uow.conn(), code.as_str(), &facts, &caller.subject).await?;
    publish_change(&mut uow, &caller, &row, UnitChange::Updated, None).await?;
    uow.commit().await?;
    waker.wake();
    Ok(HttpResponse::Ok().json(UnitView::from(row)))
}

/// Retire a unit (撤销单位): kept with its history, refused for new use. Never deleted.
#[utoipa::path(post, path = "/api/v1/units/{code}/retire", tag = "单位目录", params(("code" = String, Path)), request_body = RetireUnit,
    responses((status = 200, body = UnitView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, fields(code = %path))]
pub async fn retire(
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<RetireUnit>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let code = UnitCode::parse("code", &path)?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let current = store::units::get_for_update(uow.conn(), code.as_str())
        .await?
        .ok_or_else(|| DomainError::UnitNotFound(code.to_string()))?;
    check_version(&current, body.version)?;
    if !current.active {
        return Ok(HttpResponse::Ok().json(UnitView::from(current)));
    }
    let dependants = store::units::active_dependants(uow.conn(), code.as_str()).await?;
    if !dependants.is_empty() {
        return Err(DomainError::Conflict {
            code: "unit_has_dependants",
            message: format!(
                "单位 {code} 仍有下级单位（{}），请先调整或撤销",
                dependants.join("、")
            ),
        }
        .into());
    }
    let row = store::units::retire(uow.conn(), code.as_str(), &caller.subject).await?;
    let reason = parse_remarks(body.reason.as_deref())?;
    publish_change(
        &mut uow,
        &caller,
        &row,
        UnitChange::Retired,
        reason.as_deref(),
    )
    .await?;
    uow.commit().await?;
    waker.wake();
    Ok(HttpResponse::Ok().json(UnitView::from(row)))
}

/// How many units a republication announced.
#[derive(Debug, Serialize, ToSchema)]
pub struct Republished {
    pub units: usize,
}

/// Announce the whole directory again (重新发布单位目录), e.g. after a service joined the
/// deployment or restored its database: every service's copy catches up within seconds. Audited.
#[utoipa::path(post, path = "/api/v1/units/republish", tag = "单位目录",
    responses((status = 200, body = Republished), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn republish(
    caller: Caller,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let (actor, unit) = caller.audit_actor();
    let units = unit_changed::republish_all(&pool, Some(&waker), &actor, &unit).await?;
    Ok(HttpResponse::Ok().json(Republished { units }))
}
