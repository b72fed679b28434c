//! SQL of mediations (调解): the referral with its parties, consent, mediator and exclusions, and
//! the end of a mediation with the mediator's load and record.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{
    mediator_choice::Exclusion,
    referral::{ConsentAnswer, Party, Stage, Status},
};

/// A mediation with its body, mediator and the matter's unit.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct MediationRow {
    pub id: Uuid,
    pub petition_id: Option<Uuid>,
    pub case_number: Option<String>,
    pub dispute_id: Option<Uuid>,
    pub stage: String,
    pub body_id: Uuid,
    pub body_name: String,
    /// 调解组织所属单位
    pub body_unit: String,
    pub mediator_id: Option<Uuid>,
    pub mediator_name: Option<String>,
    pub field: String,
    pub township: String,
    pub respondent_unit: Option<String>,
    pub summary: String,
    pub status: String,
    pub outcome: Option<String>,
    pub end_reason: Option<String>,
    pub referred_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    /// The unit that answers for the petition or registered the dispute.
    pub matter_unit: String,
}

impl MediationRow {
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Failed)
    }
}

const SELECT: &str =
    "SELECT md.id, md.petition_id, c.case_number, md.dispute_id, md.stage, md.body_id,
        b.name AS body_name, b.unit_code AS body_unit, md.mediator_id, mr.name AS mediator_name,
        md.field, md.township, md.respondent_unit, md.summary, md.status, md.outcome, md.end_reason,
        md.referred_on, md.ended_on,
        coalesce(c.handling_unit, c.registering_unit, d.unit_code, b.unit_code) AS matter_unit
     FROM mediations md
     JOIN bodies b ON b.id = md.body_id
     LEFT JOIN mediators mr ON mr.id = md.mediator_id
     LEFT JOIN cases c ON c.case_id = md.petition_id
     LEFT JOIN disputes d ON d.id = md.dispute_id";

/// A mediation, locked for the step about to change it.
pub async fn load_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<MediationRow>, sqlx::Error> {
    sqlx::query_as::<_, MediationRow>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE md.id = $1 FOR UPDATE OF md"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Option<MediationRow>, sqlx::Error> {
    sqlx::query_as::<_, MediationRow>(sqlx::AssertSqlSafe(format!("{SELECT} WHERE md.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The mediations of a petition, newest first (the history the case keeps).
pub async fn of_petition(
    conn: &mut PgConnection,
    petition_id: Uuid,
) -> Result<Vec<MediationRow>, sqlx::Error> {
    sqlx::query_as::<_, MediationRow>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE md.petition_id = $1 ORDER BY md.created_at DESC"
    )))
    .bind(petition_id)
    .fetch_all(conn)
    .await
}

/// A new referral.
pub struct NewMediation<'a> {
    pub id: Uuid,
    pub petition_id: Option<Uuid>,
    pub dispute_id: Option<Uuid>,
    pub stage: Stage,
    pub body_id: Uuid,
    pub field: &'a str,
    pub township: &'a str,
    pub respondent_unit: Option<&'a str>,
    pub summary: &'a str,
    pub referred_on: NaiveDate,
    pub referred_by: &'a str,
    pub parties: &'a [Party],
}

