//! SQL of recommendations (`recommendations`).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use xinfang_contracts::{events::RecommendationIssuedV1, Envelope};
use xinfang_messaging::UnitOfWork;

use crate::oversight::recommendations::domain::{RecommendationBoardRow, RecommendationKind};

/// A new recommendation.
#[derive(Debug)]
pub struct NewRecommendation<'a> {
    pub id: Uuid,
    pub kind: RecommendationKind,
    pub case_id: Option<Uuid>,
    pub unit: &'a str,
    pub content: &'a str,
    /// 发现的问题
    pub findings: &'a str,
    pub issued_by: &'a str,
    /// The unit of the person who issues it (提出建议的机关).
    pub issuing_unit: &'a str,
    pub issued_on: NaiveDate,
    pub feedback_due: NaiveDate,
    pub explanation: &'a [String],
}

/// Write a recommendation and `supervision.recommendation.issued.v1` (the 三项建议书 notification
/// sends the unit) in the caller's unit of work.
pub async fn insert(
    uow: &mut UnitOfWork<'_>,
    r: &NewRecommendation<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO recommendations (id, kind, case_id, unit_code, content, findings, issued_by, issued_on,
                                      feedback_due, explanation)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(r.id)
    .bind(r.kind.as_str())
    .bind(r.case_id)
    .bind(r.unit)
    .bind(r.content)
    .bind(r.findings)
    .bind(r.issued_by)
    .bind(r.issued_on)
    .bind(r.feedback_due)
    .bind(serde_json::json!(r.explanation))
    .execute(uow.conn())
    .await?;
    let event = RecommendationIssuedV1 {
        recommendation_id: r.id,
        petition_id: r.case_id,
        unit: r.unit.to_string(),
        kind: r.kind.as_str().to_string(),
        findings: r.findings.to_string(),
        content: r.content.to_string(),
        issued_on: r.issued_on,
        feedback_due: r.feedback_due,
        issuing_unit: Some(r.issuing_unit.to_string()),
    };
    uow.enqueue(&Envelope::new(&event, r.case_id, None, None))
        .await?;
    Ok(())
}

/// A recommendation as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct RecommendationRow {
    pub id: Uuid,
    pub kind: String,
    pub case_id: Option<Uuid>,
    pub unit_code: String,
    pub content: String,
    pub issued_on: NaiveDate,
    pub feedback_due: NaiveDate,
    pub explanation: serde_json::Value,
    pub adoption: Option<String>,
    pub feedback: Option<String>,
    pub feedback_at: Option<DateTime<Utc>>,
}

pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<RecommendationRow>, sqlx::Error> {
    sqlx::query_as!(
        RecommendationRow,
        "SELECT id, kind, case_id, unit_code, content, issued_on, feedback_due, explanation, adoption, feedback, feedback_at
         FROM recommendations WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await
}

/// Recommendations after `after` (by id), of one unit when given; only those past their feedback
/// deadline without feedback when `overdue`.
pub async fn list(
    pool: &PgPool,
    after: Uuid,
    unit: Option<&str>,
    overdue: bool,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<RecommendationRow>, sqlx::Error> {
    sqlx::query_as!(
        RecommendationRow,
        "SELECT id, kind, case_id, unit_code, content, issued_on, feedback_due, explanation, adoption, feedback, feedback_at
         FROM recommendations WHERE id > $1 AND ($2::text IS NULL OR unit_code = $2)
           AND (NOT $3 OR (adoption IS NULL AND feedback_due < $4)) ORDER BY id LIMIT $5",
        after,
        unit,
        overdue,
        today,
        limit
    )
    .fetch_all(pool)
    .await
}

/// What giving feedback needs to know, locked.
#[derive(Debug, sqlx::FromRow)]
pub struct FeedbackStateRow {
    pub unit_code: String,
    pub adoption: Option<String>,
    pub case_id: Option<Uuid>,
}

pub async fn lock_feedback_state(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<FeedbackStateRow>, sqlx::Error> {
    sqlx::query_as!(
        FeedbackStateRow,
        "SELECT unit_code, adoption, case_id FROM recommendations WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn record_feedback(
    conn: &mut PgConnection,
    id: Uuid,
    adoption: &str,
    feedback: &str,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE recommendations SET adoption = $2, feedback = $3, feedback_by = $4, feedback_at = now() WHERE id = $1",
        id,
        adoption,
        feedback,
        by
    )
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
struct KindTallyRow {
    kind: String,
    issued: i64,
    answered: i64,
    adopted: i64,
    partially: i64,
    not_adopted: i64,
    overdue: i64,
}

/// Per-kind figures, for recommendations issued in [from, to] when given.
pub async fn board_rows(
    pool: &PgPool,
    unit: Option<&str>,
    period: Option<(NaiveDate, NaiveDate)>,
    today: NaiveDate,
) -> Result<Vec<RecommendationBoardRow>, sqlx::Error> {
    let rows = sqlx::query_as!(
        KindTallyRow,
        "SELECT kind, count(*)::int8 AS \"issued!\", count(adoption)::int8 AS \"answered!\",
                count(*) FILTER (WHERE adoption = 'adopted')::int8 AS \"adopted!\",
                count(*) FILTER (WHERE adoption = 'partially_adopted')::int8 AS \"partially!\",
                count(*) FILTER (WHERE adoption = 'not_adopted')::int8 AS \"not_adopted!\",
                count(*) FILTER (WHERE adoption IS NULL AND feedback_due < $4)::int8 AS \"overdue!\"
         FROM recommendations WHERE ($1::text IS NULL OR unit_code = $1)
           AND ($2::date IS NULL OR issued_on BETWEEN $2 AND $3) GROUP BY kind",
        unit,
        period.map(|p| p.0),
        period.map(|p| p.1),
        today
    )
    .fetch_all(pool)
    .await?;
    Ok(RecommendationKind::ALL
        .into_iter()
        .map(|k| {
            let r = rows.iter().find(|r| r.kind == k.as_str());
            let figure = |get: fn(&KindTallyRow) -> i64| r.map(get).unwrap_or(0);
            RecommendationBoardRow {
                kind: k.as_str().into(),
                kind_label: k.label_zh().into(),
                issued: figure(|r| r.issued),
                answered: figure(|r| r.answered),
                adopted: figure(|r| r.adopted),
                partially_adopted: figure(|r| r.partially),
                not_adopted: figure(|r| r.not_adopted),
                overdue: figure(|r| r.overdue),
            }
        })
        .collect())
}
