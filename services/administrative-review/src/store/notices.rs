//! Notices requested from notification (文书送达请求), to match its delivery reports.

use sqlx::PgConnection;
use uuid::Uuid;

pub async fn remember(
    conn: &mut PgConnection,
    request_id: Uuid,
    case_id: Uuid,
    template: &str,
    opinion_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notice_requests (request_id, case_id, template, opinion_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
    )
    .bind(request_id)
    .bind(case_id)
    .bind(template)
    .bind(opinion_id)
    .execute(conn)
    .await?;
    Ok(())
}