/// Insert the referral and its parties. `false` when the matter already has a live mediation.
pub async fn insert(conn: &mut PgConnection, m: &NewMediation<'_>) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO mediations (id, petition_id, dispute_id, stage, body_id, field, township,
             respondent_unit, summary, status, referred_on, referred_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'awaiting_consent', $10, $11)
         ON CONFLICT DO NOTHING",
    )
    .bind(m.id)
    .bind(m.petition_id)
    .bind(m.dispute_id)
    .bind(m.stage.as_str())
    .bind(m.body_id)
    .bind(m.field)
    .bind(m.township)
    .bind(m.respondent_unit)
    .bind(m.summary)
    .bind(m.referred_on)
    .bind(m.referred_by)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO parties (mediation_id, name, role)
         SELECT $1, t.name, t.role FROM unnest($2::text[], $3::text[]) AS t(name, role)",
    )
    .bind(m.id)
    .bind(m.parties.iter().map(|p| p.name.clone()).collect::<Vec<_>>())
    .bind(m.parties.iter().map(|p| p.role.clone()).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(true)
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct PartyRow {
    pub name: String,
    pub role: String,
    /// `pending` | `consented` | `refused`
    pub consent: String,
    pub method: Option<String>,
    pub consent_note: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub recorded_by: Option<String>,
}

pub async fn parties(conn: &mut PgConnection, id: Uuid) -> Result<Vec<PartyRow>, sqlx::Error> {
    sqlx::query_as::<_, PartyRow>(
        "SELECT name, role, consent, method, consent_note, answered_at, recorded_by
         FROM parties WHERE mediation_id = $1 ORDER BY role, name",
    )
    .bind(id)
    .fetch_all(conn)
    .await
}

pub async fn record_consent(
    conn: &mut PgConnection,
    id: Uuid,
    answer: &ConsentAnswer,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE parties SET consent = $3, method = $4, consent_note = $5, answered_at = now(), recorded_by = $6
         WHERE mediation_id = $1 AND name = $2",
    )
    .bind(id)
    .bind(&answer.party)
    .bind(if answer.consented { "consented" } else { "refused" })
    .bind(&answer.method)
    .bind(&answer.note)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: Status,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE mediations SET status = $2 WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Assign a mediator, moving the load from the one replaced.
pub async fn assign(
    conn: &mut PgConnection,
    id: Uuid,
    mediator_id: Uuid,
    replaced: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    if let Some(old) = replaced {
        sqlx::query(
            "UPDATE mediators SET open_mediations = greatest(open_mediations - 1, 0) WHERE id = $1",
        )
        .bind(old)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("UPDATE mediators SET open_mediations = open_mediations + 1 WHERE id = $1")
        .bind(mediator_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE mediations SET mediator_id = $2 WHERE id = $1")
        .bind(id)
        .bind(mediator_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The mediation has no mediator any more (the current one is excluded).
pub async fn unassign(
    conn: &mut PgConnection,
    id: Uuid,
    mediator_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mediators SET open_mediations = greatest(open_mediations - 1, 0) WHERE id = $1",
    )
    .bind(mediator_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE mediations SET mediator_id = NULL WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
struct ExclusionRow {
    mediator_id: Uuid,
    ground: String,
    party: Option<String>,
    reason: String,
}

pub async fn exclusions(conn: &mut PgConnection, id: Uuid) -> Result<Vec<Exclusion>, sqlx::Error> {
    let rows = sqlx::query_as::<_, ExclusionRow>(
        "SELECT mediator_id, ground, party, reason FROM mediator_exclusions WHERE mediation_id = $1",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Exclusion {
            mediator_id: r.mediator_id,
            ground: r.ground,
            party: r.party,
            reason: r.reason,
        })
        .collect())
}

pub async fn exclude(
    conn: &mut PgConnection,
    id: Uuid,
    x: &Exclusion,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mediator_exclusions (mediation_id, mediator_id, ground, party, reason, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (mediation_id, mediator_id) DO NOTHING",
    )
    .bind(id)
    .bind(x.mediator_id)
    .bind(&x.ground)
    .bind(&x.party)
    .bind(&x.reason)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// End a mediation: its status, outcome and reason; the mediator's load goes down and the
/// mediator's record in the field counts it; scheduled sessions are cancelled.
pub async fn end(
    conn: &mut PgConnection,
    m: &MediationRow,
    status: Status,
    outcome: &str,
    reason: &str,
    on: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mediations SET status = $2, outcome = $3, end_reason = $4, ended_on = $5 WHERE id = $1",
    )
    .bind(m.id)
    .bind(status.as_str())
    .bind(outcome)
    .bind(reason)
    .bind(on)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE sessions SET status = 'cancelled' WHERE mediation_id = $1 AND status = 'scheduled'",
    )
    .bind(m.id)
    .execute(&mut *conn)
    .await?;
    if let Some(mediator) = m.mediator_id {
        sqlx::query(
            "UPDATE mediators SET open_mediations = greatest(open_mediations - 1, 0) WHERE id = $1",
        )
        .bind(mediator)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO mediator_field_record (mediator_id, field, ended, agreed) VALUES ($1, $2, 1, $3)
             ON CONFLICT (mediator_id, field) DO UPDATE
             SET ended = mediator_field_record.ended + 1, agreed = mediator_field_record.agreed + EXCLUDED.agreed",
        )
        .bind(mediator)
        .bind(&m.field)
        .bind(i32::from(status == Status::Agreed))
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// What a list of mediations asks for (调解列表): the caller's unit (unless county-wide), only the
/// caller's own (assigned to the mediator whose 登录账号 is `account`, or still waiting for a
/// mediator at a body of the unit), only those not ended.
pub struct ListFilter<'a> {
    pub county_wide: bool,
    pub unit: &'a str,
    pub mine_account: Option<&'a str>,
    pub open_only: bool,
    pub limit: i64,
}

/// Mediations the filter allows, the latest referral first.
pub async fn list(
    conn: &mut PgConnection,
    f: &ListFilter<'_>,
) -> Result<Vec<MediationRow>, sqlx::Error> {
    sqlx::query_as::<_, MediationRow>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE ($1 OR b.unit_code = $2
                OR coalesce(c.handling_unit, c.registering_unit, d.unit_code, b.unit_code) = $2)
            AND ($3::text IS NULL OR mr.account = $3 OR (md.mediator_id IS NULL AND b.unit_code = $2))
            AND (NOT $4 OR md.ended_on IS NULL)
         ORDER BY md.referred_on DESC, md.id DESC LIMIT $5"
    )))
    .bind(f.county_wide)
    .bind(f.unit)
    .bind(f.mine_account)
    .bind(f.open_only)
    .bind(f.limit)
    .fetch_all(conn)
    .await
}
