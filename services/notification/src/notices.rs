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

/// Remember whom to tell for several cases, with one statement.
pub async fn remember_cases(
    conn: &mut PgConnection,
    events: &[&PetitionRegisteredV1],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notification_cases (case_id, case_number, registering_unit, received_on, anonymous, contactable)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::bool[], $6::bool[])
         ON CONFLICT (case_id) DO NOTHING",
    )
    .bind(events.iter().map(|e| e.petition_id).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.case_number.as_str()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.registering_unit.as_str()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.received_on).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.anonymous).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.contactable).collect::<Vec<_>>())
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
    let created = record_many(conn, &[(envelope, event.clone())]).await?;
    Ok(created.into_iter().sum())
}

/// Store the notices of several events: the cases their registrations make known (one statement),
/// the context of each other event's case (one statement each), then every notice (one statement).
/// Returns, for each event in order, how many of its notices were new. Meant for a run of
/// registrations (two statements in all); another event in `items` sees every case they register.
pub async fn record_many(
    conn: &mut PgConnection,
    items: &[(&Envelope, DomainEvent)],
) -> Result<Vec<usize>, sqlx::Error> {
    let registered: Vec<&PetitionRegisteredV1> = items
        .iter()
        .filter_map(|(_, event)| match event {
            DomainEvent::PetitionRegistered(e) => Some(e),
            _ => None,
        })
        .collect();
    if !registered.is_empty() {
        remember_cases(conn, &registered).await?;
    }
    let mut rows = Vec::new();
    for (envelope, event) in items {
        let (ctx, contactable) = match (event, envelope.case_id) {
            (DomainEvent::PetitionRegistered(e), _) => (None, e.contactable),
            (_, Some(case_id)) => match case_context(conn, case_id).await? {
                Some((c, contactable)) => (Some(c), contactable),
                None => (None, false),
            },
            _ => (None, false),
        };
        rows.extend(rows_of(envelope, event, ctx.as_ref(), contactable));
    }
    let created = insert(conn, &rows).await?;
    Ok(items
        .iter()
        .map(|(envelope, _)| {
            created
                .iter()
                .filter(|id| **id == envelope.event_id)
                .count()
        })
        .collect())
}

/// A notice to store, as its row.
struct NoticeRow {
    case_id: Uuid,
    case_number: String,
    kind: &'static str,
    recipient_kind: &'static str,
    recipient_unit: Option<String>,
    unit_code: String,
    channel: &'static str,
    title: String,
    body: String,
    source_event_id: Uuid,
    dedup_key: String,
}

/// The rows of the notices an event requires; none for an event without a case.
fn rows_of(
    envelope: &Envelope,
    event: &DomainEvent,
    ctx: Option<&CaseContext>,
    contactable: bool,
) -> Vec<NoticeRow> {
    let Some(case_id) = envelope.case_id else {
        return Vec::new();
    };
    let from_payload = |field: &str| {
        envelope
            .payload
            .get(field)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let case_number = ctx
        .map(|c| c.case_number.clone())
        .or_else(|| from_payload("case_number"))
        .unwrap_or_default();
    let owner_unit = ctx
        .map(|c| c.registering_unit.clone())
        .or_else(|| from_payload("registering_unit"))
        .unwrap_or_default();
    templates::drafts(event, ctx)
        .into_iter()
        .map(|d: NoticeDraft| {
            let (recipient_unit, channel) = match &d.recipient {
                Recipient::Petitioner => (None, if contactable { "sms" } else { "in_person" }),
                Recipient::Unit(u) => (Some(u.clone()), "system"),
            };
            NoticeRow {
                case_id,
                case_number: case_number.clone(),
                kind: d.kind,
                recipient_kind: d.recipient.kind(),
                recipient_unit,
                unit_code: owner_unit.clone(),
                channel,
                dedup_key: format!("{}:{}", envelope.event_id, d.recipient.key()),
                title: d.title,
                body: d.body,
                source_event_id: envelope.event_id,
            }
        })
        .collect()
}

/// Insert notices with one statement, each at most once (by its dedup key). Returns the source
/// event of each notice that was new.
async fn insert(conn: &mut PgConnection, rows: &[NoticeRow]) -> Result<Vec<Uuid>, sqlx::Error> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_scalar(
        "INSERT INTO notices (id, case_id, case_number, kind, recipient_kind, recipient_unit, unit_code, channel, title, body,
                              status, source_event_id, dedup_key)
         SELECT t.id, t.case_id, t.case_number, t.kind, t.recipient_kind, t.recipient_unit, t.unit_code, t.channel,
                t.title, t.body, 'pending', t.source_event_id, t.dedup_key
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                     $9::text[], $10::text[], $11::uuid[], $12::text[])
              AS t(id, case_id, case_number, kind, recipient_kind, recipient_unit, unit_code, channel, title, body,
                   source_event_id, dedup_key)
         ON CONFLICT (dedup_key) DO NOTHING
         RETURNING source_event_id",
    )
    .bind(rows.iter().map(|_| Uuid::now_v7()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.case_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.case_number.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.kind).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.recipient_kind).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.recipient_unit.as_deref()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.unit_code.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.channel).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.title.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.body.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.source_event_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.dedup_key.as_str()).collect::<Vec<_>>())
    .fetch_all(conn)
    .await
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
