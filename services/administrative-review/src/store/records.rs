//! What belongs to a handled case: entries (办理记录), extensions (延期), opinions (意见书), review
//! requests (复查 / 复核请求), hearings (听证) and follow-up (后续工作).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::inputs::{Delivery, NewEntry, NewFollowUp, OpinionDraft};

// ---- entries ----

#[derive(Debug, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct EntryRow {
    pub id: Uuid,
    pub kind: String,
    pub occurred_on: NaiveDate,
    pub summary: String,
    pub consulted_unit: Option<String>,
    #[schema(value_type = Object)]
    pub attachments: serde_json::Value,
    pub recorded_by: String,
    pub recorded_unit: String,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert_entry(
    conn: &mut PgConnection,
    id: Uuid,
    case_id: Uuid,
    e: &NewEntry,
    by: &str,
    unit: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO handling_entries (id, case_id, kind, occurred_on, summary, consulted_unit, attachments, recorded_by, recorded_unit)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(case_id)
    .bind(e.kind)
    .bind(e.occurred_on)
    .bind(&e.summary)
    .bind(&e.consulted_unit)
    .bind(serde_json::to_value(&e.attachments).unwrap_or_default())
    .bind(by)
    .bind(unit)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn entries(pool: &PgPool, case_id: Uuid) -> Result<Vec<EntryRow>, sqlx::Error> {
    sqlx::query_as::<_, EntryRow>(
        "SELECT id, kind, occurred_on, summary, consulted_unit, attachments, recorded_by, recorded_unit, recorded_at
         FROM handling_entries WHERE case_id = $1 ORDER BY recorded_at, id",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await
}

// ---- extensions ----

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ExtensionRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub days: i32,
    pub reason: String,
    pub requested_by: String,
    pub requested_on: NaiveDate,
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub decision_note: Option<String>,
    pub original_due_on: Option<NaiveDate>,
    pub extended_due_on: Option<NaiveDate>,
    pub notice_requested: bool,
}

const EXTENSION_COLUMNS: &str =
    "id, case_id, days, reason, requested_by, requested_on, status, decided_by, decided_on,
    decision_note, original_due_on, extended_due_on, notice_requested";

/// Extensions requested or approved (a rejected one does not count against the one allowed).
pub async fn live_extensions(conn: &mut PgConnection, case_id: Uuid) -> Result<usize, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM extensions WHERE case_id = $1 AND status IN ('requested', 'approved')",
    )
    .bind(case_id)
    .fetch_one(conn)
    .await?;
    Ok(n as usize)
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_extension(
    conn: &mut PgConnection,
    id: Uuid,
    case_id: Uuid,
    days: u32,
    reason: &str,
    by: &str,
    on: NaiveDate,
    original_due_on: Option<NaiveDate>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO extensions (id, case_id, days, reason, requested_by, requested_on, status, original_due_on)
         VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7)",
    )
    .bind(id)
    .bind(case_id)
    .bind(days as i32)
    .bind(reason)
    .bind(by)
    .bind(on)
    .bind(original_due_on)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn extension(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<ExtensionRow>, sqlx::Error> {
    sqlx::query_as::<_, ExtensionRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {EXTENSION_COLUMNS} FROM extensions WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn decide_extension(
    conn: &mut PgConnection,
    id: Uuid,
    approved: bool,
    by: &str,
    on: NaiveDate,
    note: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE extensions SET status = $2, decided_by = $3, decided_on = $4, decision_note = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(if approved { "approved" } else { "rejected" })
    .bind(by)
    .bind(on)
    .bind(note)
    .execute(conn)
    .await?;
    Ok(())
}

/// The approved extension whose 延期告知书 is not requested yet, once the clock has moved.
pub async fn extension_awaiting_notice(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Option<ExtensionRow>, sqlx::Error> {
    sqlx::query_as::<_, ExtensionRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {EXTENSION_COLUMNS} FROM extensions
         WHERE case_id = $1 AND status = 'approved' AND NOT notice_requested FOR UPDATE"
    )))
    .bind(case_id)
    .fetch_optional(conn)
    .await
}

pub async fn mark_extension_noticed(
    conn: &mut PgConnection,
    id: Uuid,
    extended_due_on: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE extensions SET notice_requested = true, extended_due_on = $2 WHERE id = $1",
    )
    .bind(id)
    .bind(extended_due_on)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn extensions(pool: &PgPool, case_id: Uuid) -> Result<Vec<ExtensionRow>, sqlx::Error> {
    sqlx::query_as::<_, ExtensionRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {EXTENSION_COLUMNS} FROM extensions WHERE case_id = $1 ORDER BY created_at"
    )))
    .bind(case_id)
    .fetch_all(pool)
    .await
}

