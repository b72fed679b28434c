//! Notices (告知书、通知) and their planned deliveries: written set-wise from the drafts of a batch,
//! read per case and per receiving unit.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::{InboxPage, NewNotice, Notice};

#[derive(sqlx::FromRow)]
struct NoticeRow {
    id: Uuid,
    case_id: Uuid,
    case_number: String,
    kind: String,
    recipient_kind: String,
    recipient_unit: Option<String>,
    unit_code: String,
    channel: String,
    title: String,
    body: String,
    status: String,
    created_at: DateTime<Utc>,
    template_version: i32,
    request_id: Option<Uuid>,
    organ_name: String,
    addressee: String,
    document_number: Option<String>,
    dated_on: NaiveDate,
    needs_proof: bool,
}

impl From<NoticeRow> for Notice {
    fn from(r: NoticeRow) -> Notice {
        Notice {
            id: r.id,
            case_id: r.case_id,
            case_number: r.case_number,
            kind: r.kind,
            recipient_kind: r.recipient_kind,
            recipient_unit: r.recipient_unit,
            unit_code: r.unit_code,
            channel: r.channel,
            title: r.title,
            body: r.body,
            status: r.status,
            created_at: r.created_at,
            template_version: r.template_version,
            request_id: r.request_id,
            organ_name: r.organ_name,
            addressee: r.addressee,
            document_number: r.document_number,
            dated_on: r.dated_on,
            needs_proof: r.needs_proof,
        }
    }
}

pub(crate) const COLUMNS: &str = "n.id, n.case_id, n.case_number, n.kind, n.recipient_kind, n.recipient_unit, n.unit_code,
    n.channel, n.title, n.body, n.status, n.created_at, n.template_version, n.request_id, n.organ_name,
    n.addressee, n.document_number, n.dated_on, n.needs_proof";

