//! The archive's pages (信访档案): search the archived cases by case number or by petitioner
//! (identity number or phone, sent in a form body and never in a URL), a package with its manifest
//! (every file with its size and SHA-256, each downloadable), the legal hold (法律保全) placed or
//! lifted with a reason, and destruction (销毁) requested after the retention period and approved
//! by a second person at the bureau. Everything goes through notification's archive API with the
//! member of staff's own token, so the role and unit checks and the audit trail are notification's.
//! Archivists (档案管理员) and administrators.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;
use xinfang_messaging::OutboxWaker;
use xinfang_platform::ApiError;

use super::{
    client::{Services, Svc},
    intake::{by_field, Answer, FieldError},
    nav::{staff_ctx, ARCHIVE_ROLES},
    security::see_other,
    staff::{csrf_ok_for, display_name_of, field, form_pairs, Staff},
    view::{download, error_page, render},
};
use crate::api::state::AppState;

type Data<T> = web::Data<T>;

/// The archive's routes (under `/console`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/archive", web::get().to(search_form))
        .route("/archive", web::post().to(search))
        .route("/archive/{case_id}", web::get().to(package))
        .route("/archive/{case_id}", web::post().to(act))
        .route("/archive/{case_id}/files/{path:.*}", web::get().to(file));
}

macro_rules! archivist_or_page {
    ($req:expr, $pool:expr, $waker:expr, $state:expr) => {
        $crate::pages::nav::staff_or_page!(
            $req,
            $pool,
            $waker,
            $state,
            $crate::pages::nav::ARCHIVE_ROLES,
            "信访档案"
        )
    };
}

/// Errors by field (`fallback`: the error the service did not tie to a field).
fn errors_by_field(a: &Answer, fallback: &str) -> std::collections::BTreeMap<String, String> {
    let mut errors = a.field_errors();
    if errors.is_empty() {
        errors.push(FieldError {
            field: fallback.into(),
            message: a.message(),
        });
    }
    by_field(&errors)
}

/// `GET /console/archive`: the search form.
pub async fn search_form(
    req: HttpRequest,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = archivist_or_page!(req, pool, waker, state);
    Ok(search_page(
        &staff,
        &json!({}),
        None,
        &Default::default(),
        StatusCode::OK,
    ))
}

