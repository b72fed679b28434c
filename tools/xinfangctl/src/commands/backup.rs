//! `xinfangctl backup` / `xinfangctl restore` (数据库备份与恢复).
//!
//! A backup of a service is two files in the output directory:
//! - `<service>.dump`: `pg_dump --format=custom` of the service's whole database (its tables, the
//!   outbox `outbox`, the inbox `processed_events`, the dead letters, the audit log and the
//!   idempotency keys, with the migration history), and
//! - `<service>.manifest.json`: the row count of every table and the audit-chain verification,
//!   taken in the **same snapshot** as the dump (`pg_export_snapshot` + `pg_dump --snapshot`), so
//!   the counts are exact while the service keeps writing.
//!
//! `restore` creates a fresh database (refusing one that exists, unless `--replace`), loads the
//! dump with `pg_restore --exit-on-error`, and checks the result against the manifest: every
//! table's count and the audit chains. Exit code 1 when a check fails.

use std::{collections::BTreeMap, path::Path, process::Stdio};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{postgres::PgConnectOptions, Connection, Executor, PgConnection, Row};
use xinfang_contracts::Producer;
use xinfang_platform::{audit, settings::DatabaseSettings, PlatformSettings};

use crate::{
    cli::{BackupArgs, RestoreArgs},
    context,
    error::{CliError, CliResult, CHECK_FAILED, OK},
};

/// What a backup recorded beside its dump.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub service: String,
    pub database: String,
    pub taken_at: DateTime<Utc>,
    /// `schema.table` → rows, in the dump's snapshot.
    pub tables: BTreeMap<String, i64>,
    pub audit_rows: u64,
    pub audit_ok: bool,
    pub dump_file: String,
    pub dump_bytes: u64,
}

fn targets(service: Option<Producer>, all: bool) -> Vec<Producer> {
    match (service, all) {
        (Some(s), _) => vec![s],
        (None, _) => Producer::ALL.to_vec(),
    }
}

/// The libpq environment of `db` (for pg_dump / pg_restore), never on the command line.
fn pg_env(cmd: &mut tokio::process::Command, db: &DatabaseSettings, database: &str) {
    use secrecy::ExposeSecret;
    cmd.env("PGHOST", &db.host)
        .env("PGPORT", db.port.to_string())
        .env("PGUSER", &db.username)
        .env("PGDATABASE", database)
        .env(
            "PGSSLMODE",
            if db.require_ssl { "require" } else { "prefer" },
        )
        .env(
            "PGCONNECT_TIMEOUT",
            db.acquire_timeout_secs.max(1).to_string(),
        );
    let password = db.password.expose_secret();
    if !password.is_empty() {
        cmd.env("PGPASSWORD", password);
    }
}

