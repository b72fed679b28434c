//! The archive's SQL (档案存储): the queue of final cases, packages and their files, the
//! petitioners' blind indexes, holds and destructions.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use xinfang_contracts::events::CaseFinalizedV1;

use super::domain::{Manifest, PackageFile};

/// Remember a final case for packaging (idempotent: a redelivery changes nothing).
pub async fn enqueue(
    conn: &mut PgConnection,
    event: &CaseFinalizedV1,
    source_event_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "INSERT INTO archive_queue (case_id, case_number, concluded_on, level, source_event_id)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id) DO NOTHING",
    )
    .bind(event.petition_id)
    .bind(&event.case_number)
    .bind(event.concluded_on)
    .bind(&event.level)
    .bind(source_event_id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A final case due for packaging.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub case_id: Uuid,
    pub case_number: String,
    pub concluded_on: NaiveDate,
    pub level: String,
    pub finalized_at: DateTime<Utc>,
}

/// Lock the next case final for at least `delay_secs` and due for an attempt (other replicas skip
/// it), in the caller's transaction.
pub async fn claim_due(
    conn: &mut PgConnection,
    delay_secs: i64,
) -> Result<Option<Due>, sqlx::Error> {
    sqlx::query_as::<_, Due>(
        "SELECT case_id, case_number, concluded_on, level, finalized_at FROM archive_queue
         WHERE archived_at IS NULL AND finalized_at <= now() - make_interval(secs => $1)
           AND next_attempt_at <= now()
         ORDER BY finalized_at LIMIT 1 FOR UPDATE SKIP LOCKED",
    )
    .bind(delay_secs as f64)
    .fetch_optional(conn)
    .await
}

/// A failed attempt: try again after `retry_secs`.
pub async fn attempt_failed(
    pool: &PgPool,
    case_id: Uuid,
    error: &str,
    retry_secs: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE archive_queue SET attempts = attempts + 1, last_error = $2,
                next_attempt_at = now() + make_interval(secs => $3)
         WHERE case_id = $1",
    )
    .bind(case_id)
    .bind(error)
    .bind(retry_secs as f64)
    .execute(pool)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct CaseData {
    unit: Option<String>,
    case_row: Option<Value>,
    notices: Value,
    deliveries: Value,
}

