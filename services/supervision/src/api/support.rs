//! What the HTTP handlers of every feature share: validation of request fields, keyset pages, the
//! caller's scope, and the visibility of a case or a record to the caller.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::IntoParams;
use uuid::Uuid;
use xinfang_platform::directory::Directory;
use xinfang_platform::{Actor, ApiError, Permission};

use crate::{
    domain::error::SupervisionError,
    oversight::{domain::CaseRef, store as case_store},
    timeline::store as timeline_store,
};

/// The caller needs one of these rights.
pub fn require_any(actor: &Actor, rights: &[Permission]) -> Result<(), ApiError> {
    if rights.iter().any(|p| actor.has(*p)) {
        Ok(())
    } else {
        actor.require(rights[0])
    }
}

/// A request field at fault, with its Chinese message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// Failures collected while validating a request.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<FieldProblem>);

impl Problems {
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldProblem {
            field: field.to_string(),
            message: message.into(),
        });
    }
    /// A required text of 1..=max characters, trimmed.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let v = value.trim();
        if v.is_empty() {
            self.push(field, "不能为空");
        } else if v.chars().count() > max {
            self.push(field, format!("不能超过 {max} 个字符"));
        }
        v.to_string()
    }
    /// A required unit code (单位代码) that must name an active unit of the directory.
    pub fn unit(&mut self, directory: &Directory, field: &str, value: &str) -> String {
        let before = self.0.len();
        let v = self.text(field, value, 64);
        if self.0.len() == before {
            if let Err(refused) = directory.require_active(field, &v) {
                self.push(field, refused.to_string());
            }
        }
        v
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation_many(
                self.0.into_iter().map(|p| (p.field, p.message)).collect(),
            ))
        }
    }
}

/// Keyset page (`after` = last id of the previous page; ids are time-ordered UUIDv7).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// 上一页最后一条的 id
    pub after: Option<Uuid>,
    /// 每页条数 1–200, 默认 50
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

impl PageQuery {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(50).clamp(1, 200)
    }
    /// The lower bound of ids (exclusive): nil when starting.
    pub fn after(&self) -> Uuid {
        self.after.unwrap_or(Uuid::nil())
    }
}

/// A page of items and the cursor of the next page.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; null on the last page.
    pub next_after: Option<Uuid>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, limit: i64, id: impl Fn(&T) -> Uuid) -> Page<T> {
        let next_after = if items.len() as i64 == limit {
            items.last().map(id)
        } else {
            None
        };
        Page { items, next_after }
    }
}

/// Answer 200 with a keyset page of `items` (fetched with `LIMIT page.limit()`), the next cursor
/// taken from each item's id.
pub fn page_response<T: Serialize>(
    items: Vec<T>,
    page: &PageQuery,
    id: impl Fn(&T) -> Uuid,
) -> HttpResponse {
    HttpResponse::Ok().json(Page::new(items, page.limit(), id))
}

/// The unit a caller's lists are limited to: none for county-wide staff (全县), else its own.
pub fn scoped_unit(actor: &Actor) -> Option<String> {
    (!actor.county_wide()).then(|| actor.unit.clone())
}

/// A record the caller may see by its `unit`, else `missing`: another unit's record answers like a
/// missing one, so that its existence does not leak.
pub fn visible_to<T>(
    actor: &Actor,
    record: Option<T>,
    unit: impl Fn(&T) -> &str,
    missing: SupervisionError,
) -> Result<T, SupervisionError> {
    match record {
        Some(r) if actor.can_see_unit(unit(&r)) => Ok(r),
        _ => Err(missing),
    }
}

/// The case, if it exists in the read model and the caller may see it (county-wide, its unit, or
/// a unit it was handed to); otherwise 404 like a case that does not exist.
pub async fn visible_case(
    pool: &PgPool,
    actor: &Actor,
    case_id: Uuid,
) -> Result<CaseRef, ApiError> {
    let Some(case) = case_store::case_for(pool, case_id, &actor.unit).await? else {
        return Err(SupervisionError::CaseNotFound.into());
    };
    if !(actor.county_wide() || case.handed_to_caller || actor.unit == case.unit_code) {
        return Err(SupervisionError::CaseNotFound.into());
    }
    Ok(CaseRef {
        case_id,
        case_number: case.case_number,
        unit_code: case.unit_code,
    })
}

/// Whether the caller may read a case's deadlines and timeline: county-wide staff, or a unit the
/// case was handed to.
pub async fn ensure_case_readable(
    pool: &PgPool,
    actor: &Actor,
    case_id: Uuid,
) -> Result<(), ApiError> {
    actor.require(Permission::ReadCases)?;
    let units = timeline_store::case_units(pool, case_id).await?;
    if units.is_empty() || !(actor.county_wide() || units.iter().any(|u| actor.can_see_unit(u))) {
        return Err(SupervisionError::CaseNotFound.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_collect_field_errors() {
        let mut p = Problems::default();
        assert_eq!(p.text("summary", "  ok ", 10), "ok");
        p.text("content", "   ", 10);
        p.text("note", "一二三四五六", 5);
        let e = p.finish().unwrap_err();
        assert_eq!(e.status.as_u16(), 422);
        assert!(e.body.message.contains("content"));
        assert!(e.body.message.contains("note"));
    }

    #[test]
    fn page_limits_are_clamped() {
        let q = PageQuery {
            after: None,
            limit: Some(10_000),
        };
        assert_eq!(q.limit(), 200);
        assert_eq!(q.after(), Uuid::nil());
    }
}
