//! Printed documents (文书 PDF), stored with the case once printed.

use sqlx::PgPool;
use uuid::Uuid;

/// The stored PDF of a notice, if printed.
pub async fn get(pool: &PgPool, notice_id: Uuid) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("SELECT pdf FROM documents WHERE notice_id = $1")
        .bind(notice_id)
        .fetch_optional(pool)
        .await
}

/// Store a printed PDF (the same notice always prints the same bytes, so a second store of it
/// changes nothing).
pub async fn store(
    pool: &PgPool,
    notice_id: Uuid,
    case_id: Uuid,
    sha256: &str,
    pdf: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO documents (notice_id, case_id, sha256, pdf) VALUES ($1, $2, $3, $4)
         ON CONFLICT (notice_id) DO NOTHING",
    )
    .bind(notice_id)
    .bind(case_id)
    .bind(sha256)
    .bind(pdf)
    .execute(pool)
    .await?;
    Ok(())
}
