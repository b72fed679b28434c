//! `xinfangctl outbox` (发件箱积压).

use std::path::Path;

use serde_json::json;
use xinfang_messaging::{outbox, Outbox};

use crate::{
    cli::OutboxArgs,
    context,
    error::{CliError, CliResult, OK},
    output,
};

pub async fn run(config_dir: Option<&Path>, args: &OutboxArgs) -> CliResult {
    let service = args.service;
    let settings = context::load_settings(config_dir, service)?;
    let pool = context::connect_database(&settings, service).await?;
    let err = |e: sqlx::Error| {
        CliError::database(
            "读取发件箱失败 cannot read the outbox",
            service.as_str(),
            &e,
        )
    };
    let read = async {
        let backlog = Outbox::backlog(&pool).await.map_err(err)?;
        let pending = outbox::pending(&pool, args.limit).await.map_err(err)?;
        Ok::<_, CliError>((backlog, pending))
    }
    .await;
    pool.close().await;
    let ((count, oldest_age_secs), pending) = read?;

    if args.json {
        let v = json!({
            "service": service.as_str(),
            "backlog": count,
            "oldest_age_secs": oldest_age_secs,
            "pending": pending,
        });
        println!("{}", crate::output::json(&v));
        return Ok(OK);
    }
    println!("[{service}] outbox backlog (待发送): {count}");
    if count == 0 {
        return Ok(OK);
    }
    println!(
        "[{service}] oldest pending (最早待发送): {} ({oldest_age_secs}s)",
        output::age(oldest_age_secs)
    );
    if pending.is_empty() {
        return Ok(OK);
    }
    let rows: Vec<Vec<String>> = pending
        .iter()
        .map(|p| {
            vec![
                p.id.to_string(),
                output::time(&p.created_at),
                p.routing_key.clone(),
                p.event_id.to_string(),
                p.attempts.to_string(),
                output::clip(p.last_error.as_deref().unwrap_or("-"), 80),
            ]
        })
        .collect();
    println!();
    print!(
        "{}",
        output::table(
            &[
                "id",
                "created_at",
                "routing_key",
                "event_id",
                "attempts",
                "last_error"
            ],
            &rows
        )
    );
    if (pending.len() as i64) < count {
        println!(
            "… {} more (showing the oldest {}; use --limit)",
            count - pending.len() as i64,
            pending.len()
        );
    }
    Ok(OK)
}
