//! The case lookup the oversight features share.

use sqlx::PgPool;
use uuid::Uuid;

/// A case in the read model, and whether it was handed to the caller's unit.
#[derive(Debug, sqlx::FromRow)]
pub struct CaseForUnitRow {
    pub case_number: String,
    pub unit_code: String,
    pub handed_to_caller: bool,
}

/// The case, with whether it was handed to `unit`.
pub async fn case_for(
    pool: &PgPool,
    case_id: Uuid,
    unit: &str,
) -> Result<Option<CaseForUnitRow>, sqlx::Error> {
    sqlx::query_as!(
        CaseForUnitRow,
        "SELECT f.case_number, f.unit_code,
                EXISTS (SELECT 1 FROM case_units u WHERE u.case_id = f.case_id AND u.unit_code = $2) AS \"handed_to_caller!\"
         FROM case_facts f WHERE f.case_id = $1",
        case_id,
        unit
    )
    .fetch_optional(pool)
    .await
}

/// The case number of a case the read model knows.
pub async fn case_number(pool: &PgPool, case_id: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT case_number FROM case_facts WHERE case_id = $1",
        case_id
    )
    .fetch_optional(pool)
    .await
}
