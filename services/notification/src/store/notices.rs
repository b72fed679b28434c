//! Notices (告知书、通知): written set-wise from the drafts of a batch, read per case and per
//! receiving unit.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::{InboxPage, NewNotice, Notice};

/// Insert notices with one statement, each at most once (by its dedup key). Returns the source
/// event of each notice that was new.
pub async fn insert_many(
    conn: &mut PgConnection,
    notices: &[NewNotice],
) -> Result<Vec<Uuid>, sqlx::Error> {
    if notices.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = notices.iter().map(|_| Uuid::now_v7()).collect();
    let case_ids: Vec<Uuid> = notices.iter().map(|n| n.case_id).collect();
    let case_numbers: Vec<&str> = notices.iter().map(|n| n.case_number.as_str()).collect();
    let kinds: Vec<&str> = notices.iter().map(|n| n.kind).collect();
    let recipient_kinds: Vec<&str> = notices.iter().map(|n| n.recipient_kind).collect();
    let recipient_units: Vec<Option<&str>> = notices
        .iter()
        .map(|n| n.recipient_unit.as_deref())
        .collect();
    let unit_codes: Vec<&str> = notices.iter().map(|n| n.unit_code.as_str()).collect();
    let channels: Vec<&str> = notices.iter().map(|n| n.channel).collect();
    let titles: Vec<&str> = notices.iter().map(|n| n.title.as_str()).collect();
    let bodies: Vec<&str> = notices.iter().map(|n| n.body.as_str()).collect();
    let source_events: Vec<Uuid> = notices.iter().map(|n| n.source_event_id).collect();
    let dedup_keys: Vec<&str> = notices.iter().map(|n| n.dedup_key.as_str()).collect();
    sqlx::query_scalar!(
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
        &ids,
        &case_ids,
        &case_numbers as &[&str],
        &kinds as &[&str],
        &recipient_kinds as &[&str],
        &recipient_units as &[Option<&str>],
        &unit_codes as &[&str],
        &channels as &[&str],
        &titles as &[&str],
        &bodies as &[&str],
        &source_events,
        &dedup_keys as &[&str],
    )
    .fetch_all(conn)
    .await
}

/// The notices of a case, oldest first, with the unit that owns the case.
pub async fn for_case(pool: &PgPool, case_id: Uuid) -> Result<Vec<Notice>, sqlx::Error> {
    sqlx::query_as!(
        Notice,
        "SELECT id, case_id, case_number, kind, recipient_kind, recipient_unit, unit_code, channel,
                title, body, status, created_at
         FROM notices WHERE case_id = $1 ORDER BY created_at, id",
        case_id
    )
    .fetch_all(pool)
    .await
}

/// A page of a unit's inbox (单位待办通知): the notices addressed to it, newest first.
pub async fn inbox(pool: &PgPool, unit: &str, page: InboxPage) -> Result<Vec<Notice>, sqlx::Error> {
    let (before_at, before_id) = page.before;
    sqlx::query_as!(
        Notice,
        "SELECT id, case_id, case_number, kind, recipient_kind, recipient_unit, unit_code, channel,
                title, body, status, created_at
         FROM notices WHERE recipient_unit = $1 AND (created_at, id) < ($2, $3)
         ORDER BY created_at DESC, id DESC LIMIT $4",
        unit,
        before_at,
        before_id,
        page.limit
    )
    .fetch_all(pool)
    .await
}
