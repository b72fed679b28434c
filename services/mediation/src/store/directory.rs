//! SQL of the directory (调解组织与调解员名录).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{
    directory::{NewBody, NewMediator},
    mediator_choice::MediatorFacts,
};

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct BodyRow {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub township: String,
    pub fields: Vec<String>,
    pub contact: String,
    pub unit_code: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

const BODY_COLUMNS: &str =
    "id, name, kind, township, fields, contact, unit_code, active, created_at";

pub async fn insert_body(
    conn: &mut PgConnection,
    id: Uuid,
    b: &NewBody,
) -> Result<BodyRow, sqlx::Error> {
    sqlx::query_as::<_, BodyRow>(sqlx::AssertSqlSafe(format!(
        "INSERT INTO bodies (id, name, kind, township, fields, contact, unit_code, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {BODY_COLUMNS}"
    )))
    .bind(id)
    .bind(&b.name)
    .bind(&b.kind)
    .bind(&b.township)
    .bind(&b.fields)
    .bind(&b.contact)
    .bind(&b.unit_code)
    .bind(b.active)
    .fetch_one(conn)
    .await
}

/// Change a body (修改调解组织); the row as it now is.
pub async fn update_body(
    conn: &mut PgConnection,
    id: Uuid,
    b: &NewBody,
) -> Result<BodyRow, sqlx::Error> {
    sqlx::query_as::<_, BodyRow>(sqlx::AssertSqlSafe(format!(
        "UPDATE bodies SET name = $2, kind = $3, township = $4, fields = $5, contact = $6,
             unit_code = $7, active = $8
         WHERE id = $1 RETURNING {BODY_COLUMNS}"
    )))
    .bind(id)
    .bind(&b.name)
    .bind(&b.kind)
    .bind(&b.township)
    .bind(&b.fields)
    .bind(&b.contact)
    .bind(&b.unit_code)
    .bind(b.active)
    .fetch_one(conn)
    .await
}

/// A body locked for a change.
pub async fn find_body_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<BodyRow>, sqlx::Error> {
    sqlx::query_as::<_, BodyRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {BODY_COLUMNS} FROM bodies WHERE id = $1 FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Mediations of a body still under way (awaiting consent, consented, in session).
pub async fn live_mediations_of_body(
    conn: &mut PgConnection,
    body_id: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM mediations
         WHERE body_id = $1 AND status IN ('awaiting_consent', 'consented', 'in_session')",
    )
    .bind(body_id)
    .fetch_one(conn)
    .await
}

impl BodyRow {
    /// The body as a draft would state it, to compare a change with.
    pub fn as_new(&self) -> NewBody {
        NewBody {
            name: self.name.clone(),
            kind: self.kind.clone(),
            township: self.township.clone(),
            fields: self.fields.clone(),
            contact: self.contact.clone(),
            unit_code: self.unit_code.clone(),
            active: self.active,
        }
    }
}

pub async fn find_body(conn: &mut PgConnection, id: Uuid) -> Result<Option<BodyRow>, sqlx::Error> {
    sqlx::query_as::<_, BodyRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {BODY_COLUMNS} FROM bodies WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Bodies, optionally of one township or field.
pub async fn list_bodies(
    conn: &mut PgConnection,
    township: Option<&str>,
    field: Option<&str>,
) -> Result<Vec<BodyRow>, sqlx::Error> {
    sqlx::query_as::<_, BodyRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {BODY_COLUMNS} FROM bodies
         WHERE ($1::text IS NULL OR township = $1) AND ($2::text IS NULL OR $2 = ANY(fields))
         ORDER BY township, name LIMIT 500"
    )))
    .bind(township)
    .bind(field)
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct MediatorRow {
    pub id: Uuid,
    pub name: String,
    pub body_id: Uuid,
    pub body_name: String,
    pub body_unit: String,
    pub kind: String,
    pub fields: Vec<String>,
    pub townships: Vec<String>,
    pub employer_unit: Option<String>,
    pub account: Option<String>,
    pub active: bool,
    /// 当前在办调解数
    pub open_mediations: i32,
}

const MEDIATOR_SELECT: &str =
    "SELECT m.id, m.name, m.body_id, b.name AS body_name, b.unit_code AS body_unit, m.kind,
        m.fields, m.townships, m.employer_unit, m.account, m.active, m.open_mediations
     FROM mediators m JOIN bodies b ON b.id = m.body_id";

pub async fn insert_mediator(
    conn: &mut PgConnection,
    id: Uuid,
    m: &NewMediator,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mediators (id, name, body_id, kind, fields, townships, employer_unit, account, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(&m.name)
    .bind(m.body_id)
    .bind(&m.kind)
    .bind(&m.fields)
    .bind(&m.townships)
    .bind(&m.employer_unit)
    .bind(&m.account)
    .bind(m.active)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update_mediator(
    conn: &mut PgConnection,
    id: Uuid,
    m: &NewMediator,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mediators SET name = $2, body_id = $3, kind = $4, fields = $5, townships = $6,
             employer_unit = $7, account = $8, active = $9 WHERE id = $1",
    )
    .bind(id)
    .bind(&m.name)
    .bind(m.body_id)
    .bind(&m.kind)
    .bind(&m.fields)
    .bind(&m.townships)
    .bind(&m.employer_unit)
    .bind(&m.account)
    .bind(m.active)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find_mediator(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<MediatorRow>, sqlx::Error> {
    sqlx::query_as::<_, MediatorRow>(sqlx::AssertSqlSafe(format!(
        "{MEDIATOR_SELECT} WHERE m.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn list_mediators(
    conn: &mut PgConnection,
    body_id: Option<Uuid>,
    field: Option<&str>,
    township: Option<&str>,
) -> Result<Vec<MediatorRow>, sqlx::Error> {
    sqlx::query_as::<_, MediatorRow>(sqlx::AssertSqlSafe(format!(
        "{MEDIATOR_SELECT}
         WHERE ($1::uuid IS NULL OR m.body_id = $1) AND ($2::text IS NULL OR $2 = ANY(m.fields))
           AND ($3::text IS NULL OR $3 = ANY(m.townships))
         ORDER BY m.name LIMIT 500"
    )))
    .bind(body_id)
    .bind(field)
    .bind(township)
    .fetch_all(conn)
    .await
}

impl MediatorRow {
    pub fn facts(&self) -> MediatorFacts {
        MediatorFacts {
            id: self.id,
            name: self.name.clone(),
            employer_unit: self.employer_unit.clone(),
            active: self.active,
        }
    }
}
