//! SQL of administrative review's ladder in the statistics (`review_ladder_facts`), and the
//! on-time verdict of a closed handling clock.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use xinfang_contracts::{DomainEvent, Envelope};
use xinfang_messaging::{BatchWriter, Deferred, UnitOfWork};

/// One fact of the ladder (行政三级办理统计事实), waiting for the end of its batch.
pub struct LadderFact {
    event_id: Uuid,
    case_id: Uuid,
    unit: String,
    fact: &'static str,
    level: String,
    outcome: Option<String>,
    on: NaiveDate,
}

/// Record the ladder fact an event is (others: nothing). Idempotent per event. Inside a batch of
/// events the facts are written together at its end by [`LadderBatchWriter`] (no event handler
/// reads them).
pub async fn record(
    uow: &mut UnitOfWork<'_>,
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
    let fact = LadderFact {
        event_id: envelope.event_id,
        case_id,
        unit: unit.to_string(),
        fact,
        level: level.to_string(),
        outcome: outcome.map(str::to_string),
        on,
    };
    match uow.defer_or_keep(fact) {
        None => Ok(()),
        Some(fact) => insert_facts(uow.conn(), &[fact]).await,
    }
}

async fn insert_facts(conn: &mut PgConnection, facts: &[LadderFact]) -> Result<(), sqlx::Error> {
    if facts.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO review_ladder_facts (event_id, case_id, unit_code, fact, level, outcome, on_date)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[])
         ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(facts.iter().map(|f| f.event_id).collect::<Vec<_>>())
    .bind(facts.iter().map(|f| f.case_id).collect::<Vec<_>>())
    .bind(facts.iter().map(|f| f.unit.as_str()).collect::<Vec<_>>())
    .bind(facts.iter().map(|f| f.fact).collect::<Vec<_>>())
    .bind(facts.iter().map(|f| f.level.as_str()).collect::<Vec<_>>())
    .bind(facts.iter().map(|f| f.outcome.as_deref()).collect::<Vec<_>>())
    .bind(facts.iter().map(|f| f.on).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes the ladder facts of a batch of events with one statement at its end.
pub struct LadderBatchWriter;

#[async_trait::async_trait]
impl BatchWriter for LadderBatchWriter {
    async fn after_batch(
        &self,
        conn: &mut PgConnection,
        deferred: &mut Deferred,
    ) -> Result<(), sqlx::Error> {
        let facts = deferred.take::<LadderFact>();
        insert_facts(conn, &facts).await
    }
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