/// What notification knows of a case: its register row, its notices and their deliveries (as
/// stored; no contact details are stored here), and the registering unit if known.
pub async fn case_data(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<(Option<String>, Value), sqlx::Error> {
    let r = sqlx::query_as::<_, CaseData>(
        "SELECT (SELECT registering_unit FROM notification_cases WHERE case_id = $1) AS unit,
                (SELECT to_jsonb(c) FROM notification_cases c WHERE case_id = $1) AS case_row,
                (SELECT coalesce(jsonb_agg(to_jsonb(n) ORDER BY n.created_at, n.id), '[]'::jsonb)
                   FROM notices n WHERE n.case_id = $1) AS notices,
                (SELECT coalesce(jsonb_agg(to_jsonb(d) ORDER BY d.created_at, d.id), '[]'::jsonb)
                   FROM deliveries d WHERE d.case_id = $1) AS deliveries",
    )
    .bind(case_id)
    .fetch_one(conn)
    .await?;
    Ok((
        r.unit,
        serde_json::json!({
            "case": r.case_row,
            "notices": r.notices,
            "deliveries": r.deliveries,
        }),
    ))
}

/// Store a package: its row, its files, its petitioners' indexes; and mark the case archived.
pub async fn insert_package(
    conn: &mut PgConnection,
    manifest: &Manifest,
    manifest_sha256: &str,
    files: &[PackageFile],
    indexes: &[(String, Vec<u8>)],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO archive_packages (case_id, case_number, unit_code, archived_at, retention_class,
                                       retain_until, manifest, manifest_sha256)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(manifest.case_id)
    .bind(&manifest.case_number)
    .bind(&manifest.unit)
    .bind(manifest.archived_at)
    .bind(&manifest.retention_class)
    .bind(manifest.retain_until)
    .bind(serde_json::to_value(manifest).unwrap_or(Value::Null))
    .bind(manifest_sha256)
    .execute(&mut *conn)
    .await?;
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let types: Vec<&str> = files.iter().map(|f| f.media_type.as_str()).collect();
    let sizes: Vec<i64> = files.iter().map(|f| f.content.len() as i64).collect();
    let shas: Vec<String> = files.iter().map(|f| f.sha256()).collect();
    let contents: Vec<&[u8]> = files.iter().map(|f| f.content.as_slice()).collect();
    sqlx::query(
        "INSERT INTO archive_files (case_id, path, media_type, size_bytes, sha256, content)
         SELECT $1, t.path, t.media_type, t.size_bytes, t.sha256, t.content
         FROM unnest($2::text[], $3::text[], $4::int8[], $5::text[], $6::bytea[])
              AS t(path, media_type, size_bytes, sha256, content)",
    )
    .bind(manifest.case_id)
    .bind(&paths)
    .bind(&types)
    .bind(&sizes)
    .bind(&shas)
    .bind(&contents)
    .execute(&mut *conn)
    .await?;
    let kinds: Vec<&str> = indexes.iter().map(|(k, _)| k.as_str()).collect();
    let values: Vec<&[u8]> = indexes.iter().map(|(_, v)| v.as_slice()).collect();
    sqlx::query(
        "INSERT INTO archive_petitioners (case_id, kind, bidx)
         SELECT $1, t.kind, t.bidx FROM unnest($2::text[], $3::bytea[]) AS t(kind, bidx)
         ON CONFLICT DO NOTHING",
    )
    .bind(manifest.case_id)
    .bind(&kinds)
    .bind(&values)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE archive_queue SET archived_at = now(), last_error = NULL WHERE case_id = $1",
    )
    .bind(manifest.case_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A package as listed and shown.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PackageRow {
    pub case_id: Uuid,
    pub case_number: String,
    pub unit_code: String,
    pub archived_at: DateTime<Utc>,
    pub retention_class: String,
    pub retain_until: Option<NaiveDate>,
    pub manifest: Value,
    pub manifest_sha256: String,
    pub on_hold: bool,
    pub hold_reason: Option<String>,
    pub hold_by: Option<String>,
    pub hold_at: Option<DateTime<Utc>>,
    pub destroyed_at: Option<DateTime<Utc>>,
}

const PACKAGE_COLUMNS: &str =
    "case_id, case_number, unit_code, archived_at, retention_class, retain_until,
     manifest, manifest_sha256, on_hold, hold_reason, hold_by, hold_at, destroyed_at";

/// A search of the archive: by case number, and/or by petitioners' blind indexes; `unit` limits it
/// to one unit's packages (None: county-wide).
pub struct Search {
    pub case_number: Option<String>,
    pub indexes: Vec<Vec<u8>>,
    pub unit: Option<String>,
    pub limit: i64,
}

pub async fn search(pool: &PgPool, s: &Search) -> Result<Vec<PackageRow>, sqlx::Error> {
    let by_index = !s.indexes.is_empty();
    let sql = format!(
        "SELECT {PACKAGE_COLUMNS} FROM archive_packages p
         WHERE ($1::text IS NULL OR p.case_number = $1)
           AND (NOT $2 OR EXISTS (SELECT 1 FROM archive_petitioners a
                                  WHERE a.case_id = p.case_id AND a.bidx = ANY($3)))
           AND ($4::text IS NULL OR p.unit_code = $4)
         ORDER BY p.archived_at DESC, p.case_id LIMIT $5"
    );
    sqlx::query_as::<_, PackageRow>(sqlx::AssertSqlSafe(sql))
        .bind(&s.case_number)
        .bind(by_index)
        .bind(&s.indexes)
        .bind(&s.unit)
        .bind(s.limit)
        .fetch_all(pool)
        .await
}

pub async fn get(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Option<PackageRow>, sqlx::Error> {
    let sql = format!("SELECT {PACKAGE_COLUMNS} FROM archive_packages WHERE case_id = $1");
    sqlx::query_as::<_, PackageRow>(sqlx::AssertSqlSafe(sql))
        .bind(case_id)
        .fetch_optional(conn)
        .await
}

/// The package, locked for a change.
pub async fn lock(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Option<PackageRow>, sqlx::Error> {
    let sql =
        format!("SELECT {PACKAGE_COLUMNS} FROM archive_packages WHERE case_id = $1 FOR UPDATE");
    sqlx::query_as::<_, PackageRow>(sqlx::AssertSqlSafe(sql))
        .bind(case_id)
        .fetch_optional(conn)
        .await
}

/// A stored file: media type and content (None once destroyed).
#[derive(sqlx::FromRow)]
pub struct FileRow {
    pub media_type: String,
    pub content: Option<Vec<u8>>,
}

pub async fn file(
    conn: &mut PgConnection,
    case_id: Uuid,
    path: &str,
) -> Result<Option<FileRow>, sqlx::Error> {
    sqlx::query_as::<_, FileRow>(
        "SELECT media_type, content FROM archive_files WHERE case_id = $1 AND path = $2",
    )
    .bind(case_id)
    .bind(path)
    .fetch_optional(conn)
    .await
}

pub async fn set_hold(
    conn: &mut PgConnection,
    case_id: Uuid,
    hold: Option<(&str, &str)>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE archive_packages SET on_hold = $2, hold_reason = $3, hold_by = $4,
                hold_at = CASE WHEN $2 THEN now() ELSE NULL END
         WHERE case_id = $1",
    )
    .bind(case_id)
    .bind(hold.is_some())
    .bind(hold.map(|h| h.0))
    .bind(hold.map(|h| h.1))
    .execute(conn)
    .await?;
    Ok(())
}

/// A destruction request and its outcome.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DestructionRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub status: String,
    pub reason: String,
    pub requested_by: String,
    pub requested_unit: String,
    pub requested_at: DateTime<Utc>,
    pub approved_by: Option<String>,
    pub approved_unit: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
    pub manifest_sha256: String,
    pub destroyed_files: Option<Value>,
}

const DESTRUCTION_COLUMNS: &str =
    "id, case_id, status, reason, requested_by, requested_unit, requested_at,
     approved_by, approved_unit, approved_at, comment, manifest_sha256, destroyed_files";

pub async fn pending_request(conn: &mut PgConnection, case_id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM archive_destructions WHERE case_id = $1 AND status = 'pending')",
    )
    .bind(case_id)
    .fetch_one(conn)
    .await
}

