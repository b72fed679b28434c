//! SQL of campaigns (`campaigns`, `campaign_cases`).

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::statistics::domain::read_model::CLOSED_STATUSES;

/// A new campaign.
#[derive(Debug)]
pub struct NewCampaign<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub description: &'a str,
    pub start_on: NaiveDate,
    pub target_on: NaiveDate,
    pub created_by: &'a str,
}

pub async fn insert(conn: &mut PgConnection, c: &NewCampaign<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO campaigns (id, name, description, start_on, target_on, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
        c.id,
        c.name,
        c.description,
        c.start_on,
        c.target_on,
        c.created_by
    )
        .execute(conn)
        .await?;
    Ok(())
}

/// A campaign's name and target date.
#[derive(Debug, sqlx::FromRow)]
pub struct CampaignRow {
    pub name: String,
    pub target_on: NaiveDate,
}

pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<CampaignRow>, sqlx::Error> {
    sqlx::query_as!(
        CampaignRow,
        "SELECT name, target_on FROM campaigns WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await
}

/// Which of `case_ids` the read model knows.
pub async fn known_cases(pool: &PgPool, case_ids: &[Uuid]) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT case_id FROM case_facts WHERE case_id = ANY($1)",
        case_ids
    )
    .fetch_all(pool)
    .await
}

/// The cases with these case numbers (案件编号 → case id).
pub async fn cases_by_number(
    pool: &PgPool,
    numbers: &[String],
) -> Result<Vec<(String, Uuid)>, sqlx::Error> {
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as::<_, (String, Uuid)>(
        "SELECT case_number, case_id FROM case_facts WHERE case_number = ANY($1)",
    )
    .bind(numbers)
    .fetch_all(pool)
    .await
}

/// Add cases to a campaign with one statement; returns how many were new to it.
pub async fn add_cases(
    conn: &mut PgConnection,
    id: Uuid,
    case_ids: &[Uuid],
    added_by: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "INSERT INTO campaign_cases (campaign_id, case_id, added_by) SELECT $1, c, $3 FROM UNNEST($2::uuid[]) c ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(case_ids)
    .bind(added_by)
    .execute(conn)
    .await?
    .rows_affected())
}

/// One unit's cases in a campaign as of a day.
#[derive(Debug, sqlx::FromRow)]
pub struct UnitProgressRow {
    pub unit: String,
    pub total: i64,
    pub closed: i64,
    pub overdue: i64,
}

/// The progress of a campaign per unit as of `today`, restricted to `unit` when given.
pub async fn progress(
    pool: &PgPool,
    campaign_id: Uuid,
    target_on: NaiveDate,
    today: NaiveDate,
    unit: Option<&str>,
) -> Result<Vec<UnitProgressRow>, sqlx::Error> {
    sqlx::query_as!(
        UnitProgressRow,
        "SELECT f.unit_code AS unit, count(*)::int8 AS \"total!\",
                count(*) FILTER (WHERE f.status = ANY($2))::int8 AS \"closed!\",
                count(*) FILTER (WHERE NOT (f.status = ANY($2)) AND ($3::date > $4::date OR EXISTS (
                    SELECT 1 FROM deadlines d WHERE d.case_id = f.case_id AND d.status = 'open' AND d.due_date < $3::date)))::int8 AS \"overdue!\"
         FROM campaign_cases cc JOIN case_facts f ON f.case_id = cc.case_id
         WHERE cc.campaign_id = $1 AND ($5::text IS NULL OR f.unit_code = $5)
         GROUP BY f.unit_code ORDER BY f.unit_code",
        campaign_id,
        &CLOSED_STATUSES.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        today,
        target_on,
        unit
    )
    .fetch_all(pool)
    .await
}

/// A campaign with its case counts (as a unit sees it when `unit` is given).
#[derive(Debug, sqlx::FromRow)]
pub struct CampaignSummaryRow {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub start_on: NaiveDate,
    pub target_on: NaiveDate,
    pub total: i64,
    pub closed: i64,
}

/// Campaigns after `after` in id (creation) order, with their case counts.
pub async fn list(
    pool: &PgPool,
    after: Uuid,
    limit: i64,
    unit: Option<&str>,
) -> Result<Vec<CampaignSummaryRow>, sqlx::Error> {
    sqlx::query_as::<_, CampaignSummaryRow>(
        "SELECT c.id, c.name, c.description, c.start_on, c.target_on,
                count(f.case_id)::int8 AS total,
                count(f.case_id) FILTER (WHERE f.status = ANY($4))::int8 AS closed
         FROM campaigns c
         LEFT JOIN campaign_cases cc ON cc.campaign_id = c.id
         LEFT JOIN case_facts f ON f.case_id = cc.case_id AND ($3::text IS NULL OR f.unit_code = $3)
         WHERE c.id > $1
         GROUP BY c.id ORDER BY c.id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .bind(unit)
    .bind(
        CLOSED_STATUSES
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
    )
    .fetch_all(pool)
    .await
}
