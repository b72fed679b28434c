//! What this service keeps of a registered case beyond the shared register (案件登记副本): category,
//! upstream reference and the pending hand-off (转送 / 交办).

use sqlx::PgConnection;
use uuid::Uuid;
use xinfang_contracts::events::PetitionRegisteredV1;

#[derive(Debug, sqlx::FromRow)]
pub struct CaseFacts {
    pub case_number: String,
    pub registering_unit: String,
    pub category: Option<String>,
    pub upstream_reference: Option<String>,
    pub hand_off_kind: Option<String>,
    pub hand_off_from: Option<String>,
}

/// Keep each registration's category and upstream reference, with one statement.
pub async fn set_facts_many(
    conn: &mut PgConnection,
    events: &[&PetitionRegisteredV1],
) -> Result<(), sqlx::Error> {
    let events: Vec<&&PetitionRegisteredV1> = events
        .iter()
        .filter(|e| e.category.is_some() || e.upstream_reference.is_some())
        .collect();
    if events.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE cases c SET category = t.category, upstream_reference = t.upstream
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t(id, category, upstream)
         WHERE c.case_id = t.id AND c.case_id = ANY($1)",
    )
    .bind(events.iter().map(|e| e.petition_id).collect::<Vec<_>>())
    .bind(
        events
            .iter()
            .map(|e| e.category.map(|c| c.as_str()))
            .collect::<Vec<_>>(),
    )
    .bind(
        events
            .iter()
            .map(|e| e.upstream_reference.as_deref())
            .collect::<Vec<_>>(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_hand_off(
    conn: &mut PgConnection,
    case_id: Uuid,
    kind: &str,
    from: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE cases SET hand_off_kind = $2, hand_off_from = $3 WHERE case_id = $1")
        .bind(case_id)
        .bind(kind)
        .bind(from)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn facts(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Option<CaseFacts>, sqlx::Error> {
    sqlx::query_as::<_, CaseFacts>(
        "SELECT case_number, registering_unit, category, upstream_reference, hand_off_kind, hand_off_from
         FROM cases WHERE case_id = $1",
    )
    .bind(case_id)
    .fetch_optional(conn)
    .await
}
