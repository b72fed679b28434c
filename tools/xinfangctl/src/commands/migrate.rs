//! `xinfangctl migrate` (数据库迁移).

use std::{collections::HashSet, path::Path};

use sqlx::{migrate::Migrator, Connection, PgConnection, PgPool};
use xinfang_contracts::Producer;
use xinfang_platform::{runtime, settings::DatabaseSettings};

use crate::{
    cli::MigrateArgs,
    context,
    error::{CliError, CliResult, OK},
};

pub async fn run(config_dir: Option<&Path>, args: &MigrateArgs) -> CliResult {
    match (args.all, args.service) {
        (false, Some(service)) => migrate_one(config_dir, service).await.map(|()| OK),
        _ => {
            // Every service, each on its own: one failure does not stop the others.
            let mut code = OK;
            for service in Producer::ALL {
                if let Err(e) = migrate_one(config_dir, service).await {
                    eprintln!("[{service}] 失败 failed: {e}");
                    if code == OK {
                        code = e.code;
                    }
                }
            }
            Ok(code)
        }
    }
}

async fn migrate_one(config_dir: Option<&Path>, service: Producer) -> CliResult<()> {
    let settings = context::load_settings(config_dir, service)?;
    let db = &settings.database;
    let existed = database_exists(db, service).await?;
    if !existed {
        runtime::ensure_database(db).await.map_err(|e| {
            CliError::unreachable(format!(
                "无法创建数据库 cannot create database \"{}\": {e:#}",
                db.database_name
            ))
        })?;
    }
    println!(
        "[{service}] database {}: {}",
        db.database_name,
        if existed {
            "exists (已存在)"
        } else {
            "created (已新建)"
        }
    );
    let pool = context::connect_database(&settings, service).await?;
    let service_migrator = context::service_migrator(service);
    let messaging = xinfang_messaging::migrator();
    let platform = xinfang_platform::migrator();
    let sets: [(&str, &Migrator); 3] = [
        ("messaging", &messaging),
        ("platform", &platform),
        (service.as_str(), service_migrator),
    ];
    let mut before = Vec::new();
    for (_, m) in &sets {
        before.push(applied_versions(&pool, m, service).await?);
    }
    let result = runtime::migrate(&pool, service_migrator).await;
    if let Err(e) = result {
        pool.close().await;
        return Err(migrate_error(service, e));
    }
    let width = sets.iter().map(|(l, _)| l.len()).max().unwrap_or(0) + 1;
    for ((label, m), before) in sets.iter().zip(before) {
        let new: Vec<String> = m
            .iter()
            .filter(|x| !x.migration_type.is_down_migration() && !before.contains(&x.version))
            .map(|x| format!("{:04} {}", x.version, x.description))
            .collect();
        let label = format!("{label}:");
        if new.is_empty() {
            println!(
                "[{service}] {label:<width$} up to date (已是最新, {} applied)",
                before.len()
            );
        } else {
            println!(
                "[{service}] {label:<width$} applied (已应用) {}",
                new.join(", ")
            );
        }
    }
    pool.close().await;
    Ok(())
}

/// Does the database exist? (Asked of the `postgres` maintenance database.)
async fn database_exists(db: &DatabaseSettings, service: Producer) -> CliResult<bool> {
    let unreachable = |e: sqlx::Error| {
        CliError::database(
            &format!(
                "无法连接数据库服务器 cannot reach the database server at {}:{}",
                db.host, db.port
            ),
            service.as_str(),
            &e,
        )
    };
    let mut conn = PgConnection::connect_with(&db.without_db().database("postgres"))
        .await
        .map_err(unreachable)?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&db.database_name)
            .fetch_one(&mut conn)
            .await
            .map_err(unreachable)?;
    let _ = conn.close().await;
    Ok(exists)
}

/// Versions already applied from `migrator` (none when its bookkeeping table does not exist yet).
async fn applied_versions(
    pool: &PgPool,
    migrator: &Migrator,
    service: Producer,
) -> CliResult<HashSet<i64>> {
    let table: &str = &migrator.table_name;
    let err =
        |e: sqlx::Error| CliError::database("数据库查询失败 query failed", service.as_str(), &e);
    let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(table)
        .fetch_one(pool)
        .await
        .map_err(err)?;
    if !exists {
        return Ok(HashSet::new());
    }
    let table = table.replace('"', "\"\"");
    let versions: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        r#"SELECT version FROM "{table}" WHERE success"#
    )))
    .fetch_all(pool)
    .await
    .map_err(err)?;
    Ok(versions.into_iter().collect())
}

/// Execution failures are database trouble (3); a changed, missing or dirty migration is a
/// mismatch between this build and the database (2).
fn migrate_error(service: Producer, e: anyhow::Error) -> CliError {
    use sqlx::migrate::MigrateError;
    let message = format!("迁移失败 migration failed: {e:#}");
    match e.downcast_ref::<MigrateError>() {
        Some(MigrateError::Execute(_)) | Some(MigrateError::ExecuteMigration(..)) | None => {
            CliError::unreachable(message)
        }
        Some(_) => CliError::usage(format!(
            "{message}\n提示 hint: the database's migration history of {service} does not match this build"
        )),
    }
}
