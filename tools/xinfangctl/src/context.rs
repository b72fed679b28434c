//! What every command needs: the selected service's settings, a database pool and, for replays,
//! a broker session (运行上下文).

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use prometheus::Registry;
use sqlx::{migrate::Migrator, postgres::PgPoolOptions, Connection, PgConnection, PgPool};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use xinfang_contracts::Producer;
use xinfang_messaging::{Broker, MessagingMetrics};
use xinfang_platform::{settings, PlatformSettings};

use crate::error::{CliError, CliResult};

/// The directory `services/<name>` of the workspace this binary was built from.
fn service_dir(service: Producer) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../services")
        .join(service.as_str())
}

/// `--config-dir` / `XINFANG_CONFIG_DIR`, else `<workspace>/services/<name>/configuration`.
pub fn config_dir(explicit: Option<&Path>, service: Producer) -> PathBuf {
    match explicit {
        Some(dir) => dir.to_path_buf(),
        None => settings::config_dir(&service_dir(service)),
    }
}

/// Load the platform part of `service`'s settings (the service's own keys are ignored).
pub fn load_settings(explicit: Option<&Path>, service: Producer) -> CliResult<PlatformSettings> {
    let dir = config_dir(explicit, service);
    if !dir.join("base.yaml").is_file() {
        return Err(CliError::usage(format!(
            "配置错误 configuration error: {} has no base.yaml (use --config-dir or XINFANG_CONFIG_DIR)",
            dir.display()
        )));
    }
    settings::load::<PlatformSettings>(&dir)
        .map_err(|e| CliError::usage(format!("{e} (config dir {})", dir.display())))
}

/// The service's own migrations.
pub fn service_migrator(service: Producer) -> &'static Migrator {
    match service {
        Producer::Intake => &intake::MIGRATOR,
        Producer::Mediation => &mediation::MIGRATOR,
        Producer::AdministrativeReview => &administrative_review::MIGRATOR,
        Producer::Supervision => &supervision::MIGRATOR,
        Producer::Notification => &notification::MIGRATOR,
        Producer::Console => &console::MIGRATOR,
    }
}

/// A small pool on the service's database.
pub async fn connect_database(settings: &PlatformSettings, service: Producer) -> CliResult<PgPool> {
    let db = &settings.database;
    let timeout = Duration::from_secs(db.acquire_timeout_secs.max(1));
    let fail = |e: &sqlx::Error| {
        CliError::database(
            &format!(
                "无法连接数据库 cannot reach database \"{}\" at {}:{}",
                db.database_name, db.host, db.port
            ),
            service.as_str(),
            e,
        )
    };
    // One direct attempt first: the pool retries refused connections until its timeout and then
    // reports only the timeout, while the operator needs the cause.
    match tokio::time::timeout(timeout, PgConnection::connect_with(&db.with_db())).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
        }
        Ok(Err(e)) => return Err(fail(&e)),
        Err(_) => return Err(fail(&sqlx::Error::PoolTimedOut)),
    }
    PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(timeout)
        .connect_with(db.with_db())
        .await
        .map_err(|e| fail(&e))
}

/// A running broker session (its supervision loop runs in a task until [`BrokerSession::close`]).
pub struct BrokerSession {
    pub broker: Arc<Broker>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl BrokerSession {
    /// Start the broker's supervision loop without consumers and wait for the first session.
    pub async fn connect(
        settings: &PlatformSettings,
        service: Producer,
        timeout: Duration,
    ) -> CliResult<BrokerSession> {
        let metrics = MessagingMetrics::new(&Registry::new())
            .map_err(|e| CliError::usage(format!("消息指标无法创建 messaging metrics: {e}")))?;
        let broker = Broker::new(settings.broker.clone(), service, metrics);
        let stop = CancellationToken::new();
        let task = tokio::spawn(broker.clone().run(Vec::new(), stop.clone()));
        let session = BrokerSession { broker, stop, task };
        if session.broker.wait_connected(timeout).await {
            Ok(session)
        } else {
            session.close().await;
            Err(CliError::unreachable(format!(
                "无法连接消息代理 cannot reach the broker at {} within {}s",
                redact_url(settings.broker.url()),
                timeout.as_secs()
            )))
        }
    }

    /// Close the connection and end the supervision loop.
    pub async fn close(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

/// The URL without its user and password (for messages).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<broker url>".to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{host}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            redact_url("amqp://guest:s3cret@10.0.0.1:5672/%2f"),
            "amqp://10.0.0.1:5672/%2f"
        );
        assert_eq!(redact_url("amqp://mq:5672"), "amqp://mq:5672");
        assert_eq!(redact_url("garbage:secret"), "<broker url>");
    }

    #[test]
    fn default_config_dirs_exist_for_every_service() {
        for p in Producer::ALL {
            let dir = service_dir(p).join("configuration");
            assert!(dir.join("base.yaml").is_file(), "{}", dir.display());
        }
    }
}
