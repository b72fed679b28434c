//! `xinfangctl pii rotate` (个人信息密钥轮换): re-seal intake's stored personal data under the
//! configured current key version, while the services run. See
//! `xinfang_platform::pii_rotation` for how, and deploy/README.md for the procedure.

use std::{path::Path, time::Duration};

use serde::Deserialize;
use serde_json::json;
use xinfang_contracts::Producer;
use xinfang_messaging::UnitOfWork;
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    pii::{PiiSettings, PiiVault},
    pii_rotation::{self, RotationOptions, SealedTable},
    settings,
};

use crate::{
    cli::PiiRotateArgs,
    context,
    error::{CliError, CliResult, CHECK_FAILED, OK},
};

/// Intake's tables with sealed columns (intake/migrations/0002_intake.sql,
/// 0007_petitioner_contacts.sql).
pub const INTAKE_SEALED: &[SealedTable] = &[
    SealedTable {
        table: "petitioners",
        columns: &["id_number", "phone", "address"],
    },
    SealedTable {
        table: "petitioner_contacts",
        columns: &["email"],
    },
];

#[derive(Deserialize)]
struct IntakePii {
    intake: IntakePiiSection,
}

#[derive(Deserialize)]
struct IntakePiiSection {
    pii: PiiSettings,
}

pub async fn rotate(config_dir: Option<&Path>, args: &PiiRotateArgs) -> CliResult {
    let service = Producer::Intake;
    let platform = context::load_settings(config_dir, service)?;
    let dir = context::config_dir(config_dir, service);
    let pii: IntakePii = settings::load(&dir)
        .map_err(|e| CliError::usage(format!("intake.pii: {e} (config dir {})", dir.display())))?;
    let vault = PiiVault::new(&pii.intake.pii).map_err(|e| CliError::usage(e.to_string()))?;
    let pool = context::connect_database(&platform, service).await?;
    let options = RotationOptions {
        batch_size: args.batch_size,
        max_batches: args.max_batches,
        locked_wait: Duration::from_secs(args.locked_wait_secs),
    };
    let mut reports = Vec::new();
    for table in INTAKE_SEALED {
        let r = pii_rotation::rotate(&pool, &vault, table, options)
            .await
            .map_err(|e| match e {
                pii_rotation::RotationError::Database(e) => CliError::database(
                    "密钥轮换失败 rotation failed",
                    service.as_str(),
                    &e,
                ),
                other => CliError {
                    code: CHECK_FAILED,
                    message: format!(
                        "密钥轮换失败 rotation failed: {other} (is the old key under intake.pii.previous_keys?)"
                    ),
                },
            })?;
        reports.push(r);
    }
    // One audit row per run (审计): who cannot be known here, the run is the system's.
    let resealed: u64 = reports.iter().map(|r| r.resealed).sum();
    if resealed > 0 {
        let audited = async {
            let mut tx = pool.begin().await?;
            let mut uow = UnitOfWork::immediate(&mut tx);
            uow.audit(AuditEntry::system(
                "intake",
                "pii.rotate",
                None,
                json!({ "key_version": vault.key_version(), "resealed": resealed }),
            ))
            .await?;
            drop(uow);
            tx.commit().await
        }
        .await;
        audited.map_err(|e| CliError::database("审计失败 audit failed", service.as_str(), &e))?;
    }
    pool.close().await;
    let remaining: i64 = reports.iter().map(|r| r.remaining).sum();
    if args.json {
        println!("{}", crate::output::json(&json!(reports)));
    } else {
        for r in &reports {
            println!(
                "[intake] {}: {} rows re-sealed under key version {} in {} batches; {} rows still under other versions{}",
                r.table,
                r.resealed,
                r.key_version,
                r.batches,
                r.remaining,
                if r.remaining == 0 {
                    " — complete (轮换完成)"
                } else {
                    " — run again to continue (未完成，可再次运行继续)"
                }
            );
        }
    }
    Ok(if remaining == 0 { OK } else { CHECK_FAILED })
}