// ---- opinions ----

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct OpinionRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub level: String,
    pub outcome: String,
    pub facts: String,
    pub reasons: String,
    pub legal_basis: String,
    pub issuing_unit: String,
    pub status: String,
    pub corrects: Option<Uuid>,
    pub external: bool,
    pub drafted_by: String,
    pub approved_by: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub document_number: Option<String>,
    pub implementation_task: Option<String>,
    pub implementing_unit: Option<String>,
    pub implement_by: Option<NaiveDate>,
    pub implemented_on: Option<NaiveDate>,
    pub implementation_note: Option<String>,
    pub notice_request_id: Option<Uuid>,
    pub delivered_on: Option<NaiveDate>,
    pub delivery_method: Option<String>,
    pub delivery_proof: Option<String>,
    pub delivery_recorded_from: Option<String>,
}

const OPINION_COLUMNS: &str = "id, case_id, level, outcome, facts, reasons, legal_basis, issuing_unit, status, corrects,
    external, drafted_by, approved_by, issued_on, document_number, implementation_task, implementing_unit,
    implement_by, implemented_on, implementation_note, notice_request_id, delivered_on, delivery_method,
    delivery_proof, delivery_recorded_from";

#[allow(clippy::too_many_arguments)]
pub async fn insert_opinion(
    conn: &mut PgConnection,
    id: Uuid,
    case_id: Uuid,
    d: &OpinionDraft,
    issuing_unit: &str,
    drafted_by: &str,
    corrects: Option<Uuid>,
    external: bool,
) -> Result<(), sqlx::Error> {
    let (task, unit, by) = match &d.implementation {
        Some(i) => (Some(i.task.as_str()), Some(i.unit.as_str()), Some(i.by)),
        None => (None, None, None),
    };
    sqlx::query(
        "INSERT INTO opinions (id, case_id, level, outcome, facts, reasons, legal_basis, issuing_unit, status, corrects,
                               external, drafted_by, implementation_task, implementing_unit, implement_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'draft', $9, $10, $11, $12, $13, $14)",
    )
    .bind(id)
    .bind(case_id)
    .bind(d.level.as_str())
    .bind(d.outcome)
    .bind(&d.facts)
    .bind(&d.reasons)
    .bind(&d.legal_basis)
    .bind(issuing_unit)
    .bind(corrects)
    .bind(external)
    .bind(drafted_by)
    .bind(task)
    .bind(unit)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn opinion(conn: &mut PgConnection, id: Uuid) -> Result<Option<OpinionRow>, sqlx::Error> {
    sqlx::query_as::<_, OpinionRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {OPINION_COLUMNS} FROM opinions WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn opinion_by_request(
    conn: &mut PgConnection,
    request_id: Uuid,
) -> Result<Option<OpinionRow>, sqlx::Error> {
    sqlx::query_as::<_, OpinionRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {OPINION_COLUMNS} FROM opinions WHERE notice_request_id = $1"
    )))
    .bind(request_id)
    .fetch_optional(conn)
    .await
}

/// A draft of the same level not yet issued (one at a time).
pub async fn open_draft(
    conn: &mut PgConnection,
    case_id: Uuid,
    level: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM opinions WHERE case_id = $1 AND level = $2 AND status IN ('draft', 'approved')",
    )
    .bind(case_id)
    .bind(level)
    .fetch_optional(conn)
    .await
}

/// The issued opinion of a level currently in force (the latest, a correction replacing the one
/// it corrects).
pub async fn issued_of_level(
    conn: &mut PgConnection,
    case_id: Uuid,
    level: &str,
) -> Result<Option<OpinionRow>, sqlx::Error> {
    sqlx::query_as::<_, OpinionRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {OPINION_COLUMNS} FROM opinions WHERE case_id = $1 AND level = $2 AND status = 'issued'
         ORDER BY issued_on DESC, created_at DESC LIMIT 1"
    )))
    .bind(case_id)
    .bind(level)
    .fetch_optional(conn)
    .await
}

