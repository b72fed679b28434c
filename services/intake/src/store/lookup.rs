//! The petitioner's lookup (信访人查询): one petition by its case number, with the stored hash of
//! its query code.

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, sqlx::FromRow)]
pub struct LookupRow {
    pub id: Uuid,
    pub case_number: String,
    pub query_code_hash: String,
    pub status: String,
    pub received_on: NaiveDate,
    pub finalized_on: Option<NaiveDate>,
}

pub async fn by_case_number(
    conn: &mut PgConnection,
    case_number: &str,
) -> Result<Option<LookupRow>, sqlx::Error> {
    sqlx::query_as::<_, LookupRow>(
        "SELECT id, case_number, query_code_hash, status, received_on, finalized_on
           FROM petitions WHERE case_number = $1",
    )
    .bind(case_number)
    .fetch_optional(conn)
    .await
}
