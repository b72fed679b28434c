//! Decisions (程序性决定) as stored: the case they are made on, the decision record, hand-offs
//! (转送、交办) and their access grants, repeat links (重复信访认定).

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;
use xinfang_platform::Actor;

use crate::domain::{
    decision::{CaseFacts, PriorCase},
    petition::category_of,
    IntakeError,
};

use super::access;

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: Uuid,
    case_number: String,
    status: String,
    registering_unit: String,
    category: Option<String>,
    field: Option<String>,
    township: Option<String>,
    respondent_unit: Option<String>,
    received_on: NaiveDate,
    repeat_of: Option<Uuid>,
    correlation_id: Uuid,
    handling_unit: Option<String>,
}

/// The case `id`, locked for a decision on it; [`IntakeError::CaseHidden`] when the actor may not
/// see it.
pub async fn load_case(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<CaseFacts, IntakeError> {
    access::check(conn, actor, id, true).await?;
    let r: CaseRow = sqlx::query_as(
        "SELECT id, case_number, status, registering_unit, category, field, township, respondent_unit,
                received_on, repeat_of, correlation_id, handling_unit FROM petitions WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(CaseFacts {
        id: r.id,
        case_number: r.case_number,
        status: r.status,
        registering_unit: r.registering_unit,
        category: r.category.as_deref().and_then(category_of),
        field: r.field,
        township: r.township,
        respondent_unit: r.respondent_unit,
        received_on: r.received_on,
        repeat_of: r.repeat_of,
        correlation_id: r.correlation_id,
        handling_unit: r.handling_unit,
    })
}

/// A case cited in `field` must exist and be visible to the actor.
pub async fn ensure_referenced_visible(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    field: &'static str,
) -> Result<(), IntakeError> {
    match access::check(conn, actor, id, false).await {
        Ok(()) => Ok(()),
        Err(IntakeError::CaseHidden) => Err(IntakeError::ReferencedCaseHidden { field }),
        Err(other) => Err(other),
    }
}

/// The earlier case a bar cites (前案), if the actor may see it.
pub async fn prior_case(
    conn: &mut PgConnection,
    actor: &Actor,
    prior: Uuid,
) -> Result<PriorCase, IntakeError> {
    ensure_referenced_visible(conn, actor, prior, "prior_petition_id").await?;
    let r: PriorRow = sqlx::query_as(
        "SELECT id, case_number, status, finalized_on, final_opinion,
                (SELECT max(d.decided_on) FROM decisions d
                 WHERE d.petition_id = p.id AND d.kind IN ('accept', 'transfer', 'assign')) AS handled_since,
                (SELECT h.due_on FROM hand_offs h
                 WHERE h.petition_id = p.id AND h.status <> 'objected'
                 ORDER BY h.handed_on DESC, h.id DESC LIMIT 1) AS due_on
         FROM petitions p WHERE id = $1",
    )
    .bind(prior)
    .fetch_one(&mut *conn)
    .await?;
    Ok(PriorCase {
        id: r.id,
        case_number: r.case_number,
        status: r.status,
        finalized_on: r.finalized_on,
        final_opinion: r.final_opinion.and_then(|v| serde_json::from_value(v).ok()),
        handled_since: r.handled_since,
        due_on: r.due_on,
    })
}

#[derive(sqlx::FromRow)]
struct PriorRow {
    id: Uuid,
    case_number: String,
    status: String,
    finalized_on: Option<NaiveDate>,
    final_opinion: Option<serde_json::Value>,
    handled_since: Option<NaiveDate>,
    due_on: Option<NaiveDate>,
}

/// The petition's status and handling unit after a decision, and for an acceptance whether it
/// runs on the simple track (简易办理), in one statement.
pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    handling_unit: Option<&str>,
    simple_track: Option<bool>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE petitions SET status = $2, handling_unit = $3, simple_track = COALESCE($4, simple_track)
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(handling_unit)
    .bind(simple_track)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The decision record (决定记录): who, when, why, and which rule version suggested what.
pub struct DecisionRecord<'a> {
    pub id: Uuid,
    pub petition_id: Uuid,
    pub kind: &'a str,
    pub decided_on: NaiveDate,
    pub reason: &'a str,
    pub details: &'a Value,
    pub rule_version: i64,
    pub suggestion: Value,
}

pub async fn insert_decision(
    conn: &mut PgConnection,
    actor: &Actor,
    record: &DecisionRecord<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO decisions (id, petition_id, kind, decided_by, unit, decided_at, decided_on, reason, details, rule_version, suggestion)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        record.id,
        record.petition_id,
        record.kind,
        actor.user_id,
        actor.unit,
        Utc::now(),
        record.decided_on,
        record.reason,
        record.details,
        record.rule_version,
        record.suggestion,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Record a transfer or assignment by `from_unit` with its objection window (异议期限).
#[allow(clippy::too_many_arguments)]
pub async fn insert_hand_off(
    conn: &mut PgConnection,
    petition_id: Uuid,
    kind: &str,
    from_unit: &str,
    to_unit: &str,
    handed_on: NaiveDate,
    due_on: Option<NaiveDate>,
    object_by: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO hand_offs (id, petition_id, kind, from_unit, to_unit, handed_on, due_on, object_by, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending')",
    )
    .bind(Uuid::now_v7())
    .bind(petition_id)
    .bind(kind)
    .bind(from_unit)
    .bind(to_unit)
    .bind(handed_on)
    .bind(due_on)
    .bind(object_by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Grant the receiving unit access to the case (查阅授权); `false` when it already had it.
pub async fn grant_access(
    conn: &mut PgConnection,
    actor: &Actor,
    petition_id: Uuid,
    unit: &str,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let granted = sqlx::query!(
        "INSERT INTO case_access (petition_id, unit, granted_by, granted_at, reason) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (petition_id, unit) DO NOTHING",
        petition_id,
        unit,
        actor.user_id,
        Utc::now(),
        reason,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(granted == 1)
}

#[derive(sqlx::FromRow)]
struct RepeatLinkRow {
    decision: String,
    earlier_petition_id: Option<Uuid>,
}

/// Link the case as a repeat of `earlier` (认定重复信访), replacing another finding; `false` when it
/// was already linked to the same case, so nothing changed.
pub async fn link_repeat(
    conn: &mut PgConnection,
    actor: &Actor,
    petition_id: Uuid,
    earlier: Uuid,
) -> Result<bool, sqlx::Error> {
    let existing = sqlx::query_as!(
        RepeatLinkRow,
        "SELECT decision, earlier_petition_id FROM repeat_links WHERE petition_id = $1",
        petition_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    match existing {
        Some(link) if link.decision == "repeat" && link.earlier_petition_id == Some(earlier) => {
            return Ok(false)
        }
        Some(_) => {
            sqlx::query!(
                "DELETE FROM repeat_links WHERE petition_id = $1",
                petition_id
            )
            .execute(&mut *conn)
            .await?;
        }
        None => {}
    }
    sqlx::query!(
        "INSERT INTO repeat_links (petition_id, decision, earlier_petition_id, decided_by, unit, decided_at)
         VALUES ($1, 'repeat', $2, $3, $4, $5)",
        petition_id,
        earlier,
        actor.user_id,
        actor.unit,
        Utc::now(),
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE petitions SET repeat_of = $2 WHERE id = $1",
        petition_id,
        earlier
    )
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Confirm the case as a new matter (新的信访事项); `false` when a finding was already recorded.
pub async fn confirm_new(
    conn: &mut PgConnection,
    actor: &Actor,
    petition_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "INSERT INTO repeat_links (petition_id, decision, earlier_petition_id, decided_by, unit, decided_at)
         VALUES ($1, 'new', NULL, $2, $3, $4) ON CONFLICT (petition_id) DO NOTHING",
        petition_id,
        actor.user_id,
        actor.unit,
        Utc::now(),
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// When an earlier case and this one were registered, with the earlier one's number.
pub struct Registrations {
    pub earlier_case_number: String,
    pub earlier_registered_at: DateTime<Utc>,
    pub this_registered_at: DateTime<Utc>,
}

pub async fn registrations(
    conn: &mut PgConnection,
    earlier: Uuid,
    this: Uuid,
) -> Result<Registrations, sqlx::Error> {
    sqlx::query_as!(
        Registrations,
        "SELECT e.case_number AS earlier_case_number, e.registered_at AS earlier_registered_at,
                t.registered_at AS this_registered_at
         FROM petitions e, petitions t WHERE e.id = $1 AND t.id = $2",
        earlier,
        this
    )
    .fetch_one(&mut *conn)
    .await
}

/// A transfer or assignment waiting for the receiving unit (待签收).
#[derive(sqlx::FromRow)]
pub struct PendingHandOff {
    pub id: Uuid,
    pub kind: String,
    pub object_by: NaiveDate,
    pub to_unit: String,
}

/// The case's pending hand-off, locked; only its receiving unit may answer it.
pub async fn pending_hand_off(
    conn: &mut PgConnection,
    actor: &Actor,
    petition_id: Uuid,
) -> Result<PendingHandOff, IntakeError> {
    let pending = sqlx::query_as!(
        PendingHandOff,
        "SELECT id, kind, object_by, to_unit FROM hand_offs WHERE petition_id = $1 AND status = 'pending' FOR UPDATE",
        petition_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(IntakeError::NoPendingHandOff)?;
    if pending.to_unit != actor.unit {
        return Err(IntakeError::NotReceivingUnit);
    }
    Ok(pending)
}

/// The receiving unit accepts (签收): the case is in its hands.
pub async fn accept_hand_off(
    conn: &mut PgConnection,
    actor: &Actor,
    hand_off_id: Uuid,
    petition_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE hand_offs SET status = 'accepted', responded_by = $2, responded_at = $3 WHERE id = $1",
        hand_off_id,
        actor.user_id,
        Utc::now()
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE petitions SET status = 'in_handling', handling_unit = $2 WHERE id = $1",
        petition_id,
        actor.unit
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The receiving unit objects (提出异议): the objection waits for the transferring organ's
/// verification (核实); the case stays where it is until then.
pub async fn object_to_hand_off(
    conn: &mut PgConnection,
    actor: &Actor,
    hand_off_id: Uuid,
    reasons: &str,
    objected_on: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE hand_offs SET status = 'objected', responded_by = $2, responded_at = $3, response = $4,
                objected_on = $5 WHERE id = $1",
    )
    .bind(hand_off_id)
    .bind(&actor.user_id)
    .bind(Utc::now())
    .bind(reasons)
    .bind(objected_on)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A case the unit registered itself as transferred or assigned in from above (上级转送、交办件):
/// its objection is recorded as a hand-off from the upstream organ (`from_unit` NULL), already
/// objected, awaiting verification.
#[allow(clippy::too_many_arguments)]
pub async fn insert_upstream_objection(
    conn: &mut PgConnection,
    actor: &Actor,
    petition_id: Uuid,
    kind: &str,
    handed_on: NaiveDate,
    due_on: Option<NaiveDate>,
    object_by: NaiveDate,
    reasons: &str,
    objected_on: NaiveDate,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO hand_offs (id, petition_id, kind, from_unit, to_unit, handed_on, due_on, object_by, status,
                                responded_by, responded_at, response, objected_on)
         VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, 'objected', $8, $9, $10, $11)",
    )
    .bind(id)
    .bind(petition_id)
    .bind(kind)
    .bind(&actor.unit)
    .bind(handed_on)
    .bind(due_on)
    .bind(object_by)
    .bind(&actor.user_id)
    .bind(Utc::now())
    .bind(reasons)
    .bind(objected_on)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// How a self-registered case came in from above, if it did (上级转送、交办件).
#[derive(sqlx::FromRow)]
pub struct UpstreamEntry {
    pub channel: String,
    pub registering_unit: String,
    pub received_on: NaiveDate,
    pub upstream_due_on: Option<NaiveDate>,
    pub status: String,
    pub objected_before: bool,
}

pub async fn upstream_entry(
    conn: &mut PgConnection,
    petition_id: Uuid,
) -> Result<UpstreamEntry, sqlx::Error> {
    sqlx::query_as(
        "SELECT channel, registering_unit, received_on, upstream_due_on, status,
                EXISTS (SELECT 1 FROM hand_offs h WHERE h.petition_id = p.id AND h.from_unit IS NULL) AS objected_before
         FROM petitions p WHERE id = $1",
    )
    .bind(petition_id)
    .fetch_one(&mut *conn)
    .await
}

/// An objection awaiting verification (待核实的异议), locked.
#[derive(sqlx::FromRow)]
pub struct PendingObjection {
    pub id: Uuid,
    pub kind: String,
    pub from_unit: Option<String>,
    pub to_unit: String,
    /// The date of the objection (the step a ruling follows).
    pub objected_on: NaiveDate,
}

pub async fn pending_objection(
    conn: &mut PgConnection,
    petition_id: Uuid,
) -> Result<PendingObjection, IntakeError> {
    sqlx::query_as(
        "SELECT id, kind, from_unit, to_unit,
                coalesce(objected_on, (responded_at AT TIME ZONE 'Asia/Shanghai')::date, handed_on) AS objected_on
         FROM hand_offs
         WHERE petition_id = $1 AND status = 'objected' FOR UPDATE",
    )
    .bind(petition_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(IntakeError::NoObjectionPending)
}

/// Withdraw a unit's access grant (撤销查阅授权); `true` when it had one.
pub async fn revoke_access(
    conn: &mut PgConnection,
    petition_id: Uuid,
    unit: &str,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query("DELETE FROM case_access WHERE petition_id = $1 AND unit = $2")
        .bind(petition_id)
        .bind(unit)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n > 0)
}

/// The transferring organ's ruling (核实): on agreement the material returns for re-routing and
/// the objecting unit loses its access (returns `true` when a grant was revoked); on rejection the
/// unit keeps the case and handles it.
pub async fn rule_objection(
    conn: &mut PgConnection,
    actor: &Actor,
    objection: &PendingObjection,
    petition_id: Uuid,
    agreed: bool,
    reason: &str,
    ruled_on: NaiveDate,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "UPDATE hand_offs SET status = $2, ruled_by = $3, ruled_at = $4, ruling_reason = $5, ruled_on = $6
         WHERE id = $1",
    )
    .bind(objection.id)
    .bind(if agreed { "objection_agreed" } else { "objection_rejected" })
    .bind(&actor.user_id)
    .bind(Utc::now())
    .bind(reason)
    .bind(ruled_on)
    .execute(&mut *conn)
    .await?;
    if !agreed {
        sqlx::query(
            "UPDATE petitions SET status = 'in_handling', handling_unit = $2 WHERE id = $1",
        )
        .bind(petition_id)
        .bind(&objection.to_unit)
        .execute(&mut *conn)
        .await?;
        return Ok(false);
    }
    sqlx::query("UPDATE petitions SET status = 'returned', handling_unit = NULL WHERE id = $1")
        .bind(petition_id)
        .execute(&mut *conn)
        .await?;
    let revoked = sqlx::query("DELETE FROM case_access WHERE petition_id = $1 AND unit = $2")
        .bind(petition_id)
        .bind(&objection.to_unit)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(revoked > 0)
}

/// The date of the case's last procedural step (前一步骤之日): its latest decision or objection
/// ruling; a later decision may not be dated before it.
pub async fn last_step_on(
    conn: &mut PgConnection,
    petition_id: Uuid,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT max(on_) FROM (
             SELECT decided_on AS on_ FROM decisions WHERE petition_id = $1
             UNION ALL
             SELECT coalesce(ruled_on, (ruled_at AT TIME ZONE 'Asia/Shanghai')::date) FROM hand_offs
             WHERE petition_id = $1 AND ruled_at IS NOT NULL
         ) steps",
    )
    .bind(petition_id)
    .fetch_one(&mut *conn)
    .await
}
