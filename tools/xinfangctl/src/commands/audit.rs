//! `xinfangctl audit verify` (审计日志校验).

use std::path::Path;

use serde_json::json;
use xinfang_platform::audit;

use crate::{
    cli::AuditVerifyArgs,
    context,
    error::{CliError, CliResult, CHECK_FAILED, OK},
};

pub async fn verify(config_dir: Option<&Path>, args: &AuditVerifyArgs) -> CliResult {
    let service = args.service;
    let settings = context::load_settings(config_dir, service)?;
    let pool = context::connect_database(&settings, service).await?;
    let result = audit::verify(&pool).await;
    pool.close().await;
    let v = result.map_err(|e| {
        CliError::database(
            "读取审计日志失败 cannot read the audit log",
            service.as_str(),
            &e,
        )
    })?;
    let code = if v.first_break.is_some() {
        CHECK_FAILED
    } else {
        OK
    };
    if args.json {
        let out = json!({
            "service": service.as_str(),
            "ok": v.first_break.is_none(),
            "rows_checked": v.rows_checked,
            "first_break": v.first_break,
        });
        println!("{}", crate::output::json(&out));
        return Ok(code);
    }
    match &v.first_break {
        None => println!(
            "[{service}] audit log OK (审计日志完好): {} rows checked",
            v.rows_checked
        ),
        Some(b) => println!(
            "[{service}] audit log BROKEN (审计日志被篡改或缺失): first broken row seq {} (chain {}, chain_seq {}): {}; {} rows checked",
            b.seq, b.chain, b.chain_seq, b.reason, v.rows_checked
        ),
    }
    Ok(code)
}
