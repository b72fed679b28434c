//! Command-line definition (命令行参数).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use xinfang_contracts::Producer;

const EXIT_CODES: &str = "\
Exit codes (退出码):
  0  ok (成功)
  1  check failed, e.g. the audit chain is broken (检查未通过)
  2  usage or configuration error (用法或配置错误)
  3  cannot reach the database or the broker (无法连接数据库或消息代理)";

/// Operator CLI of the county petition platform (信访平台运维工具).
///
/// Settings are read like the services read them: `<config-dir>/base.yaml`, then
/// `<config-dir>/<XINFANG_ENVIRONMENT>.yaml`, then `XINFANG_` environment variables with `__` for
/// nesting (e.g. `XINFANG_DATABASE__HOST=db`).
#[derive(Debug, Parser)]
#[command(name = "xinfangctl", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// Directory holding base.yaml (配置目录); default: the selected service's `configuration/`
    /// directory in the workspace.
    #[arg(long, global = true, env = "XINFANG_CONFIG_DIR", value_name = "DIR")]
    pub config_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Issue a bearer token (签发令牌); prints only the token on stdout.
    Token(TokenArgs),
    /// Create the database if missing and apply migrations (数据库迁移).
    Migrate(MigrateArgs),
    /// Dead letters (死信): list or replay.
    Dlq {
        #[command(subcommand)]
        command: DlqCommand,
    },
    /// Outbox backlog (发件箱积压): count, oldest age and the oldest pending rows.
    Outbox(OutboxArgs),
    /// Audit log (审计日志).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Notification's deliveries (送达): list (failed by default) or retry a failed one by hand.
    Deliveries {
        #[command(subcommand)]
        command: DeliveriesCommand,
    },
    /// Units directory (单位目录).
    Directory {
        #[command(subcommand)]
        command: DirectoryCommand,
    },
    /// Back up services' databases (备份): pg_dump custom format plus a manifest of row counts
    /// taken in the same snapshot.
    Backup(BackupArgs),
    /// Restore a backup into a fresh database and check it against its manifest (恢复并校验).
    Restore(RestoreArgs),
    /// Personal data (个人信息).
    Pii {
        #[command(subcommand)]
        command: PiiCommand,
    },
    /// The archive (信访档案, in notification's database).
    Archive {
        #[command(subcommand)]
        command: ArchiveCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeliveriesCommand {
    /// List deliveries (列出送达记录), newest change first.
    List(DeliveriesListArgs),
    /// Queue a failed SMS or e-mail again (手动重试).
    Retry(DeliveriesRetryArgs),
}

#[derive(Debug, Args)]
pub struct DeliveriesListArgs {
    /// Status (状态): failed, retrying, queued, sending, delivered, awaiting_post, posted,
    /// awaiting_handover, available, or all.
    #[arg(long, default_value = "failed")]
    pub status: String,
    /// Channel (渠道): sms, email, letter, in_person, online, system.
    #[arg(long)]
    pub channel: Option<String>,
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=500))]
    pub limit: i64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DeliveriesRetryArgs {
    /// Delivery id (送达记录编号).
    #[arg(long)]
    pub id: uuid::Uuid,
}

#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Announce every unit again through the console's outbox (重新发布单位目录), so that a
    /// service that joined later or restored its database catches up. Reads the console's settings.
    Republish(DirectoryRepublishArgs),
}

#[derive(Debug, Args)]
pub struct DirectoryRepublishArgs {
    /// Who asks (操作人), recorded in the audit log as `ops:<operator>`.
    #[arg(long, default_value = "xinfangctl")]
    pub operator: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["service", "all"])))]
pub struct BackupArgs {
    /// Service to back up (服务).
    #[arg(long, value_parser = parse_service)]
    pub service: Option<Producer>,
    /// Every service (全部服务).
    #[arg(long)]
    pub all: bool,
    /// Directory for `<service>.dump` and `<service>.manifest.json` (输出目录).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["service", "all"])))]
pub struct RestoreArgs {
    /// Service to restore (服务).
    #[arg(long, value_parser = parse_service)]
    pub service: Option<Producer>,
    /// Every service (全部服务).
    #[arg(long)]
    pub all: bool,
    /// Directory written by `xinfangctl backup` (备份目录).
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,
    /// Restore into this database instead of the service's own (with --service).
    #[arg(long, conflicts_with = "suffix")]
    pub database: Option<String>,
    /// Restore into `<the service's database><SUFFIX>` (e.g. `_restored`).
    #[arg(long)]
    pub suffix: Option<String>,
    /// Drop the target database first when it exists (覆盖已有数据库).
    #[arg(long)]
    pub replace: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PiiCommand {
    /// Re-seal intake's stored personal data under the current key version (密钥轮换); resumable,
    /// safe while the services run. Exit code 1 while rows remain under other versions.
    Rotate(PiiRotateArgs),
}

#[derive(Debug, Args)]
pub struct PiiRotateArgs {
    /// Rows per transaction (每批行数).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub batch_size: i64,
    /// Stop after this many batches (最多批数); run again to continue.
    #[arg(long)]
    pub max_batches: Option<u64>,
    /// Seconds to keep retrying rows locked by the running services (等待锁定行的秒数).
    #[arg(long, default_value_t = 30)]
    pub locked_wait_secs: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// User id (用户标识).
    #[arg(long)]
    pub user: String,
    /// Unit code (单位代码), e.g. 140423-XFJ.
    #[arg(long)]
    pub unit: String,
    /// Comma-separated roles (角色): clerk, handler, unit_head, mediator, supervisor, leader,
    /// auditor, admin, pii_viewer.
    #[arg(long, value_delimiter = ',', required = true, num_args = 1..)]
    pub roles: Vec<String>,
    /// Validity in hours (有效期，小时).
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=8760))]
    pub ttl_hours: u32,
    /// Service whose settings give the issuer and audience (读取哪个服务的配置).
    #[arg(long, default_value = "intake", value_parser = parse_service)]
    pub service: Producer,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["service", "all"])))]
