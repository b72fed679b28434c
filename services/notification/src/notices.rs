//! Notices (告知书、通知): stored from the drafts the templates make, read over HTTP.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool, Row};
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_contracts::{events::PetitionRegisteredV1, DomainEvent, Envelope};

use crate::templates::{self, CaseContext, NoticeDraft, Recipient};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NoticeView {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    /// e.g. `registration_receipt` (登记回执), `acceptance_notice` (受理告知书)
    pub kind: String,
    /// `petitioner` or `unit`
    pub recipient_kind: String,
    /// The receiving unit of a notice to a unit.
    pub recipient_unit: Option<String>,
    pub channel: String,
    pub title: String,
    pub body: String,
    /// `pending` until delivered
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// Remember whom to tell for a case.
pub async fn remember_case(
    conn: &mut PgConnection,
    e: &PetitionRegisteredV1,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notification_cases (case_id, case_number, registering_unit, received_on, anonymous, contactable)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (case_id) DO NOTHING",
    )
    .bind(e.petition_id)
    .bind(&e.case_number)
    .bind(&e.registering_unit)
    .bind(e.received_on)
    .bind(e.anonymous)
    .bind(e.contactable)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn case_context(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Option<(CaseContext, bool)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT case_number, registering_unit, received_on, anonymous, contactable FROM notification_cases WHERE case_id = $1",
    )
    .bind(case_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok((
            CaseContext {
                case_number: r.try_get("case_number")?,
                registering_unit: r.try_get("registering_unit")?,
                received_on: r.try_get("received_on")?,
                anonymous: r.try_get("anonymous")?,
            },
            r.try_get("contactable")?,
        ))
    })
    .transpose()
}

/// Store the notices an event requires (once per event and recipient). Returns how many were new.
pub async fn record(
    conn: &mut PgConnection,
    envelope: &Envelope,
    event: &DomainEvent,
) -> Result<usize, sqlx::Error> {
    let (ctx, contactable) = match (event, envelope.case_id) {
        (DomainEvent::PetitionRegistered(e), _) => {
            remember_case(conn, e).await?;
            (None, e.contactable)
        }
        (_, Some(case_id)) => match case_context(conn, case_id).await? {
            Some((c, contactable)) => (Some(c), contactable),
            None => (None, false),
        },
        _ => (None, false),
    };
    let drafts = templates::drafts(event, ctx.as_ref());
    let mut created = 0;
    for d in &drafts {
        created += insert(conn, envelope, ctx.as_ref(), d, contactable).await? as usize;
    }
    Ok(created)
}

async fn insert(
    conn: &mut PgConnection,
    envelope: &Envelope,
    ctx: Option<&CaseContext>,
    d: &NoticeDraft,
    contactable: bool,
) -> Result<bool, sqlx::Error> {
    let case_number = ctx
        .map(|c| c.case_number.clone())
        .or_else(|| {
            envelope
                .payload
                .get("case_number")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .unwrap_or_default();
    let owner_unit = ctx
        .map(|c| c.registering_unit.clone())
        .or_else(|| {
            envelope
                .payload
                .get("registering_unit")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .unwrap_or_default();
    let (recipient_unit, channel) = match &d.recipient {
        Recipient::Petitioner => (None, if contactable { "sms" } else { "in_person" }),
        Recipient::Unit(u) => (Some(u.clone()), "system"),
    };
    let Some(case_id) = envelope.case_id else {
        return Ok(false);
    };
    let r = sqlx::query(
        "INSERT INTO notices (id, case_id, case_number, kind, recipient_kind, recipient_unit, unit_code, channel, title, body,
                              status, source_event_id, dedup_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12)
         ON CONFLICT (dedup_key) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(case_id)
    .bind(case_number)
    .bind(d.kind)
    .bind(d.recipient.kind())
    .bind(recipient_unit)
    .bind(owner_unit)
    .bind(channel)
    .bind(&d.title)
    .bind(&d.body)
    .bind(envelope.event_id)
    .bind(format!("{}:{}", envelope.event_id, d.recipient.key()))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

fn view(r: &sqlx::postgres::PgRow) -> Result<(String, NoticeView), sqlx::Error> {
    Ok((
        r.try_get("unit_code")?,
        NoticeView {
            id: r.try_get("id")?,
            case_id: r.try_get("case_id")?,
            case_number: r.try_get("case_number")?,
            kind: r.try_get("kind")?,
            recipient_kind: r.try_get("recipient_kind")?,
            recipient_unit: r.try_get("recipient_unit")?,
            channel: r.try_get("channel")?,
            title: r.try_get("title")?,
            body: r.try_get("body")?,
            status: r.try_get("status")?,
            created_at: r.try_get("created_at")?,
        },
    ))
}

const COLUMNS: &str =
    "id, case_id, case_number, kind, recipient_kind, recipient_unit, unit_code, channel, title, body, status, created_at";

/// Notices of a case with the unit that owns the case.
pub async fn for_case(
    pool: &PgPool,
    case_id: Uuid,
) -> Result<Vec<(String, NoticeView)>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notices WHERE case_id = $1 ORDER BY created_at, id"
    )))
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(view).collect()
}

/// A unit's inbox (单位待办通知), newest first, keyset-paginated by (created_at, id).
pub async fn inbox(
    pool: &PgPool,
    unit: &str,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<NoticeView>, sqlx::Error> {
    let (at, id) = before.unwrap_or((DateTime::<Utc>::MAX_UTC, Uuid::max()));
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notices WHERE recipient_unit = $1 AND (created_at, id) < ($2, $3)
         ORDER BY created_at DESC, id DESC LIMIT $4"
    )))
    .bind(unit)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| view(r).map(|(_, v)| v)).collect()
}
