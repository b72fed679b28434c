//! SQL of the directory copy (单位目录副本表).

use sqlx::{PgConnection, PgPool};
use xinfang_contracts::events::UnitRecordV1;

/// One unit as the service knows it (单位).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct UnitEntry {
    /// 单位代码
    pub code: String,
    /// 区划代码
    pub division_code: String,
    /// 全称
    pub name: String,
    /// 简称
    pub short_name: String,
    /// 单位类别
    pub kind: String,
    /// 层级
    pub level: String,
    /// 上一级行政机关
    pub parent_code: Option<String>,
    /// 主管(监督)机关
    pub supervisor_code: Option<String>,
    /// 所属乡镇
    pub township_code: Option<String>,
    pub active: bool,
    pub version: i64,
}

impl UnitEntry {
    pub fn from_record(r: &UnitRecordV1) -> UnitEntry {
        UnitEntry {
            code: r.code.clone(),
            division_code: r.division_code.clone(),
            name: r.name.clone(),
            short_name: r.short_name.clone(),
            kind: r.kind.clone(),
            level: r.level.clone(),
            parent_code: r.parent_code.clone(),
            supervisor_code: r.supervisor_code.clone(),
            township_code: r.township_code.clone(),
            active: r.active,
            version: r.version,
        }
    }
}

/// Store `record` unless the copy already holds this or a newer version. True when it changed.
pub async fn upsert(conn: &mut PgConnection, r: &UnitRecordV1) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO unit_directory (code, division_code, name, short_name, kind, level, \
             parent_code, supervisor_code, township_code, active, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (code) DO UPDATE SET division_code = EXCLUDED.division_code, \
             name = EXCLUDED.name, short_name = EXCLUDED.short_name, kind = EXCLUDED.kind, \
             level = EXCLUDED.level, parent_code = EXCLUDED.parent_code, \
             supervisor_code = EXCLUDED.supervisor_code, township_code = EXCLUDED.township_code, \
             active = EXCLUDED.active, version = EXCLUDED.version, applied_at = now(), \
             applied_seq = nextval('unit_directory_applied_seq') \
         WHERE unit_directory.version < EXCLUDED.version",
    )
    .bind(&r.code)
    .bind(&r.division_code)
    .bind(&r.name)
    .bind(&r.short_name)
    .bind(&r.kind)
    .bind(&r.level)
    .bind(&r.parent_code)
    .bind(&r.supervisor_code)
    .bind(&r.township_code)
    .bind(r.active)
    .bind(r.version)
    .execute(conn)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// Every unit of the copy.
pub async fn load_all(pool: &PgPool) -> Result<Vec<UnitEntry>, sqlx::Error> {
    sqlx::query_as::<_, UnitEntry>(
        "SELECT code, division_code, name, short_name, kind, level, parent_code, \
             supervisor_code, township_code, active, version \
         FROM unit_directory ORDER BY code",
    )
    .fetch_all(pool)
    .await
}

/// The highest change number applied (0 when empty).
pub async fn applied_seq(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(applied_seq), 0) FROM unit_directory")
        .fetch_one(pool)
        .await
}
