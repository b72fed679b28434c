//! Printed documents (文书 PDF): `GET /api/v1/documents/{id}.pdf` for staff; the self-service
//! serves the petitioner's through [`pdf_of`] too. A document is printed once and stored with the
//! case; the same notice always prints the same bytes.

use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;
use xinfang_platform::{error::ErrorBody, Actor, ApiError, Permission};

use super::state::AppState;
use crate::domain::{Notice, NotificationError};
use crate::store;

/// The notice's PDF: the stored one, or printed now (off the async threads) and stored.
pub async fn pdf_of(pool: &PgPool, state: &AppState, notice: &Notice) -> Result<Vec<u8>, ApiError> {
    if let Some(pdf) = store::documents::get(pool, notice.id).await? {
        return Ok(pdf);
    }
    let pdf = state
        .fonts
        .render_blocking(notice.document())
        .await
        .map_err(ApiError::internal)?;
    let sha = hex::encode(Sha256::digest(&pdf));
    store::documents::store(pool, notice.id, notice.case_id, &sha, &pdf).await?;
    Ok(pdf)
}

/// The PDF as an HTTP answer (inline, never cached by intermediaries).
pub fn pdf_response(notice: &Notice, pdf: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Content-Disposition",
            format!(
                "inline; filename=\"{}-{}.pdf\"",
                notice.case_number, notice.kind
            ),
        ))
        .body(pdf)
}

/// A document as a PDF (文书下载), for the unit that owns the case, county-wide staff, and the
/// unit it is addressed to.
#[utoipa::path(
    get, path = "/api/v1/documents/{id}.pdf", tag = "文书",
    params(("id" = Uuid, Path, description = "The notice's id")),
    responses((status = 200, content_type = "application/pdf", description = "A4 PDF"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(notice_id = %path))]
pub async fn download(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let notice = store::notices::get(&pool, path.into_inner())
        .await?
        .filter(|n| {
            actor.can_see_unit(&n.unit_code)
                || n.recipient_unit.as_deref() == Some(actor.unit.as_str())
        })
        .ok_or(NotificationError::NotFound)?;
    let pdf = pdf_of(&pool, &state, &notice).await?;
    Ok(pdf_response(&notice, pdf))
}
