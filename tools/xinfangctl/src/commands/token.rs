//! `xinfangctl token` (签发令牌): a token signed with the development key (开发密钥,
//! `deploy/dev-keys/dev-ed25519.pem`, checked in on purpose), which services trust in the `local`
//! environment only. Production tokens come from logging in at the console.

use std::{io::IsTerminal, path::Path};

use xinfang_platform::{
    auth::{dev, Claims, TokenType},
    settings, Role,
};

use crate::{
    cli::TokenArgs,
    context,
    error::{CliError, CliResult, OK},
};

/// Parse role names, refusing unknown ones with the list of valid roles.
pub fn parse_roles(names: &[String]) -> CliResult<Vec<Role>> {
    let valid = || {
        Role::ALL
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut roles = Vec::new();
    for name in names {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        let role = name
            .parse::<Role>()
            .map_err(|e| CliError::usage(format!("{e}; valid roles (可用角色): {}", valid())))?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        return Err(CliError::usage(format!(
            "至少需要一个角色 at least one role is required; valid roles (可用角色): {}",
            valid()
        )));
    }
    Ok(roles)
}

pub fn run(config_dir: Option<&Path>, args: &TokenArgs) -> CliResult {
    let roles = parse_roles(&args.roles)?;
    let user = args.user.trim();
    let unit = args.unit.trim();
    if user.is_empty() || unit.is_empty() {
        return Err(CliError::usage(
            "用户和单位不能为空 --user and --unit must not be empty",
        ));
    }
    if settings::is_production() {
        return Err(CliError::usage(
            "生产环境不信任开发密钥，请在管理控制台登录获取令牌 (XINFANG_ENVIRONMENT=production: services do not trust the development key; log in at the console)",
        ));
    }
    let settings = context::load_settings(config_dir, args.service)?;
    let ttl_secs = i64::from(args.ttl_hours) * 3600;
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        sub: user.to_string(),
        typ: TokenType::User,
        unit: Some(unit.to_string()),
        roles: roles.iter().map(|r| r.as_str().to_string()).collect(),
        scopes: Vec::new(),
        sid: None,
        iss: settings.auth.issuer.clone(),
        aud: settings.auth.audience.clone(),
        iat: now,
        nbf: now,
        exp: now + ttl_secs,
        jti: uuid::Uuid::new_v4().to_string(),
    };
    let token = sign_with_dev_key(&claims)?;
    println!("{token}");
    if std::io::stderr().is_terminal() {
        let expires = chrono::Utc::now() + chrono::Duration::seconds(ttl_secs);
        eprintln!(
            "令牌有效期至 valid until {} (issuer {}, audience {})",
            crate::output::time(&expires),
            settings.auth.issuer,
            settings.auth.audience
        );
    }
    Ok(OK)
}

/// The development key's private half (the file beside `deploy/README.md`).
const DEV_KEY_PEM: &str = include_str!("../../../../deploy/dev-keys/dev-ed25519.pem");

fn sign_with_dev_key(claims: &Claims) -> CliResult<String> {
    let failed = |e: String| CliError::usage(format!("签发失败 signing failed: {e}"));
    dev::sign_with_dev_key(DEV_KEY_PEM, claims).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_deduplicate() {
        let r = parse_roles(&["clerk".into(), " pii_viewer".into(), "clerk".into()]).unwrap();
        assert_eq!(r, vec![Role::Clerk, Role::PiiViewer]);
    }

    #[test]
    fn unknown_roles_list_the_valid_ones() {
        let e = parse_roles(&["clerk".into(), "boss".into()]).unwrap_err();
        assert_eq!(e.code, crate::error::USAGE);
        assert!(e.message.contains("boss"), "{}", e.message);
        for r in Role::ALL {
            assert!(e.message.contains(r.as_str()), "{}", e.message);
        }
    }

    #[test]
    fn empty_roles_are_refused() {
        assert!(parse_roles(&["".into()]).is_err());
    }
}
