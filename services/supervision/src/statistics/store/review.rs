//! SQL of administrative review's ladder in the statistics (`review_ladder_facts`), and the
//! on-time verdict of a closed handling clock.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use xinfang_contracts::{DomainEvent, Envelope};

/// Record the ladder fact an event is (others: nothing). Idempotent per event.
pub async fn record(
    conn: &mut PgConnection,
    envelope: &Envelope,
    event: &DomainEvent,
) -> Result<(), sqlx::Error> {
    let (case_id, unit, fact, level, outcome, on) = match event {
        DomainEvent::OpinionIssued(e) => (
            e.petition_id,
            e.issuing_unit.as_str(),
            "opinion_issued",
            e.level.as_str(),
            Some(e.outcome.as_str()),
            e.issued_on,
        ),
        DomainEvent::OpinionDelivered(e) => (
            e.petition_id,
            e.issuing_unit.as_str(),
            "opinion_delivered",
            e.level.as_str(),
            None,
            e.delivered_on,
        ),
        DomainEvent::ReviewRequested(e) => (
            e.petition_id,
            e.organ_unit.as_str(),
            "requested",
            e.level.as_str(),
            None,
            e.requested_on,
        ),
        DomainEvent::ReviewRefused(e) => (
            e.petition_id,
            "",
            "refused",
            e.level.as_str(),
            None,
            e.requested_on,
        ),
        // The final opinion's issuing organ and outcome (终结所依据的意见), when carried.
        DomainEvent::CaseFinalized(e) => (
            e.petition_id,
            e.final_opinion
                .as_ref()
                .map_or("", |o| o.issuing_unit.as_str()),
            "finalized",
            e.level.as_str(),
            e.final_opinion.as_ref().map(|o| o.outcome.as_str()),
            e.concluded_on,
        ),
        _ => return Ok(()),
    };
    sqlx::query(
        "INSERT INTO review_ladder_facts (event_id, case_id, unit_code, fact, level, outcome, on_date)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(envelope.event_id)
    .bind(case_id)
    .bind(unit)
    .bind(fact)
    .bind(level)
    .bind(outcome)
    .bind(on)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the case's handling clock (办理期限, or the simple track's) was met in time; None when
/// there was none or it is still live.
pub async fn handling_on_time(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Option<bool>, sqlx::Error> {
    let late: Option<Option<bool>> = sqlx::query_scalar(
        "SELECT closed_late FROM deadlines WHERE case_id = $1 AND kind IN ('handling', 'simple_opinion')
         AND status = 'met' ORDER BY closed_on DESC NULLS LAST LIMIT 1",
    )
    .bind(case_id)
    .fetch_optional(conn)
    .await?;
    Ok(late.flatten().map(|l| !l))
}

/// (fact, level, outcome, count) in a period, for the county or one unit (a unit counts the facts
/// of its own opinions and requests to it, and every fact of cases it took part in).
#[derive(Debug, sqlx::FromRow)]
pub struct FactCount {
    pub fact: String,
    pub level: String,
    pub outcome: Option<String>,
    pub n: i64,
}

pub async fn counts(
    pool: &PgPool,
    unit: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<FactCount>, sqlx::Error> {
    sqlx::query_as::<_, FactCount>(
        "SELECT fact, level, outcome, count(*) AS n FROM review_ladder_facts f
         WHERE on_date BETWEEN $2 AND $3
           AND ($1::text IS NULL OR f.unit_code = $1
                OR f.case_id IN (SELECT case_id FROM review_ladder_facts WHERE unit_code = $1))
         GROUP BY fact, level, outcome ORDER BY fact, level, outcome",
    )
    .bind(unit)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}
