//! SQL of mediation's read model (调解统计读模型) and its queries.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use xinfang_contracts::mediation::{
    AgreementNotPerformedV1, AgreementPerformedV1, DisputeRegisteredV1, DisputeResolvedV1,
    MediationAgreementReachedV1, MediationEndedV1, MediationReferredV1, MediatorAssignedV1,
};

use crate::mediation::domain::{Counts, LiveMediation, MediationDim};

pub async fn referred(conn: &mut PgConnection, e: &MediationReferredV1) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mediation_facts (mediation_id, petition_id, dispute_id, stage, body_id, body_unit, field, township, referred_on)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (mediation_id) DO NOTHING",
    )
    .bind(e.mediation_id)
    .bind(e.petition_id)
    .bind(e.dispute_id)
    .bind(&e.stage)
    .bind(e.body_id)
    .bind(&e.body_unit)
    .bind(&e.field)
    .bind(&e.township)
    .bind(e.referred_on)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mediator(conn: &mut PgConnection, e: &MediatorAssignedV1) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE mediation_facts SET mediator_id = $2 WHERE mediation_id = $1")
        .bind(e.mediation_id)
        .bind(e.mediator_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn agreed(
    conn: &mut PgConnection,
    e: &MediationAgreementReachedV1,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mediation_facts SET agreed_on = $2, mediator_id = $3, performance = coalesce(performance, 'pending')
         WHERE mediation_id = $1",
    )
    .bind(e.mediation_id)
    .bind(e.agreed_on)
    .bind(e.mediator_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn ended(conn: &mut PgConnection, e: &MediationEndedV1) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mediation_facts SET ended_on = $2, outcome = $3, mediator_id = coalesce($4, mediator_id)
         WHERE mediation_id = $1",
    )
    .bind(e.mediation_id)
    .bind(e.ended_on)
    .bind(&e.outcome)
    .bind(e.mediator_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn performance(
    conn: &mut PgConnection,
    mediation_id: Uuid,
    performed: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE mediation_facts SET performance = $2 WHERE mediation_id = $1")
        .bind(mediation_id)
        .bind(if performed {
            "performed"
        } else {
            "not_performed"
        })
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn performed(
    conn: &mut PgConnection,
    e: &AgreementPerformedV1,
) -> Result<(), sqlx::Error> {
    performance(conn, e.mediation_id, true).await
}

pub async fn not_performed(
    conn: &mut PgConnection,
    e: &AgreementNotPerformedV1,
) -> Result<(), sqlx::Error> {
    performance(conn, e.mediation_id, false).await
}

pub async fn dispute_registered(
    conn: &mut PgConnection,
    e: &DisputeRegisteredV1,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mediation_disputes (dispute_id, unit_code, township, field, registered_on)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dispute_id) DO NOTHING",
    )
    .bind(e.dispute_id)
    .bind(&e.unit)
    .bind(&e.township)
    .bind(&e.field)
    .bind(e.registered_on)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn dispute_resolved(
    conn: &mut PgConnection,
    e: &DisputeResolvedV1,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE mediation_disputes SET resolved_on = $2 WHERE dispute_id = $1")
        .bind(e.dispute_id)
        .bind(e.resolved_on)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
struct CountsRow {
    key: String,
    referrals: i64,
    ended: i64,
    agreements: i64,
    consent_refused: i64,
    days_to_agreement: i64,
    performed: i64,
    not_performed: i64,
}

/// The counts of mediations referred in `[from, to]`, in the scope (`None`: the county; else the
/// body's unit), grouped by `dim` (`None`: one total row with key "").
pub async fn counts(
    pool: &PgPool,
    unit: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
    dim: Option<MediationDim>,
) -> Result<Vec<(String, Counts)>, sqlx::Error> {
    let key = dim.map(MediationDim::column).unwrap_or("''");
    let sql = format!(
        "SELECT {key} AS key, count(*) AS referrals,
                count(*) FILTER (WHERE ended_on IS NOT NULL) AS ended,
                count(*) FILTER (WHERE outcome IN ('agreement', 'oral_agreement')) AS agreements,
                count(*) FILTER (WHERE outcome = 'consent_refused') AS consent_refused,
                coalesce(sum(agreed_on - referred_on) FILTER (WHERE outcome IN ('agreement', 'oral_agreement')), 0)::int8 AS days_to_agreement,
                count(*) FILTER (WHERE performance = 'performed') AS performed,
                count(*) FILTER (WHERE performance = 'not_performed') AS not_performed
         FROM mediation_facts
         WHERE referred_on BETWEEN $1 AND $2 AND ($3::text IS NULL OR body_unit = $3)
         GROUP BY 1 ORDER BY 1"
    );
    let rows = sqlx::query_as::<_, CountsRow>(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .bind(unit)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.key,
                Counts {
                    referrals: r.referrals,
                    ended: r.ended,
                    agreements: r.agreements,
                    consent_refused: r.consent_refused,
                    days_to_agreement: r.days_to_agreement,
                    performed: r.performed,
                    not_performed: r.not_performed,
                },
            )
        })
        .collect())
}

/// Disputes registered in `[from, to]` and those of them resolved before becoming petitions.
pub async fn disputes(
    pool: &PgPool,
    unit: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as::<_, (i64, i64)>(
        "SELECT count(*), count(*) FILTER (WHERE resolved_on IS NOT NULL) FROM mediation_disputes
         WHERE registered_on BETWEEN $1 AND $2 AND ($3::text IS NULL OR unit_code = $3)",
    )
    .bind(from)
    .bind(to)
    .bind(unit)
    .fetch_one(pool)
    .await
}

#[derive(Debug, sqlx::FromRow)]
struct LiveRow {
    mediation_id: Uuid,
    petition_id: Uuid,
    case_number: String,
    body_unit: String,
    referred_on: NaiveDate,
    handling_due: NaiveDate,
}

/// Live mediations of petitions whose live handling deadline falls on or before `horizon`, in the
/// scope (the body's unit or the handling unit).
pub async fn near_handling_due(
    pool: &PgPool,
    unit: Option<&str>,
    horizon: NaiveDate,
) -> Result<Vec<LiveMediation>, sqlx::Error> {
    let rows = sqlx::query_as::<_, LiveRow>(
        "SELECT m.mediation_id, m.petition_id AS petition_id, d.case_number, m.body_unit, m.referred_on,
                d.due_date AS handling_due
         FROM mediation_facts m
         JOIN deadlines d ON d.case_id = m.petition_id AND d.kind = 'handling' AND d.status IN ('open', 'paused')
         WHERE m.ended_on IS NULL AND m.petition_id IS NOT NULL AND d.due_date <= $1
           AND ($2::text IS NULL OR m.body_unit = $2 OR d.unit_code = $2)
         ORDER BY d.due_date, m.mediation_id LIMIT 500",
    )
    .bind(horizon)
    .bind(unit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| LiveMediation {
            mediation_id: r.mediation_id,
            petition_id: r.petition_id,
            case_number: r.case_number,
            body_unit: r.body_unit,
            referred_on: r.referred_on,
            handling_due: r.handling_due,
        })
        .collect())
}