/// Insert notices with one statement, each at most once (by its dedup key), and plan their
/// deliveries (one row per channel) in the same statement: a unit's inbox and the petitioner's
/// online inbox are there at once, SMS and e-mail wait for the dispatcher, letters for the post room
/// and handovers for the clerk. Returns the source event of each notice that was new.
pub async fn insert_many(
    conn: &mut PgConnection,
    notices: &[NewNotice],
) -> Result<Vec<Uuid>, sqlx::Error> {
    if notices.is_empty() {
        return Ok(Vec::new());
    }
    let col = |f: fn(&NewNotice) -> String| notices.iter().map(f).collect::<Vec<String>>();
    let ids: Vec<Uuid> = notices.iter().map(|n| n.id).collect();
    let case_ids: Vec<Uuid> = notices.iter().map(|n| n.case_id).collect();
    let recipient_units: Vec<Option<String>> =
        notices.iter().map(|n| n.recipient_unit.clone()).collect();
    let source_events: Vec<Uuid> = notices.iter().map(|n| n.source_event_id).collect();
    let versions: Vec<i32> = notices.iter().map(|n| n.template_version).collect();
    let requests: Vec<Option<Uuid>> = notices.iter().map(|n| n.request_id).collect();
    let numbers: Vec<Option<String>> = notices.iter().map(|n| n.document_number.clone()).collect();
    let dated: Vec<NaiveDate> = notices.iter().map(|n| n.dated_on).collect();
    let proof: Vec<bool> = notices.iter().map(|n| n.needs_proof).collect();
    sqlx::query_scalar(
        "WITH input AS (
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                                  $8::text[], $9::text[], $10::text[], $11::uuid[], $12::text[], $13::int[], $14::uuid[],
                                  $15::text[], $16::text[], $17::text[], $18::date[], $19::bool[])
                 AS t(id, case_id, case_number, kind, recipient_kind, recipient_unit, unit_code, channels, title, body,
                      source_event_id, dedup_key, template_version, request_id, organ_name, addressee, document_number,
                      dated_on, needs_proof)
         ), new AS (
             INSERT INTO notices (id, case_id, case_number, kind, recipient_kind, recipient_unit, unit_code, channel,
                                  title, body, status, source_event_id, dedup_key, template_version, request_id,
                                  organ_name, addressee, document_number, dated_on, needs_proof)
             SELECT i.id, i.case_id, i.case_number, i.kind, i.recipient_kind, i.recipient_unit, i.unit_code,
                    split_part(i.channels, ',', 1), i.title, i.body,
                    CASE WHEN i.channels = 'system' THEN 'delivered' ELSE 'pending' END,
                    i.source_event_id, i.dedup_key, i.template_version, i.request_id, i.organ_name, i.addressee,
                    i.document_number, i.dated_on, i.needs_proof
             FROM input i
             ON CONFLICT (dedup_key) DO NOTHING
             RETURNING id, source_event_id
         ), planned AS (
             INSERT INTO deliveries (id, notice_id, case_id, channel, status, delivered_on, proof)
             SELECT gen_random_uuid(), i.id, i.case_id, c.channel,
                    CASE c.channel WHEN 'system' THEN 'delivered' WHEN 'online' THEN 'available'
                                   WHEN 'letter' THEN 'awaiting_post' WHEN 'in_person' THEN 'awaiting_handover'
                                   ELSE 'queued' END,
                    CASE c.channel WHEN 'system' THEN current_date END,
                    CASE c.channel WHEN 'system' THEN '系统内送达' END
             FROM new JOIN input i ON i.id = new.id
                  CROSS JOIN LATERAL unnest(string_to_array(i.channels, ',')) AS c(channel)
         )
         SELECT source_event_id FROM new",
    )
    .bind(&ids)
    .bind(&case_ids)
    .bind(col(|n| n.case_number.clone()))
    .bind(col(|n| n.kind.to_string()))
    .bind(col(|n| n.recipient_kind.to_string()))
    .bind(&recipient_units)
    .bind(col(|n| n.unit_code.clone()))
    .bind(col(|n| n.channels.join(",")))
    .bind(col(|n| n.title.clone()))
    .bind(col(|n| n.body.clone()))
    .bind(&source_events)
    .bind(col(|n| n.dedup_key.clone()))
    .bind(&versions)
    .bind(&requests)
    .bind(col(|n| n.organ_name.clone()))
    .bind(col(|n| n.addressee.clone()))
    .bind(&numbers)
    .bind(&dated)
    .bind(&proof)
    .fetch_all(conn)
    .await
}

/// The notices of a case, oldest first, with the unit that owns the case.
pub async fn for_case(pool: &PgPool, case_id: Uuid) -> Result<Vec<Notice>, sqlx::Error> {
    let rows = sqlx::query_as::<_, NoticeRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notices n WHERE n.case_id = $1 ORDER BY n.created_at, n.id"
    )))
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Notice::from).collect())
}

/// One notice.
pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<Notice>, sqlx::Error> {
    let row = sqlx::query_as::<_, NoticeRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notices n WHERE n.id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Notice::from))
}

/// Several notices by id (the dispatcher's batch).
pub async fn many(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<Notice>, sqlx::Error> {
    let rows = sqlx::query_as::<_, NoticeRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notices n WHERE n.id = ANY($1)"
    )))
    .bind(ids)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Notice::from).collect())
}

/// A page of a unit's inbox (单位待办通知): the notices addressed to it, newest first.
pub async fn inbox(pool: &PgPool, unit: &str, page: InboxPage) -> Result<Vec<Notice>, sqlx::Error> {
    let (before_at, before_id) = page.before;
    let rows = sqlx::query_as::<_, NoticeRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notices n
         WHERE n.recipient_unit = $1 AND (n.created_at, n.id) < ($2, $3)
         ORDER BY n.created_at DESC, n.id DESC LIMIT $4"
    )))
    .bind(unit)
    .bind(before_at)
    .bind(before_id)
    .bind(page.limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Notice::from).collect())
}
