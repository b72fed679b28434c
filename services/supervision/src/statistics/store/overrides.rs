//! SQL of legal-channel overrides in the statistics (偏离法定途径建议统计,
//! `legal_channel_overrides`).

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use xinfang_contracts::{DomainEvent, Envelope};

use crate::statistics::domain::indicators::Dim;

/// (month, unit, suggested channel, count).
#[derive(Debug, sqlx::FromRow)]
pub struct OverrideCount {
    pub month: String,
    pub unit_code: String,
    pub suggested_channel: String,
    pub n: i64,
}

/// Record an override (others: nothing). Idempotent per event.
pub async fn record(
    conn: &mut PgConnection,
    envelope: &Envelope,
    event: &DomainEvent,
) -> Result<(), sqlx::Error> {
    let DomainEvent::LegalChannelOverridden(e) = event else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO legal_channel_overrides
             (event_id, case_id, unit_code, suggested_channel, decision_kind, decided_on, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(envelope.event_id)
    .bind(e.petition_id)
    .bind(&e.decided_by_unit)
    .bind(&e.suggested_channel)
    .bind(&e.decision_kind)
    .bind(e.decided_on)
    .bind(&e.reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// Overrides decided in [from, to] (by the date of the decision), for the county or one unit,
/// per (month, unit, suggested channel).
pub async fn by_month_unit_channel(
    pool: &PgPool,
    unit: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<OverrideCount>, sqlx::Error> {
    sqlx::query_as::<_, OverrideCount>(
        "SELECT to_char(decided_on, 'YYYY-MM') AS month, unit_code, suggested_channel, count(*) AS n
         FROM legal_channel_overrides
         WHERE decided_on BETWEEN $2 AND $3 AND ($1::text IS NULL OR unit_code = $1)
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    .bind(unit)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

/// Overrides decided in [from, to] per group of `dim` ("" = the total when `dim` is None): by the
/// deciding unit, or by the case's township, field or channel (from its facts).
pub async fn counts_by(
    pool: &PgPool,
    unit: Option<&str>,
    dim: Option<Dim>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let key = match dim {
        None => "''",
        Some(Dim::Unit) => "o.unit_code",
        Some(Dim::Township) => "coalesce(c.township, '')",
        Some(Dim::Field) => "coalesce(c.field, '')",
        Some(Dim::Channel) => "coalesce(c.channel, '')",
    };
    sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(format!(
        "SELECT {key} AS key, count(*) AS n
         FROM legal_channel_overrides o LEFT JOIN case_facts c ON c.case_id = o.case_id
         WHERE o.decided_on BETWEEN $2 AND $3 AND ($1::text IS NULL OR o.unit_code = $1)
         GROUP BY 1"
    )))
    .bind(unit)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}