pub async fn insert_request(
    conn: &mut PgConnection,
    case_id: Uuid,
    reason: &str,
    by: &str,
    unit: &str,
    manifest_sha256: &str,
) -> Result<DestructionRow, sqlx::Error> {
    let sql = format!(
        "INSERT INTO archive_destructions (id, case_id, status, reason, requested_by, requested_unit, manifest_sha256)
         VALUES ($1, $2, 'pending', $3, $4, $5, $6) RETURNING {DESTRUCTION_COLUMNS}"
    );
    sqlx::query_as::<_, DestructionRow>(sqlx::AssertSqlSafe(sql))
        .bind(Uuid::now_v7())
        .bind(case_id)
        .bind(reason)
        .bind(by)
        .bind(unit)
        .bind(manifest_sha256)
        .fetch_one(conn)
        .await
}

pub async fn lock_request(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<DestructionRow>, sqlx::Error> {
    let sql =
        format!("SELECT {DESTRUCTION_COLUMNS} FROM archive_destructions WHERE id = $1 FOR UPDATE");
    sqlx::query_as::<_, DestructionRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn requests_of(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Vec<DestructionRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {DESTRUCTION_COLUMNS} FROM archive_destructions WHERE case_id = $1 ORDER BY requested_at, id"
    );
    sqlx::query_as::<_, DestructionRow>(sqlx::AssertSqlSafe(sql))
        .bind(case_id)
        .fetch_all(conn)
        .await
}

/// Destroy a package's content (its files' bytes, the petitioners' indexes, the case's printed
/// documents) and record the approval with the list of what was destroyed (paths and hashes).
pub async fn destroy(
    conn: &mut PgConnection,
    request_id: Uuid,
    case_id: Uuid,
    approver: &str,
    approver_unit: &str,
    comment: Option<&str>,
) -> Result<DestructionRow, sqlx::Error> {
    let destroyed: Value = sqlx::query_scalar(
        "WITH d AS (UPDATE archive_files SET content = NULL
                    WHERE case_id = $1 AND content IS NOT NULL
                    RETURNING path, size_bytes, sha256)
         SELECT coalesce(jsonb_agg(to_jsonb(d) ORDER BY d.path), '[]'::jsonb) FROM d",
    )
    .bind(case_id)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM archive_petitioners WHERE case_id = $1")
        .bind(case_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM documents WHERE case_id = $1")
        .bind(case_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE archive_packages SET destroyed_at = now() WHERE case_id = $1")
        .bind(case_id)
        .execute(&mut *conn)
        .await?;
    let sql = format!(
        "UPDATE archive_destructions SET status = 'approved', approved_by = $2, approved_unit = $3,
                approved_at = now(), comment = $4, destroyed_files = $5
         WHERE id = $1 RETURNING {DESTRUCTION_COLUMNS}"
    );
    sqlx::query_as::<_, DestructionRow>(sqlx::AssertSqlSafe(sql))
        .bind(request_id)
        .bind(approver)
        .bind(approver_unit)
        .bind(comment)
        .bind(destroyed)
        .fetch_one(conn)
        .await
}

/// The packages' case ids, oldest first (for a check of every package).
pub async fn package_ids(pool: &PgPool) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT case_id FROM archive_packages ORDER BY archived_at, case_id")
        .fetch_all(pool)
        .await
}

/// A stored file with its recorded size and hash.
#[derive(sqlx::FromRow)]
pub struct StoredFile {
    pub path: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub content: Option<Vec<u8>>,
}

pub async fn files_of(pool: &PgPool, case_id: Uuid) -> Result<Vec<StoredFile>, sqlx::Error> {
    sqlx::query_as::<_, StoredFile>(
        "SELECT path, media_type, size_bytes, sha256, content FROM archive_files
         WHERE case_id = $1 ORDER BY path",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await
}

/// Check a stored package (档案校验): for a live package, `manifest.json` hashes to the recorded
/// manifest hash, every file listed is present with its size and SHA-256, nothing unlisted, and
/// both audit trails' chain proofs verify; for a destroyed one, no content is left and the
/// manifest still lists every file with the hash recorded. `Ok(files checked)` or what is wrong.
pub async fn check_package(
    pool: &PgPool,
    case_id: Uuid,
) -> Result<Result<usize, String>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let Some(p) = get(&mut conn, case_id).await? else {
        return Ok(Err("没有该档案".into()));
    };
    drop(conn);
    let stored = files_of(pool, case_id).await?;
    let manifest: Manifest = match serde_json::from_value(p.manifest.clone()) {
        Ok(m) => m,
        Err(e) => return Ok(Err(format!("清单无法解读：{e}"))),
    };
    if p.destroyed_at.is_some() {
        if stored.iter().any(|f| f.content.is_some()) {
            return Ok(Err("已销毁的档案仍有内容".into()));
        }
        for e in &manifest.files {
            if !stored
                .iter()
                .any(|f| f.path == e.path && f.sha256 == e.sha256)
            {
                return Ok(Err(format!("销毁记录缺少文件 {} 的校验值", e.path)));
            }
        }
        return Ok(Ok(stored.len()));
    }
    let mut files = Vec::with_capacity(stored.len());
    for f in stored {
        let Some(content) = f.content else {
            return Ok(Err(format!("文件 {} 缺少内容", f.path)));
        };
        if content.len() as i64 != f.size_bytes || super::domain::sha256_hex(&content) != f.sha256 {
            return Ok(Err(format!("文件 {} 与其记录的校验值不符", f.path)));
        }
        files.push(PackageFile {
            path: f.path,
            media_type: f.media_type,
            content,
        });
    }
    let Some(manifest_file) = files.iter().find(|f| f.path == "manifest.json") else {
        return Ok(Err("缺少 manifest.json".into()));
    };
    if manifest_file.sha256() != p.manifest_sha256 {
        return Ok(Err("manifest.json 与记录的清单校验值不符".into()));
    }
    match serde_json::from_slice::<Manifest>(&manifest_file.content) {
        Ok(m) if m == manifest => {}
        _ => return Ok(Err("manifest.json 与数据库中的清单不一致".into())),
    }
    if let Err(e) = manifest.verify(&files) {
        return Ok(Err(e));
    }
    for f in files.iter().filter(|f| f.path.starts_with("audit/")) {
        let trail: xinfang_platform::audit_trail::CaseTrail =
            match serde_json::from_slice(&f.content) {
                Ok(t) => t,
                Err(e) => return Ok(Err(format!("{} 无法解读：{e}", f.path))),
            };
        if trail.case_id != case_id {
            return Ok(Err(format!("{} 不属于本案", f.path)));
        }
        if let Err(e) = xinfang_platform::audit_trail::verify_trail(&trail) {
            return Ok(Err(format!("{}：{e}", f.path)));
        }
    }
    Ok(Ok(files.len()))
}
