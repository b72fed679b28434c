//! `xinfangctl`: the operator CLI of the county petition platform (信访平台运维工具).
//!
//! Issues tokens, migrates databases, lists and replays dead letters, shows the outbox backlog and
//! verifies the audit chain, through the same libraries the services use. Settings are the
//! services' own (`services/<name>/configuration`), so the CLI sees what the service sees.
//! Secrets are never printed.

// An operator's command-line tool: printing its results on stdout is its job.
#![allow(clippy::print_stdout)]

mod cli;
mod commands;
mod context;
mod error;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::{
    cli::{
        ArchiveCommand, AuditCommand, Cli, Command, DeliveriesCommand, DirectoryCommand,
        DlqCommand, PiiCommand,
    },
    error::CliResult,
};

#[tokio::main]
async fn main() -> ExitCode {
    // Usage errors exit with code 2 from clap itself; --help and --version with 0.
    let cli = Cli::parse();
    match run(&cli).await {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("xinfangctl: 错误 error: {e}");
            ExitCode::from(e.code)
        }
    }
}

async fn run(cli: &Cli) -> CliResult {
    let dir = cli.config_dir.as_deref();
    match &cli.command {
        Command::Token(a) => commands::token::run(dir, a),
        Command::Migrate(a) => commands::migrate::run(dir, a).await,
        Command::Dlq {
            command: DlqCommand::List(a),
        } => commands::dlq::list(dir, a).await,
        Command::Dlq {
            command: DlqCommand::Replay(a),
        } => commands::dlq::replay(dir, a).await,
        Command::Outbox(a) => commands::outbox::run(dir, a).await,
        Command::Audit {
            command: AuditCommand::Verify(a),
        } => commands::audit::verify(dir, a).await,
        Command::Deliveries {
            command: DeliveriesCommand::List(a),
        } => commands::deliveries::list(dir, a).await,
        Command::Deliveries {
            command: DeliveriesCommand::Retry(a),
        } => commands::deliveries::retry(dir, a).await,
        Command::Directory {
            command: DirectoryCommand::Republish(a),
        } => commands::directory::republish(dir, a).await,
        Command::Backup(a) => commands::backup::backup(dir, a).await,
        Command::Restore(a) => commands::backup::restore(dir, a).await,
        Command::Pii {
            command: PiiCommand::Rotate(a),
        } => commands::pii::rotate(dir, a).await,
        Command::Archive {
            command: ArchiveCommand::Verify(a),
        } => commands::archive::verify(dir, a).await,
    }
}