/// Replace a draft's text (修改草稿); an approved draft goes back to draft (the approval was of
/// the old text). Only a draft or approved opinion changes (`false` otherwise).
pub async fn edit_opinion(
    conn: &mut PgConnection,
    id: Uuid,
    d: &OpinionDraft,
) -> Result<bool, sqlx::Error> {
    let (task, unit, by) = match &d.implementation {
        Some(i) => (Some(i.task.as_str()), Some(i.unit.as_str()), Some(i.by)),
        None => (None, None, None),
    };
    let n = sqlx::query(
        "UPDATE opinions SET outcome = $2, facts = $3, reasons = $4, legal_basis = $5,
                implementation_task = $6, implementing_unit = $7, implement_by = $8,
                status = 'draft', approved_by = NULL
         WHERE id = $1 AND status IN ('draft', 'approved')",
    )
    .bind(id)
    .bind(d.outcome)
    .bind(&d.facts)
    .bind(&d.reasons)
    .bind(&d.legal_basis)
    .bind(task)
    .bind(unit)
    .bind(by)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Withdraw a draft (撤回草稿): kept on record, never issued (`false` when already issued).
pub async fn withdraw_opinion(
    conn: &mut PgConnection,
    id: Uuid,
    by: &str,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE opinions SET status = 'withdrawn', withdrawn_by = $2, withdrawn_at = now(),
                withdrawal_reason = $3
         WHERE id = $1 AND status IN ('draft', 'approved')",
    )
    .bind(id)
    .bind(by)
    .bind(reason)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn approve_opinion(
    conn: &mut PgConnection,
    id: Uuid,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE opinions SET status = 'approved', approved_by = $2 WHERE id = $1 AND status = 'draft'")
        .bind(id)
        .bind(by)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn issue_opinion(
    conn: &mut PgConnection,
    id: Uuid,
    on: NaiveDate,
    document_number: Option<&str>,
    notice_request_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE opinions SET status = 'issued', issued_on = $2, document_number = $3, notice_request_id = $4
         WHERE id = $1 AND status = 'approved'",
    )
    .bind(id)
    .bind(on)
    .bind(document_number)
    .bind(notice_request_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Record the delivery once (送达); false when it was already recorded.
pub async fn record_delivery(
    conn: &mut PgConnection,
    id: Uuid,
    d: &Delivery,
    from: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE opinions SET delivered_on = $2, delivery_method = $3, delivery_proof = $4, delivery_recorded_from = $5
         WHERE id = $1 AND status = 'issued' AND delivered_on IS NULL",
    )
    .bind(id)
    .bind(d.delivered_on)
    .bind(d.method)
    .bind(&d.proof)
    .bind(from)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn complete_implementation(
    conn: &mut PgConnection,
    id: Uuid,
    on: NaiveDate,
    note: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE opinions SET implemented_on = $2, implementation_note = $3
         WHERE id = $1 AND status = 'issued' AND implementation_task IS NOT NULL AND implemented_on IS NULL",
    )
    .bind(id)
    .bind(on)
    .bind(note)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn opinions(pool: &PgPool, case_id: Uuid) -> Result<Vec<OpinionRow>, sqlx::Error> {
    sqlx::query_as::<_, OpinionRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {OPINION_COLUMNS} FROM opinions WHERE case_id = $1 ORDER BY created_at"
    )))
    .bind(case_id)
    .fetch_all(pool)
    .await
}

// ---- review requests ----