/// `POST /console/archive`: search by case number, identity number or phone.
#[tracing::instrument(skip_all)]
pub async fn search(
    req: HttpRequest,
    body: web::Bytes,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
    services: Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = archivist_or_page!(req, pool, waker, state);
    let pairs = form_pairs(&body);
    let typed = json!({
        "case_number": field(&pairs, "case_number").trim(),
        "id_number": field(&pairs, "id_number").trim(),
        "phone": field(&pairs, "phone").trim(),
    });
    if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        let errors = [("form".to_string(), "页面已过期，请重新查询".to_string())].into();
        return Ok(search_page(
            &staff,
            &typed,
            None,
            &errors,
            StatusCode::FORBIDDEN,
        ));
    }
    let mut query = serde_json::Map::new();
    for k in ["case_number", "id_number", "phone"] {
        if let Some(v) = typed[k].as_str().filter(|v| !v.is_empty()) {
            query.insert(k.into(), json!(v));
        }
    }
    if query.is_empty() {
        let errors = [(
            "case_number".to_string(),
            "请填写信访件编号，或信访人的身份证号、联系电话之一".to_string(),
        )]
        .into();
        return Ok(search_page(
            &staff,
            &typed,
            None,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    query.insert("limit".into(), json!(200));
    let a = services
        .post(
            Svc::Notification,
            "archive/search",
            &staff.access_token,
            None,
            &Value::Object(query),
        )
        .await;
    if !a.ok() {
        let errors = errors_by_field(&a, "form");
        return Ok(search_page(&staff, &typed, None, &errors, a.status_code()));
    }
    let mut items = a.body["items"].clone();
    let names: std::collections::HashMap<String, String> =
        crate::store::units::list(&pool, &Default::default())
            .await?
            .into_iter()
            .map(|u| (u.code, u.name))
            .collect();
    if let Some(list) = items.as_array_mut() {
        for i in list {
            let code = i["unit"].as_str().unwrap_or("").to_string();
            i["unit_name"] = json!(names.get(&code).cloned().unwrap_or(code));
        }
    }
    // What was typed of a person is not shown again (it stays out of the page once answered).
    let shown = json!({ "case_number": typed["case_number"] });
    Ok(search_page(
        &staff,
        &shown,
        Some(items),
        &Default::default(),
        StatusCode::OK,
    ))
}

fn search_page(
    staff: &Staff,
    form: &Value,
    items: Option<Value>,
    errors: &std::collections::BTreeMap<String, String>,
    status: StatusCode,
) -> HttpResponse {
    let mut res = render(
        status,
        "archive_search.html",
        minijinja::context! {
            title => "信访档案",
            staff => staff_ctx(staff),
            form => form,
            items => items,
            error_of => errors,
        },
    );
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    res
}

/// `GET /console/archive/{case_id}`: the package.
pub async fn package(
    req: HttpRequest,
    path: web::Path<String>,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
    services: Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = archivist_or_page!(req, pool, waker, state);
    let Ok(case_id) = Uuid::parse_str(path.trim()) else {
        return Ok(not_found());
    };
    let done = req
        .query_string()
        .strip_prefix("done=")
        .map(|d| match d {
            "hold" => "已加入法律保全",
            "release" => "已解除法律保全",
            "request" => "已提交销毁申请，待县信访局另一名档案管理员或管理员批准",
            "approve" => "已批准销毁：档案文件已销毁，销毁记录保留",
            _ => "",
        })
        .filter(|d| !d.is_empty());
    package_page(
        &pool,
        &staff,
        &services,
        case_id,
        done,
        &Default::default(),
        &json!({}),
        StatusCode::OK,
    )
    .await
}

fn not_found() -> HttpResponse {
    error_page(StatusCode::NOT_FOUND, "未找到该档案", "/console/archive")
}

#[allow(clippy::too_many_arguments)]
async fn package_page(
    pool: &PgPool,
    staff: &Staff,
    services: &Services,
    case_id: Uuid,
    done: Option<&str>,
    errors: &std::collections::BTreeMap<String, String>,
    typed: &Value,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let a = services
        .get(
            Svc::Notification,
            &format!("archive/{case_id}"),
            Some(&staff.access_token),
        )
        .await;
    if a.status == 404 {
        return Ok(not_found());
    }
    if !a.ok() {
        return Ok(error_page(
            a.status_code(),
            &a.message(),
            "/console/archive",
        ));
    }
    let mut p = a.body;
    // Organs and people by name (单位名称、人员姓名), not by code or account id.
    let mut conn = pool.acquire().await?;
    if let Some(code) = p["unit"].as_str().map(str::to_string) {
        if let Some(u) = crate::store::units::get(&mut conn, &code).await? {
            p["unit_name"] = json!(u.name);
        }
    }
    if let Some(h) = p.get_mut("hold").filter(|h| !h.is_null()) {
        let name = display_name_of(&mut conn, h["placed_by"].as_str()).await?;
        h["placed_by_name"] = json!(name);
    }
    if let Some(ds) = p["destructions"].as_array_mut() {
        for d in ds {
            let requested = display_name_of(&mut conn, d["requested_by"].as_str()).await?;
            let approved = display_name_of(&mut conn, d["approved_by"].as_str()).await?;
            d["requested_by_name"] = json!(requested);
            d["approved_by_name"] = json!(approved);
        }
    }
    // Sizes for people (字节 → KB).
    if let Some(files) = p["manifest"]["files"].as_array_mut() {
        for f in files {
            let size = f["size_bytes"].as_u64().unwrap_or(0);
            f["size"] = json!(human_size(size));
        }
    }
    let today = xinfang_platform::time::today_in_china();
    let expired = p["retain_until"]
        .as_str()
        .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
        .is_some_and(|d| d <= today);
    let pending = p["destructions"]
        .as_array()
        .is_some_and(|ds| ds.iter().any(|d| d["status"] == "pending"));
    Ok(render(
        status,
        "archive_package.html",
        minijinja::context! {
            title => format!("信访档案 {}", p["case_number"].as_str().unwrap_or("")),
            staff => staff_ctx(staff),
            p => p,
            done => done,
            error_of => errors,
            typed => typed,
            expired => expired,
            pending => pending,
            may_approve => staff.has_any(ARCHIVE_ROLES),
        },
    ))
}

fn human_size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} 字节")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// `POST /console/archive/{case_id}`: `action` = `hold`, `release`, `request` (destruction) or
/// `approve` (with `request_id`).
#[tracing::instrument(skip_all)]
pub async fn act(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
    services: Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = archivist_or_page!(req, pool, waker, state);
    let Ok(case_id) = Uuid::parse_str(path.trim()) else {
        return Ok(not_found());
    };
    let pairs = form_pairs(&body);
    let action = field(&pairs, "action").to_string();
    let reason = field(&pairs, "reason").trim().to_string();
    let typed = json!({ "action": action, "reason": reason, "comment": field(&pairs, "comment") });
    // Errors go beside the form of the action (`hold-reason`, `request-reason`, …).
    let on = |f: &str| format!("{action}-{f}");
    if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        let errors = [(on("reason"), "页面已过期，请核对后重新提交".to_string())].into();
        return package_page(
            &pool,
            &staff,
            &services,
            case_id,
            None,
            &errors,
            &typed,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let (path, body) = match action.as_str() {
        "hold" => (
            format!("archive/{case_id}/hold"),
            json!({ "reason": reason }),
        ),
        "release" => (
            format!("archive/{case_id}/hold/release"),
            json!({ "reason": reason }),
        ),
        "request" => (
            format!("archive/{case_id}/destruction-requests"),
            json!({ "reason": reason }),
        ),
        "approve" => {
            let Ok(request_id) = Uuid::parse_str(field(&pairs, "request_id")) else {
                return Ok(not_found());
            };
            let comment = field(&pairs, "comment").trim();
            (
                format!("archive/destruction-requests/{request_id}/approve"),
                json!({ "comment": (!comment.is_empty()).then_some(comment) }),
            )
        }
        _ => {
            return Ok(error_page(
                StatusCode::BAD_REQUEST,
                "未知操作",
                &format!("/console/archive/{case_id}"),
            ))
        }
    };
    if action != "approve" && reason.is_empty() {
        let errors = [(on("reason"), "请填写事由".to_string())].into();
        return package_page(
            &pool,
            &staff,
            &services,
            case_id,
            None,
            &errors,
            &typed,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let a = services
        .post(Svc::Notification, &path, &staff.access_token, None, &body)
        .await;
    if a.ok() {
        return Ok(see_other(&format!("/console/archive/{case_id}?done={action}")).finish());
    }
    let errors = errors_by_field(&a, "reason")
        .into_iter()
        .map(|(f, m)| (on(&f), m))
        .collect();
    package_page(
        &pool,
        &staff,
        &services,
        case_id,
        None,
        &errors,
        &typed,
        a.status_code(),
    )
    .await
}

/// `GET /console/archive/{case_id}/files/{path}`: one file of the package, as notification keeps
/// it (audited there), downloaded.
pub async fn file(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
    services: Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = archivist_or_page!(req, pool, waker, state);
    let (case_id, file_path) = path.into_inner();
    let Ok(case_id) = Uuid::parse_str(case_id.trim()) else {
        return Ok(not_found());
    };
    let safe = !file_path.is_empty()
        && file_path
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
        && file_path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    if !safe {
        return Ok(not_found());
    }
    let answer = services
        .notification
        .get_bytes(
            &format!("archive/{case_id}/files/{file_path}"),
            &staff.access_token,
        )
        .await;
    let name = file_path.rsplit('/').next().unwrap_or("file");
    Ok(download(
        answer,
        name,
        &format!("/console/archive/{case_id}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_for_people() {
        assert_eq!(human_size(512), "512 字节");
        assert_eq!(human_size(2048), "2.0 KB");
        assert_eq!(human_size(3 * 1024 * 1024), "3.0 MB");
    }

    #[test]
    fn errors_go_beside_their_field_or_above() {
        let a = Answer {
            status: 409,
            body: json!({"code": "retention_not_expired", "message": "保管期限未满"}),
        };
        assert_eq!(errors_by_field(&a, "reason")["reason"], "保管期限未满");
        let v = Answer {
            status: 422,
            body: json!({"message": "m", "details": {"field": "comment", "message": "过长"}}),
        };
        assert_eq!(errors_by_field(&v, "reason")["comment"], "过长");
    }
}
