//! The first administrator (初始管理员): created at start when the accounts table is empty and
//! `console.bootstrap_admin` is configured (in production from environment variables, once).

use secrecy::ExposeSecret;
use sqlx::PgPool;
use uuid::Uuid;
use xinfang_platform::audit::{self, AuditEntry};

use crate::{
    configuration::Settings,
    domain::{
        account::{DisplayName, LoginName},
        password::{NewPassword, PasswordHasher},
        unit::UnitCode,
    },
    store,
};

pub async fn first_admin(
    pool: &PgPool,
    settings: &Settings,
    hasher: &PasswordHasher,
) -> anyhow::Result<()> {
    let Some(b) = &settings.console.bootstrap_admin else {
        return Ok(());
    };
    let mut tx = pool.begin().await?;
    // One replica at a time.
    sqlx::query("SELECT pg_advisory_xact_lock(0x5846, 7)")
        .execute(&mut *tx)
        .await?;
    if store::accounts::count(&mut tx).await? > 0 {
        return Ok(());
    }
    let err = |e: crate::domain::DomainError| anyhow::anyhow!("console.bootstrap_admin: {e}");
    let login = LoginName::parse(&b.login_name).map_err(err)?;
    let display = DisplayName::parse(&b.display_name).map_err(err)?;
    let unit = UnitCode::parse("unit", &b.unit).map_err(err)?;
    let password =
        NewPassword::parse("password", b.password.expose_secret(), &login).map_err(err)?;
    let hash = hasher.hash(&password).map_err(err)?;
    let id = Uuid::now_v7();
    store::accounts::insert(
        &mut tx,
        &store::accounts::NewAccount {
            id,
            login_name: login.as_str(),
            display_name: display.as_str(),
            unit_code: unit.as_str(),
            roles: &["admin".to_string()],
            password_hash: &hash,
            created_by: "system:bootstrap",
        },
    )
    .await?;
    audit::record(
        &mut tx,
        &AuditEntry::system("console", "account.create", None, serde_json::json!({ "account_id": id, "login_name": login.as_str(), "roles": ["admin"], "bootstrap": true })),
    )
    .await?;
    tx.commit().await?;
    tracing::warn!(
        login = login.as_str(),
        "first administrator created; it must enrol TOTP at first login"
    );
    Ok(())
}