#[derive(Debug, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ReviewRequestRow {
    pub id: Uuid,
    pub level: String,
    pub requested_on: NaiveDate,
    pub organ_unit: String,
    pub forwarded: bool,
    pub status: String,
    pub window_closed_on: Option<NaiveDate>,
    pub recorded_by: String,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_review_request(
    conn: &mut PgConnection,
    id: Uuid,
    case_id: Uuid,
    level: &str,
    requested_on: NaiveDate,
    organ_unit: &str,
    forwarded: bool,
    status: &str,
    window_closed_on: Option<NaiveDate>,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO review_requests (id, case_id, level, requested_on, organ_unit, forwarded, status, window_closed_on, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(case_id)
    .bind(level)
    .bind(requested_on)
    .bind(organ_unit)
    .bind(forwarded)
    .bind(status)
    .bind(window_closed_on)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn review_requests(
    pool: &PgPool,
    case_id: Uuid,
) -> Result<Vec<ReviewRequestRow>, sqlx::Error> {
    sqlx::query_as::<_, ReviewRequestRow>(
        "SELECT id, level, requested_on, organ_unit, forwarded, status, window_closed_on, recorded_by
         FROM review_requests WHERE case_id = $1 ORDER BY created_at",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await
}

/// Whether the current level's request was forwarded to an organ outside the deployment.
pub async fn forwarded(
    conn: &mut PgConnection,
    case_id: Uuid,
    level: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, bool>(
        "SELECT forwarded FROM review_requests WHERE case_id = $1 AND level = $2 AND status = 'accepted'
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(case_id)
    .bind(level)
    .fetch_optional(conn)
    .await?
    .unwrap_or(false))
}

// ---- hearings ----

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct HearingRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub level: String,
    pub unit_code: String,
    pub scheduled_on: NaiveDate,
    pub place: String,
    pub chair: String,
    #[schema(value_type = Object)]
    pub participants: serde_json::Value,
    pub held_from: Option<NaiveDate>,
    pub held_to: Option<NaiveDate>,
    pub record: Option<String>,
    pub published: bool,
    pub published_result: Option<String>,
}

const HEARING_COLUMNS: &str =
    "id, case_id, level, unit_code, scheduled_on, place, chair, participants, held_from, held_to,
    record, published, published_result";

#[allow(clippy::too_many_arguments)]
pub async fn insert_hearing(
    conn: &mut PgConnection,
    id: Uuid,
    case_id: Uuid,
    level: &str,
    unit: &str,
    scheduled_on: NaiveDate,
    place: &str,
    chair: &str,
    participants: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO hearings (id, case_id, level, unit_code, scheduled_on, place, chair, participants)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(case_id)
    .bind(level)
    .bind(unit)
    .bind(scheduled_on)
    .bind(place)
    .bind(chair)
    .bind(serde_json::json!(participants))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn hearing(conn: &mut PgConnection, id: Uuid) -> Result<Option<HearingRow>, sqlx::Error> {
    sqlx::query_as::<_, HearingRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {HEARING_COLUMNS} FROM hearings WHERE id = $1 FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

#[allow(clippy::too_many_arguments)]
pub async fn record_hearing(
    conn: &mut PgConnection,
    id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    participants: &[String],
    record: &str,
    published: bool,
    published_result: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE hearings SET held_from = $2, held_to = $3, participants = $4, record = $5, published = $6,
                published_result = $7 WHERE id = $1",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(serde_json::json!(participants))
    .bind(record)
    .bind(published)
    .bind(published_result)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn hearings(pool: &PgPool, case_id: Uuid) -> Result<Vec<HearingRow>, sqlx::Error> {
    sqlx::query_as::<_, HearingRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {HEARING_COLUMNS} FROM hearings WHERE case_id = $1 ORDER BY created_at"
    )))
    .bind(case_id)
    .fetch_all(pool)
    .await
}

// ---- follow-up ----

#[derive(Debug, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct FollowUpRow {
    pub id: Uuid,
    pub kind: String,
    pub occurred_on: NaiveDate,
    pub performed_by: String,
    pub summary: String,
    pub aid_given: Option<String>,
    pub body: Option<String>,
    pub body_reference: Option<String>,
    pub outcome: Option<String>,
    pub outcome_on: Option<NaiveDate>,
    pub recorded_by: String,
}

pub async fn insert_follow_up(
    conn: &mut PgConnection,
    id: Uuid,
    case_id: Uuid,
    f: &NewFollowUp,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO follow_ups (id, case_id, kind, occurred_on, performed_by, summary, aid_given, body, body_reference, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(case_id)
    .bind(f.kind)
    .bind(f.occurred_on)
    .bind(&f.performed_by)
    .bind(&f.summary)
    .bind(&f.aid_given)
    .bind(f.body)
    .bind(&f.body_reference)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Record a referral's outcome as reported back (移送结果); false if no such open referral.
pub async fn record_referral_outcome(
    conn: &mut PgConnection,
    case_id: Uuid,
    id: Uuid,
    outcome: &str,
    on: NaiveDate,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE follow_ups SET outcome = $3, outcome_on = $4
         WHERE id = $2 AND case_id = $1 AND kind = 'referral' AND outcome IS NULL",
    )
    .bind(case_id)
    .bind(id)
    .bind(outcome)
    .bind(on)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn follow_ups(pool: &PgPool, case_id: Uuid) -> Result<Vec<FollowUpRow>, sqlx::Error> {
    sqlx::query_as::<_, FollowUpRow>(
        "SELECT id, kind, occurred_on, performed_by, summary, aid_given, body, body_reference, outcome, outcome_on, recorded_by
         FROM follow_ups WHERE case_id = $1 ORDER BY created_at",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await
}