async fn run_tool(mut cmd: tokio::process::Command, what: &str) -> CliResult<()> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| {
            CliError::usage(format!(
                "{what} 无法运行 cannot run ({e}); install the PostgreSQL client tools (Debian: postgresql-client)"
            ))
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(CliError::unreachable(format!(
            "{what} 失败 failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Every user table and its row count, on `conn` (inside the caller's snapshot).
async fn count_tables(conn: &mut PgConnection) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables \
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut counts = BTreeMap::new();
    for name in names {
        let n: i64 = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {name}")))
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        counts.insert(name, n);
    }
    Ok(counts)
}

fn options(settings: &PlatformSettings, database: &str) -> PgConnectOptions {
    settings.database.with_db().database(database)
}

#[tracing::instrument(skip(settings), fields(service = %service))]
async fn backup_one(
    settings: &PlatformSettings,
    service: Producer,
    out: &Path,
) -> CliResult<Manifest> {
    let db = &settings.database;
    let fail = |e: sqlx::Error| CliError::database("备份失败 backup failed", service.as_str(), &e);
    let mut conn = PgConnection::connect_with(&db.with_db())
        .await
        .map_err(fail)?;
    // One snapshot for the counts and the dump.
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await
        .map_err(fail)?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
        .fetch_one(&mut conn)
        .await
        .map_err(fail)?;
    let tables = count_tables(&mut conn).await.map_err(fail)?;
    let dump_file = format!("{}.dump", service.as_str());
    let dump_path = out.join(&dump_file);
    let mut cmd = tokio::process::Command::new("pg_dump");
    pg_env(&mut cmd, db, &db.database_name);
    cmd.arg("--format=custom")
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg(format!("--snapshot={snapshot}"))
        .arg("--file")
        .arg(&dump_path);
    let dumped = run_tool(cmd, "pg_dump").await;
    conn.execute("COMMIT").await.map_err(fail)?;
    dumped?;
    let _ = conn.close().await;
    // The audit chain as of now (a superset of the snapshot's rows: a chain that verifies now
    // verified at the snapshot).
    let pool = context::connect_database(settings, service).await?;
    let verification = audit::verify(&pool).await.map_err(fail);
    pool.close().await;
    let verification = verification?;
    let dump_bytes = std::fs::metadata(&dump_path).map(|m| m.len()).unwrap_or(0);
    let manifest = Manifest {
        service: service.as_str().to_string(),
        database: db.database_name.clone(),
        taken_at: Utc::now(),
        audit_rows: verification.rows_checked,
        audit_ok: verification.first_break.is_none(),
        tables,
        dump_file,
        dump_bytes,
    };
    let text = serde_json::to_string_pretty(&manifest)
        .map_err(|e| CliError::usage(format!("manifest: {e}")))?;
    std::fs::write(
        out.join(format!("{}.manifest.json", service.as_str())),
        text,
    )
    .map_err(|e| {
        CliError::usage(format!(
            "cannot write the manifest into {}: {e}",
            out.display()
        ))
    })?;
    Ok(manifest)
}

pub async fn backup(config_dir: Option<&Path>, args: &BackupArgs) -> CliResult {
    std::fs::create_dir_all(&args.out)
        .map_err(|e| CliError::usage(format!("cannot create {}: {e}", args.out.display())))?;
    let mut reports = Vec::new();
    for service in targets(args.service, args.all) {
        let settings = context::load_settings(config_dir, service)?;
        let m = backup_one(&settings, service, &args.out).await?;
        let rows: i64 = m.tables.values().sum();
        if !args.json {
            println!(
                "[{service}] backup OK (备份完成): {} ({} bytes), {} tables, {rows} rows, outbox {}, inbox {}, audit {} rows{}",
                args.out.join(&m.dump_file).display(),
                m.dump_bytes,
                m.tables.len(),
                m.tables.get("public.outbox").copied().unwrap_or(0),
                m.tables.get("public.processed_events").copied().unwrap_or(0),
                m.audit_rows,
                if m.audit_ok { "" } else { " — AUDIT CHAIN BROKEN at backup time (审计链已损坏)" },
            );
        }
        reports.push(m);
    }
    if args.json {
        println!("{}", crate::output::json(&json!(reports)));
    }
    Ok(OK)
}

/// The outcome of restoring one service.
#[derive(Debug, Serialize)]
struct RestoreReport {
    service: String,
    database: String,
    tables_checked: usize,
    count_mismatches: Vec<String>,
    audit_rows: u64,
    audit_ok: bool,
}

async fn database_exists(settings: &PlatformSettings, name: &str) -> Result<bool, sqlx::Error> {
    let mut admin = PgConnection::connect_with(&settings.database.without_db()).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut admin)
            .await?;
    let _ = admin.close().await;
    Ok(exists)
}

async fn recreate_database(
    settings: &PlatformSettings,
    name: &str,
    replace: bool,
) -> Result<(), sqlx::Error> {
    let mut admin = PgConnection::connect_with(&settings.database.without_db()).await?;
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    if replace {
        admin
            .execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"
            )))
            .await?;
    }
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {quoted}")))
        .await?;
    let _ = admin.close().await;
    Ok(())
}

