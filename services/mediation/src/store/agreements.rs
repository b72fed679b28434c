//! SQL of agreements (调解协议): the agreement, judicial confirmation and performance.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{types::Json, PgConnection};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::agreement::{NewAgreement, Signature};

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct AgreementRow {
    pub id: Uuid,
    pub mediation_id: Uuid,
    /// `written` | `oral`
    pub form: String,
    pub dispute: String,
    pub terms: String,
    #[schema(value_type = Vec<Signature>)]
    pub signatures: Json<Vec<Signature>>,
    pub agreed_on: NaiveDate,
    pub effective_on: NaiveDate,
    pub perform_by: Option<NaiveDate>,
    /// `none` | `applied` | `confirmed` | `rejected`
    pub confirmation: String,
    pub court: Option<String>,
    pub applied_on: Option<NaiveDate>,
    pub ruled_on: Option<NaiveDate>,
    pub ruling: Option<String>,
    /// `pending` | `performed` | `not_performed`
    pub performance: String,
    pub performed_on: Option<NaiveDate>,
    pub flagged_on: Option<NaiveDate>,
    pub returned_to: Option<String>,
    pub performance_note: Option<String>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, mediation_id, form, dispute, terms, signatures, agreed_on, effective_on, perform_by,
    confirmation, court, applied_on, ruled_on, ruling, performance, performed_on, flagged_on, returned_to,
    performance_note, created_at";

pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    mediation_id: Uuid,
    a: &NewAgreement,
) -> Result<AgreementRow, sqlx::Error> {
    sqlx::query_as::<_, AgreementRow>(sqlx::AssertSqlSafe(format!(
        "INSERT INTO agreements (id, mediation_id, form, dispute, terms, signatures, agreed_on, effective_on, perform_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(mediation_id)
    .bind(&a.form)
    .bind(&a.dispute)
    .bind(&a.terms)
    .bind(Json(&a.signatures))
    .bind(a.agreed_on)
    .bind(a.effective_on)
    .bind(a.perform_by)
    .fetch_one(conn)
    .await
}

pub async fn load_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<AgreementRow>, sqlx::Error> {
    sqlx::query_as::<_, AgreementRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM agreements WHERE id = $1 FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn of_mediation(
    conn: &mut PgConnection,
    mediation_id: Uuid,
) -> Result<Option<AgreementRow>, sqlx::Error> {
    sqlx::query_as::<_, AgreementRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM agreements WHERE mediation_id = $1"
    )))
    .bind(mediation_id)
    .fetch_optional(conn)
    .await
}

pub async fn applied(
    conn: &mut PgConnection,
    id: Uuid,
    court: &str,
    on: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE agreements SET confirmation = 'applied', court = $2, applied_on = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(court)
    .bind(on)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn ruled(
    conn: &mut PgConnection,
    id: Uuid,
    confirmed: bool,
    on: NaiveDate,
    ruling: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE agreements SET confirmation = $2, ruled_on = $3, ruling = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(if confirmed { "confirmed" } else { "rejected" })
    .bind(on)
    .bind(ruling)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn performed(
    conn: &mut PgConnection,
    id: Uuid,
    on: NaiveDate,
    note: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE agreements SET performance = 'performed', performed_on = $2, performance_note = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(on)
    .bind(note)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn not_performed(
    conn: &mut PgConnection,
    id: Uuid,
    on: NaiveDate,
    returned_to: &str,
    note: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE agreements SET performance = 'not_performed', flagged_on = $2, returned_to = $3, performance_note = $4
         WHERE id = $1",
    )
    .bind(id)
    .bind(on)
    .bind(returned_to)
    .bind(note)
    .execute(conn)
    .await?;
    Ok(())
}

/// Agreements still pending whose performance deadline passed before `today`, locked and skipped by
/// a concurrent sweep.
pub async fn overdue(
    conn: &mut PgConnection,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar::<_, Uuid>(
        "SELECT id FROM agreements WHERE performance = 'pending' AND perform_by < $1
         ORDER BY perform_by LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind(today)
    .bind(limit)
    .fetch_all(conn)
    .await
}
