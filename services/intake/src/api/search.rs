//! The list of petitions (信访件查询): filters, text search, keyset pagination.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    directory::Directory,
    error::ErrorBody,
    Actor, ApiError, Permission, Role,
};

use super::state::IntakeState;
use crate::{
    domain::{
        access::{may_read_text, ACCUSATION_WITHHELD},
        petition::{IdNumber, Phone},
        IntakeError,
    },
    store::petitions::{self, ListFilter, PetitionLine},
};

/// Filters of the list. Every filter is optional; results are newest first.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub status: Option<String>,
    /// Registering or handling unit.
    pub unit: Option<String>,
    pub field: Option<String>,
    pub channel: Option<String>,
    pub township: Option<String>,
    pub category: Option<String>,
    /// 收到日期 from (inclusive)
    pub received_from: Option<NaiveDate>,
    /// 收到日期 to (inclusive)
    pub received_to: Option<NaiveDate>,
    /// Petitioner's identity number (looked up through the blind index, never stored in clear).
    pub id_number: Option<String>,
    /// Petitioner's phone (blind index).
    pub phone: Option<String>,
    /// Why a search by identity number or phone is made (查询事由): required of supervisors
    /// (督查); registering clerks search for registration and repeat checks. Audited.
    pub reason: Option<String>,
    /// Text in summary, facts or requests.
    pub q: Option<String>,
    /// Keyset cursor: the `next_cursor` of the previous page.
    pub after: Option<Uuid>,
    /// 1–200, default 50
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PetitionSummary {
    pub id: Uuid,
    pub case_number: String,
    pub channel: String,
    pub status: String,
    pub received_on: NaiveDate,
    pub registered_at: DateTime<Utc>,
    pub registering_unit: String,
    /// 登记单位名称
    pub registering_unit_name: String,
    pub handling_unit: Option<String>,
    /// 办理单位名称
    pub handling_unit_name: Option<String>,
    pub category: Option<String>,
    pub field: Option<String>,
    pub township: Option<String>,
    pub summary: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PetitionPage {
    pub items: Vec<PetitionSummary>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_cursor: Option<Uuid>,
}

impl PetitionSummary {
    fn of(line: PetitionLine, directory: &Directory, actor: &Actor) -> PetitionSummary {
        let summary = if may_read_text(actor, line.category.as_deref()) {
            line.summary
        } else {
            ACCUSATION_WITHHELD.to_string()
        };
        PetitionSummary {
            registering_unit_name: directory.name_of(&line.registering_unit),
            handling_unit_name: directory.name_of_opt(line.handling_unit.as_deref()),
            id: line.id,
            case_number: line.case_number,
            channel: line.channel,
            status: line.status,
            received_on: line.received_on,
            registered_at: line.registered_at,
            registering_unit: line.registering_unit,
            handling_unit: line.handling_unit,
            category: line.category,
            field: line.field,
            township: line.township,
            summary,
        }
    }
}

/// List and search petitions (信访件查询), scoped to the caller's unit and rights, newest first,
/// with keyset pagination (`after` = the previous page's `next_cursor`).
#[utoipa::path(
    get, path = "/api/v1/petitions", tag = "登记",
    params(ListQuery),
    responses((status = 200, body = PetitionPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(name = "list_petitions", skip_all, fields(user = %actor.user_id, unit = %actor.unit))]
pub async fn list_petitions(
    actor: Actor,
    query: xinfang_platform::http::Query<ListQuery>,
    pool: web::Data<PgPool>,
    state: web::Data<IntakeState>,
    directory: web::Data<Directory>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let q = query.into_inner();
    // A search by identity number or phone confirms whether a person has petitioned: only the
    // roles that need it, a supervisor with a reason, and every such search audited.
    let by_identity = q.id_number.is_some() || q.phone.is_some();
    let reason = q.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if by_identity {
        actor.require(Permission::SearchByIdentity)?;
        let registering_clerk = actor.roles.contains(&Role::Clerk);
        if !registering_clerk && reason.is_none() {
            return Err(ApiError::validation(
                "reason",
                "按身份证号或电话查询须填写查询事由（reason）",
            ));
        }
        if reason.is_some_and(|r| r.chars().count() > 200) {
            return Err(ApiError::validation("reason", "查询事由不能超过 200 个字"));
        }
    }
    if let Some(unit) = &q.unit {
        directory.require_known("unit", unit)?;
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(IntakeError::PageSizeOutOfRange.into());
    }
    let id_number_bidx = match &q.id_number {
        Some(s) => {
            let id_number = IdNumber::parse("id_number", s).map_err(IntakeError::from)?;
            Some(
                state
                    .vault
                    .blind_index("id_number", id_number.pii().expose()),
            )
        }
        None => None,
    };
    let phone_bidx = match &q.phone {
        Some(s) => {
            let phone = Phone::parse("phone", s).map_err(IntakeError::from)?;
            Some(state.vault.blind_index("phone", phone.pii().expose()))
        }
        None => None,
    };
    let (q_had_id, q_had_phone) = (q.id_number.is_some(), q.phone.is_some());
    let reason_kept = reason.map(str::to_string);
    let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if text.is_some_and(|t| t.chars().count() > 100) {
        return Err(IntakeError::SearchTextTooLong.into());
    }
    let filter = ListFilter {
        text: text.map(str::to_string),
        status: q.status,
        unit: q.unit,
        field: q.field,
        channel: q.channel,
        township: q.township,
        category: q.category,
        received_from: q.received_from,
        received_to: q.received_to,
        id_number_bidx,
        phone_bidx,
        after: q.after,
        limit,
    };
    let items: Vec<PetitionSummary> = petitions::list(pool.get_ref(), &actor, &filter)
        .await?
        .into_iter()
        .map(|line| PetitionSummary::of(line, &directory, &actor))
        .collect();
    if by_identity {
        let mut by = Vec::new();
        if q_had_id {
            by.push("id_number");
        }
        if q_had_phone {
            by.push("phone");
        }
        let mut uow = UnitOfWork::begin(&pool, &waker).await?;
        uow.audit(AuditEntry::by(
            &actor,
            "petition.search_by_identity",
            None,
            json!({ "by": by, "reason": reason_kept, "results": items.len() }),
        ))
        .await?;
        uow.commit().await?;
    }
    let next_cursor = (items.len() as i64 == limit)
        .then(|| items.last().map(|i| i.id))
        .flatten();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(PetitionPage { items, next_cursor }))
}
