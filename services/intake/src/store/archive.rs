//! What intake gives the archive (信访档案) of a case: its record as JSON (personal data masked)
//! and its petitioners' blind indexes.

use serde_json::{json, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use super::petitions;

/// A petition's record for its archive package.
pub struct ArchiveRecord {
    pub case_number: String,
    pub record: Value,
    /// `(kind, blind index)`: `id_number` or `phone`.
    pub indexes: Vec<(String, Vec<u8>)>,
}

#[derive(sqlx::FromRow)]
struct Head {
    case_number: String,
    petition: Value,
}

#[derive(sqlx::FromRow)]
struct Person {
    person: Value,
    id_number_bidx: Option<Vec<u8>>,
    phone_bidx: Option<Vec<u8>>,
}

/// The record of `id`, if the petition exists.
pub async fn record(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<ArchiveRecord>, sqlx::Error> {
    let head = sqlx::query_as::<_, Head>(
        "SELECT t.case_number, to_jsonb(t) AS petition FROM (
             SELECT id, case_number, channel, received_on, registered_at, registering_unit, summary,
                    petitioner_count, anonymous, status, facts, requests, category, field, subfield,
                    township, village, respondent_unit, group_visit, visit_id, upstream_reference,
                    upstream_organ, upstream_due_on, handling_unit, simple_track, finalized_on, repeat_of
             FROM petitions WHERE id = $1) t",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(head) = head else {
        return Ok(None);
    };
    let people = sqlx::query_as::<_, Person>(
        "SELECT jsonb_build_object('ordinal', ordinal, 'name', name, 'id_number', id_number_mask,
                                   'phone', phone_mask, 'address', CASE WHEN address_enc IS NULL THEN NULL ELSE '******' END)
                    AS person,
                id_number_bidx, phone_bidx
         FROM petitioners WHERE petition_id = $1 ORDER BY ordinal",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let file = petitions::case_file(conn, id).await?;
    let mut indexes = Vec::new();
    let mut persons = Vec::new();
    for p in people {
        if let Some(b) = p.id_number_bidx {
            indexes.push(("id_number".to_string(), b));
        }
        if let Some(b) = p.phone_bidx {
            indexes.push(("phone".to_string(), b));
        }
        persons.push(p.person);
    }
    let record = json!({
        "petition": head.petition,
        "petitioners": persons,
        "attachments": file.attachments,
        "repeat_candidates": file.repeat_candidates,
        "decisions": file.decisions,
        "hand_offs": file.hand_offs,
        "access_grants": file.access_grants,
        "history": file.history,
    });
    Ok(Some(ArchiveRecord {
        case_number: head.case_number,
        record,
        indexes,
    }))
}
