//! `xinfangctl directory republish` (重新发布单位目录): write an announcement of every unit into the
//! console's outbox; the console's relay publishes it and every service's copy catches up (a copy
//! keeps a record only when it is newer than its own, so nothing moves back). For a service that
//! joined the deployment later or restored its database from a backup.

use std::path::Path;

use serde_json::json;
use xinfang_contracts::Producer;

use crate::{
    cli::DirectoryRepublishArgs,
    context,
    error::{CliError, CliResult, OK},
    output,
};

pub async fn republish(config_dir: Option<&Path>, args: &DirectoryRepublishArgs) -> CliResult {
    let service = Producer::Console;
    let settings = context::load_settings(config_dir, service)?;
    let pool = context::connect_database(&settings, service).await?;
    let by = format!("ops:{}", args.operator);
    let result = console::events::unit_changed::republish_all(&pool, None, &by, "").await;
    pool.close().await;
    let units = result.map_err(|e| {
        CliError::database(
            "写入单位目录发布失败 cannot write the announcement",
            service.as_str(),
            &e,
        )
    })?;
    if args.json {
        println!("{}", output::json(&json!({ "units": units })));
    } else {
        println!("已写入 {units} 个单位的发布事件，由控制台的发件箱发布 (announced {units} units)");
    }
    Ok(OK)
}