pub struct MigrateArgs {
    /// Service to migrate (服务).
    #[arg(long, value_parser = parse_service)]
    pub service: Option<Producer>,
    /// Migrate every service (全部服务).
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// List stored dead letters (列出死信); unreplayed ones unless --all.
    List(DlqListArgs),
    /// Publish dead letters back onto the service's queue (重放死信).
    Replay(DlqReplayArgs),
}

#[derive(Debug, Args)]
pub struct DlqListArgs {
    /// Service (服务).
    #[arg(long, value_parser = parse_service)]
    pub service: Producer,
    /// Include dead letters that were already replayed (包括已重放的).
    #[arg(long)]
    pub all: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["ids", "all"])))]
pub struct DlqReplayArgs {
    /// Service (服务).
    #[arg(long, value_parser = parse_service)]
    pub service: Producer,
    /// Dead-letter ids to replay (死信编号); repeat or separate with commas.
    #[arg(long = "id", value_name = "N", num_args = 1.., value_delimiter = ',')]
    pub ids: Vec<i64>,
    /// Replay every unreplayed dead letter (全部重放).
    #[arg(long)]
    pub all: bool,
    /// Seconds to wait for the broker connection (等待连接消息代理的秒数).
    #[arg(long, default_value_t = 10)]
    pub broker_timeout_secs: u64,
}

#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// Service (服务).
    #[arg(long, value_parser = parse_service)]
    pub service: Producer,
    /// How many of the oldest pending rows to show (显示条数).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(i64).range(0..=10_000))]
    pub limit: i64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chains of the audit log (校验审计日志哈希链); exit code 1 when broken.
    Verify(AuditVerifyArgs),
}

#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// Service (服务).
    #[arg(long, value_parser = parse_service)]
    pub service: Producer,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn service_names() -> String {
    Producer::ALL
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_service(s: &str) -> Result<Producer, String> {
    Producer::parse(s).ok_or_else(|| {
        format!(
            "未知服务 unknown service '{s}'; valid services (可用服务): {}",
            service_names()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn ids_accept_repetition_and_commas() {
        let cli = Cli::try_parse_from([
            "xinfangctl",
            "dlq",
            "replay",
            "--service",
            "intake",
            "--id",
            "1,2",
            "--id",
            "5",
        ])
        .expect("parses");
        let Command::Dlq {
            command: DlqCommand::Replay(a),
        } = cli.command
        else {
            panic!("wrong command")
        };
        assert_eq!(a.ids, vec![1, 2, 5]);
        assert!(!a.all);
    }

    #[test]
    fn replay_needs_ids_or_all_but_not_both() {
        let base = ["xinfangctl", "dlq", "replay", "--service", "intake"];
        assert!(Cli::try_parse_from(base).is_err());
        let both = [&base[..], &["--all", "--id", "1"]].concat();
        assert!(Cli::try_parse_from(both).is_err());
    }

    #[test]
    fn migrate_needs_service_or_all() {
        assert!(Cli::try_parse_from(["xinfangctl", "migrate"]).is_err());
        assert!(Cli::try_parse_from(["xinfangctl", "migrate", "--all"]).is_ok());
        assert!(Cli::try_parse_from([
            "xinfangctl",
            "migrate",
            "--service",
            "administrative-review"
        ])
        .is_ok());
    }

    #[test]
    fn unknown_service_lists_the_valid_ones() {
        let e = Cli::try_parse_from(["xinfangctl", "outbox", "--service", "nope"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("administrative-review"));
    }
}

#[derive(Debug, Subcommand)]
pub enum ArchiveCommand {
    /// Check archive packages against their manifests and chain proofs (档案校验); exit code 1
    /// when one is broken.
    Verify(ArchiveVerifyArgs),
}

#[derive(Debug, Args)]
pub struct ArchiveVerifyArgs {
    /// One case (信访件 id); every package when omitted.
    #[arg(long)]
    pub case: Option<uuid::Uuid>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}
