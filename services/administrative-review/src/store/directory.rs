//! The units directory copy (单位目录), kept from `console.unit.changed.v1` (upsert when newer).

use sqlx::PgConnection;
use xinfang_contracts::events::UnitRecordV1;

use crate::domain::organs::Organ;

pub async fn upsert(conn: &mut PgConnection, u: &UnitRecordV1) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO directory_units (code, name, kind, level, parent_code, active, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, level = EXCLUDED.level,
             parent_code = EXCLUDED.parent_code, active = EXCLUDED.active, version = EXCLUDED.version
         WHERE directory_units.version < EXCLUDED.version",
    )
    .bind(&u.code)
    .bind(&u.name)
    .bind(&u.kind)
    .bind(&u.level)
    .bind(&u.parent_code)
    .bind(u.active)
    .bind(u.version)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct UnitRow {
    code: String,
    name: String,
    kind: String,
    level: String,
    parent_code: Option<String>,
    active: bool,
}

/// One unit, if the directory has it.
pub async fn find(conn: &mut PgConnection, code: &str) -> Result<Option<Organ>, sqlx::Error> {
    Ok(sqlx::query_as::<_, UnitRow>(
        "SELECT code, name, kind, level, parent_code, active FROM directory_units WHERE code = $1",
    )
    .bind(code)
    .fetch_optional(conn)
    .await?
    .map(|r| Organ {
        code: r.code,
        name: r.name,
        kind: r.kind,
        level: r.level,
        parent_code: r.parent_code,
        active: r.active,
    }))
}

/// The organ one level above `unit` (上一级机关), when the directory knows both.
pub async fn organ_above(
    conn: &mut PgConnection,
    unit: &str,
) -> Result<Option<Organ>, sqlx::Error> {
    let Some(own) = find(conn, unit).await? else {
        return Ok(None);
    };
    match own.parent_code {
        Some(parent) => find(conn, &parent).await,
        None => Ok(None),
    }
}

/// A unit's name for documents, or its code when the directory does not know it.
pub async fn name_of(conn: &mut PgConnection, unit: &str) -> Result<String, sqlx::Error> {
    Ok(find(conn, unit)
        .await?
        .map(|o| o.name)
        .unwrap_or_else(|| unit.to_string()))
}
