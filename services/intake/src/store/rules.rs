//! Routing rule sets (分类规则) as versions: every published set is kept.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use crate::domain::{routing::RoutingRule, IntakeError};

/// A stored version of the rules.
pub struct RuleSetRecord {
    pub version: i64,
    pub rules: Vec<RoutingRule>,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RuleSetRow {
    version: i64,
    rules: Value,
    note: Option<String>,
    created_by: String,
    created_at: DateTime<Utc>,
}

/// The newest rule set, as its version and rules (version 0 and none before any is published).
pub async fn current(conn: &mut PgConnection) -> Result<(i64, Vec<RoutingRule>), IntakeError> {
    let row =
        sqlx::query!("SELECT version, rules FROM routing_rule_sets ORDER BY version DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        None => Ok((0, Vec::new())),
        Some(r) => Ok((r.version, serde_json::from_value(r.rules)?)),
    }
}

/// The version `version`, or the newest one.
pub async fn load(pool: &PgPool, version: Option<i64>) -> Result<RuleSetRecord, IntakeError> {
    let r = sqlx::query_as!(
        RuleSetRow,
        "SELECT version, rules, note, created_by, created_at FROM routing_rule_sets
         WHERE ($1::bigint IS NULL OR version = $1) ORDER BY version DESC LIMIT 1",
        version
    )
    .fetch_optional(pool)
    .await?
    .ok_or(IntakeError::RuleVersionNotFound)?;
    Ok(RuleSetRecord {
        version: r.version,
        rules: serde_json::from_value(r.rules)?,
        note: r.note,
        created_by: r.created_by,
        created_at: r.created_at,
    })
}

/// Publish a new version; publishers are serialized so that versions follow one another.
pub async fn publish(
    conn: &mut PgConnection,
    rules: &[RoutingRule],
    note: Option<&str>,
    created_by: &str,
    created_at: DateTime<Utc>,
) -> Result<i64, IntakeError> {
    sqlx::query!("LOCK TABLE routing_rule_sets IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *conn)
        .await?;
    let version = sqlx::query_scalar!(
        "INSERT INTO routing_rule_sets (rules, note, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING version",
        serde_json::to_value(rules)?,
        note,
        created_by,
        created_at
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(version)
}
