//! Notices (告知书、通知): rendered from templates, stored, read over HTTP.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool, Row};
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_contracts::events::PetitionRegisteredV1;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NoticeView {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    /// e.g. `registration_receipt` (登记回执)
    pub kind: String,
    /// `petitioner` or `unit`
    pub recipient_kind: String,
    pub channel: String,
    pub title: String,
    pub body: String,
    /// `pending` until delivered
    pub status: String,
    pub created_at: DateTime<Utc>,
}

fn format_date(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

/// The registration receipt (登记回执) for the petitioner: what was registered, its number, and what
/// happens next within the statutory limit.
pub fn registration_receipt(e: &PetitionRegisteredV1, acceptance_days: u32) -> (String, String) {
    let title = format!("信访事项登记回执（{}）", e.case_number);
    let body = format!(
        "您于{}以{}方式反映的信访事项已登记，信访件编号为 {}。依照《信访工作条例》，我们将自收到之日起{}日内告知您是否受理及办理途径。您可凭登记时取得的查询码查询办理进度并评价。",
        format_date(e.received_on),
        e.channel.label_zh(),
        e.case_number,
        acceptance_days
    );
    (title, body)
}

pub async fn record_receipt(
    conn: &mut PgConnection,
    e: &PetitionRegisteredV1,
    source_event_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let (title, body) = registration_receipt(e, 15);
    let channel = if e.contactable { "sms" } else { "in_person" };
    let r = sqlx::query(
        "INSERT INTO notices (id, case_id, case_number, kind, recipient_kind, unit_code, channel, title, body, status, source_event_id)
         VALUES ($1, $2, $3, 'registration_receipt', 'petitioner', $4, $5, $6, $7, 'pending', $8)
         ON CONFLICT (case_id, kind, recipient_kind) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(e.petition_id)
    .bind(&e.case_number)
    .bind(&e.registering_unit)
    .bind(channel)
    .bind(title)
    .bind(body)
    .bind(source_event_id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Notices of a case with the unit they belong to.
pub async fn for_case(
    pool: &PgPool,
    case_id: Uuid,
) -> Result<Vec<(String, NoticeView)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, case_id, case_number, kind, recipient_kind, unit_code, channel, title, body, status, created_at
         FROM notices WHERE case_id = $1 ORDER BY created_at",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.try_get("unit_code")?,
                NoticeView {
                    id: r.try_get("id")?,
                    case_id: r.try_get("case_id")?,
                    case_number: r.try_get("case_number")?,
                    kind: r.try_get("kind")?,
                    recipient_kind: r.try_get("recipient_kind")?,
                    channel: r.try_get("channel")?,
                    title: r.try_get("title")?,
                    body: r.try_get("body")?,
                    status: r.try_get("status")?,
                    created_at: r.try_get("created_at")?,
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinfang_contracts::events::Channel;

    #[test]
    fn the_receipt_names_the_case_and_the_limit() {
        let e = PetitionRegisteredV1 {
            petition_id: Uuid::now_v7(),
            case_number: "140423-2025-000007".into(),
            channel: Channel::Letter,
            received_on: NaiveDate::from_ymd_opt(2025, 9, 26).unwrap(),
            registered_at: Utc::now(),
            registering_unit: "140423-XFJ".into(),
            division_code: "140423".into(),
            petitioner_count: 1,
            anonymous: false,
            contactable: false,
            ..PetitionRegisteredV1::minimal_defaults()
        };
        let (title, body) = registration_receipt(&e, 15);
        assert!(title.contains("140423-2025-000007"));
        assert!(body.contains("2025年9月26日"));
        assert!(body.contains("书信"));
        assert!(body.contains("15日内"));
    }
}
