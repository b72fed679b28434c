//! What notification needs from intake (通知送达所需): the first petitioner of each petition with
//! their sealed contact details, and a petition's query-code hash by case number.

use sqlx::PgConnection;
use uuid::Uuid;

use super::petitions::PetitionerRecord;

/// A petition's first petitioner (ordinal order), sealed.
#[derive(sqlx::FromRow)]
pub struct ContactRecord {
    pub petition_id: Uuid,
    #[sqlx(flatten)]
    pub person: PetitionerRecord,
}

/// The first petitioner of each of `petition_ids` (non-anonymous petitions only).
pub async fn first_petitioners(
    conn: &mut PgConnection,
    petition_ids: &[Uuid],
) -> Result<Vec<ContactRecord>, sqlx::Error> {
    sqlx::query_as::<_, ContactRecord>(
        "SELECT DISTINCT ON (p.petition_id) p.petition_id, p.id, p.key_version, p.name, p.id_number_enc,
                p.id_number_mask, p.phone_enc, p.phone_mask, p.address_enc
         FROM petitioners p JOIN petitions c ON c.id = p.petition_id
         WHERE p.petition_id = ANY($1) AND NOT c.anonymous
         ORDER BY p.petition_id, p.ordinal",
    )
    .bind(petition_ids)
    .fetch_all(conn)
    .await
}

/// The id and query-code hash of the petition numbered `case_number`.
pub async fn query_code_hash(
    conn: &mut PgConnection,
    case_number: &str,
) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, query_code_hash FROM petitions WHERE case_number = $1")
        .bind(case_number)
        .fetch_optional(conn)
        .await
}