#[tracing::instrument(skip(settings, args), fields(service = %service))]
async fn restore_one(
    settings: &PlatformSettings,
    service: Producer,
    args: &RestoreArgs,
) -> CliResult<RestoreReport> {
    let fail = |e: sqlx::Error| CliError::database("恢复失败 restore failed", service.as_str(), &e);
    let manifest_path = args
        .from
        .join(format!("{}.manifest.json", service.as_str()));
    let manifest: Manifest = std::fs::read_to_string(&manifest_path)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", manifest_path.display())))
        .and_then(|t| {
            serde_json::from_str(&t).map_err(|e| {
                CliError::usage(format!(
                    "{} is not a backup manifest: {e}",
                    manifest_path.display()
                ))
            })
        })?;
    let target = match (&args.database, &args.suffix) {
        (Some(name), _) => name.clone(),
        (None, Some(suffix)) => format!("{}{suffix}", settings.database.database_name),
        (None, None) => settings.database.database_name.clone(),
    };
    if database_exists(settings, &target).await.map_err(fail)? && !args.replace {
        return Err(CliError::usage(format!(
            "数据库已存在 database \"{target}\" exists: restore into a fresh one (--database / --suffix) or pass --replace (drops it)"
        )));
    }
    recreate_database(settings, &target, args.replace)
        .await
        .map_err(fail)?;
    let mut cmd = tokio::process::Command::new("pg_restore");
    pg_env(&mut cmd, &settings.database, &target);
    cmd.arg("--exit-on-error")
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg("--single-transaction")
        .arg("--dbname")
        .arg(&target)
        .arg(args.from.join(&manifest.dump_file));
    run_tool(cmd, "pg_restore").await?;

    let mut conn = PgConnection::connect_with(&options(settings, &target))
        .await
        .map_err(fail)?;
    let counts = count_tables(&mut conn).await.map_err(fail)?;
    let _ = conn.close().await;
    let mut count_mismatches = Vec::new();
    for (table, expected) in &manifest.tables {
        match counts.get(table) {
            Some(n) if n == expected => {}
            Some(n) => count_mismatches.push(format!("{table}: {n} rows, backup had {expected}")),
            None => count_mismatches.push(format!("{table}: missing")),
        }
    }
    for table in counts.keys().filter(|t| !manifest.tables.contains_key(*t)) {
        count_mismatches.push(format!("{table}: not in the backup"));
    }
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options(settings, &target))
        .await
        .map_err(fail)?;
    let verification = audit::verify(&pool).await.map_err(fail);
    pool.close().await;
    let verification = verification?;
    Ok(RestoreReport {
        service: service.as_str().to_string(),
        database: target,
        tables_checked: manifest.tables.len(),
        count_mismatches,
        audit_rows: verification.rows_checked,
        audit_ok: verification.first_break.is_none()
            && verification.rows_checked == manifest.audit_rows,
    })
}

pub async fn restore(config_dir: Option<&Path>, args: &RestoreArgs) -> CliResult {
    if args.all && args.database.is_some() {
        return Err(CliError::usage(
            "--database names one database: use it with --service, or --suffix with --all",
        ));
    }
    let mut code = OK;
    let mut reports = Vec::new();
    for service in targets(args.service, args.all) {
        let settings = context::load_settings(config_dir, service)?;
        let r = restore_one(&settings, service, args).await?;
        let ok = r.count_mismatches.is_empty() && r.audit_ok;
        if !ok {
            code = CHECK_FAILED;
        }
        if !args.json {
            if ok {
                println!(
                    "[{service}] restore OK (恢复完成) into \"{}\": {} tables with the backup's counts, audit chain intact ({} rows)",
                    r.database, r.tables_checked, r.audit_rows
                );
            } else {
                println!(
                    "[{service}] restore CHECK FAILED (恢复校验未通过) into \"{}\": {}{}",
                    r.database,
                    r.count_mismatches.join("; "),
                    if r.audit_ok {
                        String::new()
                    } else {
                        format!("; audit chain broken or incomplete ({} rows)", r.audit_rows)
                    }
                );
            }
        }
        reports.push(r);
    }
    if args.json {
        println!("{}", crate::output::json(&json!(reports)));
    }
    Ok(code)
}
