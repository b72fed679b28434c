//! `xinfangctl dlq list|replay` (死信查看与重放).

use std::{path::Path, time::Duration};

use xinfang_messaging::dead_letters::{self, DeadLetter};

use crate::{
    cli::{DlqListArgs, DlqReplayArgs},
    context::{self, BrokerSession},
    error::{CliError, CliResult, OK},
    output,
};

pub async fn list(config_dir: Option<&Path>, args: &DlqListArgs) -> CliResult {
    let service = args.service;
    let settings = context::load_settings(config_dir, service)?;
    let pool = context::connect_database(&settings, service).await?;
    let letters = dead_letters::list(&pool, args.all).await.map_err(|e| {
        CliError::database(
            "读取死信失败 cannot read dead letters",
            service.as_str(),
            &e,
        )
    })?;
    pool.close().await;
    if args.json {
        println!("{}", output::json(&letters));
        return Ok(OK);
    }
    if letters.is_empty() {
        println!(
            "[{service}] 没有{}死信 no {}dead letters",
            if args.all { "" } else { "待处理的" },
            if args.all { "" } else { "unreplayed " }
        );
        return Ok(OK);
    }
    print!("{}", render(&letters));
    println!(
        "[{service}] {} dead letter(s) (死信 {} 条)",
        letters.len(),
        letters.len()
    );
    Ok(OK)
}

fn render(letters: &[DeadLetter]) -> String {
    let rows: Vec<Vec<String>> = letters
        .iter()
        .map(|d| {
            vec![
                d.id.to_string(),
                output::time(&d.received_at),
                d.routing_key.clone(),
                d.reason.clone(),
                output::clip(d.detail.as_deref().unwrap_or("-"), 60),
                d.message_id.clone(),
                d.replayed_at
                    .as_ref()
                    .map_or_else(|| "no".to_string(), output::time),
            ]
        })
        .collect();
    output::table(
        &[
            "id",
            "received_at",
            "routing_key",
            "reason",
            "detail",
            "message_id",
            "replayed",
        ],
        &rows,
    )
}

pub async fn replay(config_dir: Option<&Path>, args: &DlqReplayArgs) -> CliResult {
    let service = args.service;
    let settings = context::load_settings(config_dir, service)?;
    let pool = context::connect_database(&settings, service).await?;
    let db_err = |e: sqlx::Error| {
        CliError::database(
            "读取死信失败 cannot read dead letters",
            service.as_str(),
            &e,
        )
    };

    let (ids, todo): (Option<Vec<i64>>, usize) = if args.all {
        let n = dead_letters::count_unreplayed(&pool)
            .await
            .map_err(db_err)?;
        (None, n.max(0) as usize)
    } else {
        // Check the ids first: an unknown id is a typo, and nothing is replayed then.
        let known = dead_letters::list(&pool, true).await.map_err(db_err)?;
        let unknown: Vec<String> = args
            .ids
            .iter()
            .filter(|id| !known.iter().any(|d| d.id == **id))
            .map(|id| id.to_string())
            .collect();
        if !unknown.is_empty() {
            pool.close().await;
            return Err(CliError::usage(format!(
                "未找到死信 no such dead letter(s) in {service}: {}",
                unknown.join(", ")
            )));
        }
        for d in known.iter().filter(|d| args.ids.contains(&d.id)) {
            if let Some(at) = &d.replayed_at {
                eprintln!(
                    "[{service}] 死信 {} 已于 {} 重放，跳过 dead letter {} was already replayed; skipped",
                    d.id,
                    output::time(at),
                    d.id
                );
            }
        }
        let todo = known
            .iter()
            .filter(|d| d.replayed_at.is_none() && args.ids.contains(&d.id))
            .count();
        (Some(args.ids.clone()), todo)
    };
    if todo == 0 {
        pool.close().await;
        println!("[{service}] nothing to replay (没有需要重放的死信): replayed 0 dead letter(s)");
        return Ok(OK);
    }

    let session = match BrokerSession::connect(
        &settings,
        service,
        Duration::from_secs(args.broker_timeout_secs.max(1)),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => {
            pool.close().await;
            return Err(e);
        }
    };
    let queue = session.broker.topology.queue(service);
    let result = dead_letters::replay(&pool, &session.broker, ids.as_deref()).await;
    session.close().await;
    pool.close().await;
    let n = result.map_err(|e| {
        CliError::unreachable(format!(
            "重放失败 replay failed: {e:#} (earlier ones were replayed and marked)"
        ))
    })?;
    println!("[{service}] replayed {n} dead letter(s) onto {queue} (已重放 {n} 条)");
    Ok(OK)
}
