//! Report jobs of the oversight pages (`report_jobs`, 报告生成任务), shared by the console's replicas.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// A report job as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportJobRow {
    pub id: Uuid,
    pub owner: Uuid,
    pub kind: String,
    pub period: String,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub state: String,
    pub step: i32,
    pub markdown: Option<String>,
    pub html: Option<String>,
    pub error: Option<String>,
}

/// Start a job; jobs older than `keep_secs` are deleted on the way.
pub async fn insert(
    pool: &PgPool,
    id: Uuid,
    owner: Uuid,
    kind: &str,
    period: &str,
    keep_secs: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM report_jobs WHERE started_at < now() - make_interval(secs => $1)")
        .bind(keep_secs as f64)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO report_jobs (id, owner, kind, period) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(owner)
        .bind(kind)
        .bind(period)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// The job `id` of `owner`, if it is still kept.
pub async fn get(
    pool: &PgPool,
    id: Uuid,
    owner: Uuid,
    keep_secs: i64,
) -> Result<Option<ReportJobRow>, sqlx::Error> {
    sqlx::query_as::<_, ReportJobRow>(
        "SELECT id, owner, kind, period, started_at, updated_at, state, step, markdown, html, error
         FROM report_jobs
         WHERE id = $1 AND owner = $2 AND started_at >= now() - make_interval(secs => $3)",
    )
    .bind(id)
    .bind(owner)
    .bind(keep_secs as f64)
    .fetch_optional(pool)
    .await
}

/// A running job reached `step`.
pub async fn set_step(pool: &PgPool, id: Uuid, step: i32) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE report_jobs SET step = $2, updated_at = now() WHERE id = $1 AND state = 'running'",
    )
    .bind(id)
    .bind(step)
    .execute(pool)
    .await
    .map(|_| ())
}

/// A running job finished with its report.
pub async fn set_done(
    pool: &PgPool,
    id: Uuid,
    markdown: &str,
    html: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE report_jobs SET state = 'done', markdown = $2, html = $3, updated_at = now()
         WHERE id = $1 AND state = 'running'",
    )
    .bind(id)
    .bind(markdown)
    .bind(html)
    .execute(pool)
    .await
    .map(|_| ())
}

/// A running job failed, with the message for the person.
pub async fn set_failed(pool: &PgPool, id: Uuid, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE report_jobs SET state = 'failed', error = $2, updated_at = now()
         WHERE id = $1 AND state = 'running'",
    )
    .bind(id)
    .bind(error)
    .execute(pool)
    .await
    .map(|_| ())
}
