//! Re-sealing personal data under the current key (个人信息密钥轮换).
//!
//! After a new key version is configured (the new key as `pii.encryption_key` / `key_version`, the
//! old one under `pii.previous_keys`) and the services restarted, new values are sealed with the
//! new key while older rows still open with the old one. [`rotate`] then re-seals every row of a
//! table that is still under another version, in small transactions:
//!
//! - rows are claimed with `FOR UPDATE SKIP LOCKED`, so a row a running service is writing is
//!   skipped and taken in a later round, and the service never waits on the rotation;
//! - each row is opened with its own version and sealed with the current one, with the same
//!   additional data (table, column, row id), and its `key_version` set in the same `UPDATE`;
//! - progress is the data itself (`key_version`): an interrupted run (killed, database restart)
//!   resumes where it stopped, and running it twice re-seals nothing twice.
//!
//! The blind index (HMAC) is not touched: its key is separate and does not rotate here.

use std::time::Duration;

use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::pii::{Aad, PiiError, PiiVault, PlainPii};

/// A table holding sealed values: `id UUID`, `key_version SMALLINT` and, per column `c`, a
/// `c_enc BYTEA` sealed with `Aad { table, column: c, row_id: id }`.
#[derive(Debug, Clone, Copy)]
pub struct SealedTable {
    pub table: &'static str,
    pub columns: &'static [&'static str],
}

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RotationReport {
    pub table: String,
    pub key_version: i16,
    /// Rows re-sealed by this run.
    pub resealed: u64,
    /// Rows under another version when the run ended (0 when complete).
    pub remaining: i64,
    /// Transactions committed.
    pub batches: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error("数据库错误 database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{table}.{column} of row {row}: {source}")]
    Pii {
        table: &'static str,
        column: &'static str,
        row: Uuid,
        source: PiiError,
    },
}

/// Limits of one run.
#[derive(Debug, Clone, Copy)]
pub struct RotationOptions {
    pub batch_size: i64,
    /// Stop after this many batches (`None`: until done). Lets an operator spread the work.
    pub max_batches: Option<u64>,
    /// How long to keep retrying rows that stay locked by the services before giving up.
    pub locked_wait: Duration,
}

impl Default for RotationOptions {
    fn default() -> Self {
        RotationOptions {
            batch_size: 500,
            max_batches: None,
            locked_wait: Duration::from_secs(30),
        }
    }
}

async fn remaining(pool: &PgPool, t: &SealedTable, version: i16) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM {} WHERE key_version <> $1",
        t.table
    )))
    .bind(version)
    .fetch_one(pool)
    .await
}

/// One transaction: claim up to `batch_size` rows under another version and re-seal them.
async fn batch(
    pool: &PgPool,
    vault: &PiiVault,
    t: &SealedTable,
    batch_size: i64,
) -> Result<u64, RotationError> {
    let version = vault.key_version();
    let enc: Vec<String> = t.columns.iter().map(|c| format!("{c}_enc")).collect();
    let mut tx = pool.begin().await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, key_version, {} FROM {} WHERE key_version <> $1 \
         ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
        enc.join(", "),
        t.table
    )))
    .bind(version)
    .bind(batch_size)
    .fetch_all(&mut *tx)
    .await?;
    let set = enc
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let update = format!(
        "UPDATE {} SET key_version = $2, {set} WHERE id = $1",
        t.table
    );
    let mut done = 0;
    for row in &rows {
        let id: Uuid = row.try_get("id")?;
        let old: i16 = row.try_get("key_version")?;
        let mut q = sqlx::query(sqlx::AssertSqlSafe(update.clone()))
            .bind(id)
            .bind(version);
        for (column, enc_column) in t.columns.iter().zip(&enc) {
            let sealed: Option<Vec<u8>> = row.try_get(enc_column.as_str())?;
            let aad = Aad {
                table: t.table,
                column,
                row_id: id,
            };
            let fail = |source| RotationError::Pii {
                table: t.table,
                column,
                row: id,
                source,
            };
            let resealed = match sealed {
                None => None,
                Some(bytes) => {
                    let plain: PlainPii = vault.open(old, &bytes, aad).map_err(fail)?;
                    Some(vault.seal(&plain, aad).map_err(fail)?.bytes)
                }
            };
            q = q.bind(resealed);
        }
        q.execute(&mut *tx).await?;
        done += 1;
    }
    tx.commit().await?;
    Ok(done)
}

/// Re-seal every row of `t` under the vault's current key version (see the module docs).
#[tracing::instrument(skip(pool, vault), fields(table = t.table, key_version = vault.key_version()))]
pub async fn rotate(
    pool: &PgPool,
    vault: &PiiVault,
    t: &SealedTable,
    options: RotationOptions,
) -> Result<RotationReport, RotationError> {
    let mut report = RotationReport {
        table: t.table.to_string(),
        key_version: vault.key_version(),
        ..Default::default()
    };
    let mut locked_since: Option<tokio::time::Instant> = None;
    loop {
        if options.max_batches.is_some_and(|m| report.batches >= m) {
            break;
        }
        let n = batch(pool, vault, t, options.batch_size.max(1)).await?;
        if n > 0 {
            report.resealed += n;
            report.batches += 1;
            locked_since = None;
            continue;
        }
        // Nothing claimable: done, or the rest is locked by the services for a moment.
        if remaining(pool, t, vault.key_version()).await? == 0 {
            break;
        }
        let since = *locked_since.get_or_insert_with(tokio::time::Instant::now);
        if since.elapsed() >= options.locked_wait {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    report.remaining = remaining(pool, t, vault.key_version()).await?;
    tracing::info!(
        resealed = report.resealed,
        remaining = report.remaining,
        "pii rotation pass ended"
    );
    Ok(report)
}
