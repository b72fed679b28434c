//! `xinfangctl deliveries` (送达): notification's deliveries, the failed ones first of all, and a
//! hand retry of a failed SMS or e-mail (audited as the operator tool).

use std::path::Path;

use serde_json::json;
use xinfang_contracts::Producer;
use xinfang_platform::audit::{self, AuditEntry};

use crate::{
    cli::{DeliveriesListArgs, DeliveriesRetryArgs},
    context,
    error::{CliError, CliResult, OK},
    output,
};
use notification::domain::delivery::Action;
use notification::store::deliveries;

const SERVICE: Producer = Producer::Notification;

pub async fn list(config_dir: Option<&Path>, args: &DeliveriesListArgs) -> CliResult {
    let settings = context::load_settings(config_dir, SERVICE)?;
    let pool = context::connect_database(&settings, SERVICE).await?;
    let rows = deliveries::list(
        &pool,
        Some(args.status.as_str()).filter(|s| *s != "all"),
        args.channel.as_deref(),
        None,
        args.limit,
    )
    .await;
    pool.close().await;
    let rows = rows.map_err(|e| {
        CliError::database(
            "读取送达记录失败 cannot read deliveries",
            SERVICE.as_str(),
            &e,
        )
    })?;
    if args.json {
        let v: Vec<_> = rows
            .iter()
            .map(|d| {
                json!({
                    "id": d.id, "case_number": d.case_number, "kind": d.kind, "channel": d.channel,
                    "status": d.status, "attempts": d.attempts, "last_error": d.last_error,
                    "updated_at": d.updated_at,
                })
            })
            .collect();
        println!("{}", output::json(&v));
        return Ok(OK);
    }
    println!(
        "[notification] deliveries (送达记录) {}: {}",
        args.status,
        rows.len()
    );
    if rows.is_empty() {
        return Ok(OK);
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|d| {
            vec![
                d.id.to_string(),
                d.case_number.clone(),
                d.kind.clone(),
                d.channel.clone(),
                d.status.clone(),
                d.attempts.to_string(),
                output::time(&d.updated_at),
                output::clip(d.last_error.as_deref().unwrap_or("-"), 60),
            ]
        })
        .collect();
    print!(
        "{}",
        output::table(
            &[
                "id",
                "case_number",
                "kind",
                "channel",
                "status",
                "attempts",
                "updated_at",
                "last_error"
            ],
            &table
        )
    );
    Ok(OK)
}

pub async fn retry(config_dir: Option<&Path>, args: &DeliveriesRetryArgs) -> CliResult {
    let settings = context::load_settings(config_dir, SERVICE)?;
    let pool = context::connect_database(&settings, SERVICE).await?;
    let err = |e: sqlx::Error| {
        CliError::database(
            "重试送达失败 cannot retry the delivery",
            SERVICE.as_str(),
            &e,
        )
    };
    let mut tx = pool.begin().await.map_err(err)?;
    let Some(d) = deliveries::lock(&mut tx, args.id).await.map_err(err)? else {
        return Err(CliError::usage(format!(
            "送达记录不存在 no delivery {}",
            args.id
        )));
    };
    let next = Action::Retry
        .apply(&d.channel, &d.status)
        .map_err(|e| CliError::usage(e.to_string()))?;
    deliveries::set_state(&mut tx, d.id, next, None, None, None)
        .await
        .map_err(err)?;
    audit::record_many(
        &mut tx,
        &[AuditEntry::system(
            "xinfangctl",
            "delivery.retry",
            Some(d.case_id),
            json!({ "delivery_id": d.id, "channel": d.channel, "from": d.status, "to": next }),
        )],
    )
    .await
    .map_err(err)?;
    tx.commit().await.map_err(err)?;
    pool.close().await;
    println!(
        "[notification] delivery {} queued again (已重新排队): {} {}",
        d.id, d.case_number, d.channel
    );
    Ok(OK)
}
