//! `xinfangctl archive verify` (档案校验): checks notification's archive packages offline — every
//! file against the manifest's SHA-256, the manifest against its recorded hash, both audit trails'
//! chain proofs — or, for a destroyed package, that no content is left and the hashes remain.

use std::path::Path;

use serde_json::json;
use xinfang_contracts::Producer;

use crate::{
    cli::ArchiveVerifyArgs,
    context,
    error::{CliError, CliResult, CHECK_FAILED, OK},
};

pub async fn verify(config_dir: Option<&Path>, args: &ArchiveVerifyArgs) -> CliResult {
    let service = Producer::Notification;
    let settings = context::load_settings(config_dir, service)?;
    let pool = context::connect_database(&settings, service).await?;
    let read = |e: sqlx::Error| {
        CliError::database("读取档案失败 cannot read the archive", service.as_str(), &e)
    };
    let ids = match args.case {
        Some(id) => vec![id],
        None => notification::archive::store::package_ids(&pool)
            .await
            .map_err(read)?,
    };
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        let r = notification::archive::store::check_package(&pool, id)
            .await
            .map_err(read)?;
        results.push((id, r));
    }
    pool.close().await;
    let broken = results.iter().filter(|(_, r)| r.is_err()).count();
    if args.json {
        let out = json!({
            "ok": broken == 0,
            "packages_checked": results.len(),
            "broken": results.iter().filter_map(|(id, r)| r.as_ref().err().map(|e| json!({ "case_id": id, "reason": e }))).collect::<Vec<_>>(),
        });
        println!("{}", crate::output::json(&out));
    } else {
        for (id, r) in &results {
            match r {
                Ok(n) => println!("{id} OK (档案完好): {n} files"),
                Err(e) => println!("{id} BROKEN (档案异常): {e}"),
            }
        }
        println!("{} packages checked, {} broken", results.len(), broken);
    }
    Ok(if broken == 0 { OK } else { CHECK_FAILED })
}
