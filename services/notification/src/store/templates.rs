//! Template versions (文书模板版本): version 1 of each is built in; later versions are rows.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::template::TemplateText;

/// One stored version of a template.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateRow {
    pub code: String,
    pub version: i32,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// The newest stored version of every template that has one.
pub async fn current(
    conn: &mut PgConnection,
) -> Result<HashMap<String, (i32, TemplateText)>, sqlx::Error> {
    let rows = sqlx::query_as::<_, TemplateRow>(
        "SELECT DISTINCT ON (code) code, version, title, body, created_at, created_by
         FROM templates ORDER BY code, version DESC",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.code,
                (
                    r.version,
                    TemplateText {
                        title: r.title,
                        body: r.body,
                    },
                ),
            )
        })
        .collect())
}

/// Every stored version of one template, newest first.
pub async fn versions(pool: &PgPool, code: &str) -> Result<Vec<TemplateRow>, sqlx::Error> {
    sqlx::query_as::<_, TemplateRow>(
        "SELECT code, version, title, body, created_at, created_by FROM templates
         WHERE code = $1 ORDER BY version DESC",
    )
    .bind(code)
    .fetch_all(pool)
    .await
}

/// Publish the next version (the first published is 2: version 1 is built in).
pub async fn publish(
    conn: &mut PgConnection,
    code: &str,
    text: &TemplateText,
    by: &str,
) -> Result<TemplateRow, sqlx::Error> {
    // One publisher at a time per template: the version numbers stay dense.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('template:' || $1))")
        .bind(code)
        .execute(&mut *conn)
        .await?;
    sqlx::query_as::<_, TemplateRow>(
        "INSERT INTO templates (code, version, title, body, created_by)
         SELECT $1, COALESCE(MAX(version), 1) + 1, $2, $3, $4 FROM templates WHERE code = $1
         RETURNING code, version, title, body, created_at, created_by",
    )
    .bind(code)
    .bind(&text.title)
    .bind(&text.body)
    .bind(by)
    .fetch_one(conn)
    .await
}
