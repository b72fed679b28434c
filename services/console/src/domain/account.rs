//! Staff accounts (工作人员账号) and who may manage them (账号管理权限).

use std::collections::BTreeSet;

use serde::Serialize;
use xinfang_platform::Role;

use super::{unit::UnitCode, DomainError};

/// Login name (登录名): 3–64 characters of lower-case letters, digits, `.`, `_`, `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct LoginName(String);

impl LoginName {
    pub fn parse(s: &str) -> Result<LoginName, DomainError> {
        let t = s.trim().to_lowercase();
        let ok = (3..=64).contains(&t.len())
            && t.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            });
        if ok {
            Ok(LoginName(t))
        } else {
            Err(DomainError::invalid(
                "login_name",
                "登录名应为 3 至 64 位小写字母、数字或 . _ -",
            ))
        }
    }

    /// The form under which failures are counted for throttling: the submitted text, trimmed and
    /// lower-cased, whether or not it is a valid login name (so unknown names lock out the same).
    pub fn throttle_key(submitted: &str) -> String {
        submitted.trim().to_lowercase().chars().take(128).collect()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Display name (姓名): 1–32 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(s: &str) -> Result<DisplayName, DomainError> {
        let t = s.trim();
        let n = t.chars().count();
        if n == 0 || n > 32 || t.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "display_name",
                "姓名不能为空，且不超过 32 个字",
            ));
        }
        Ok(DisplayName(t.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A set of roles (角色), at least one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles(BTreeSet<&'static str>);

impl Roles {
    pub fn parse(items: &[String]) -> Result<Roles, DomainError> {
        let mut set = BTreeSet::new();
        for s in items {
            let r: Role = s
                .parse()
                .map_err(|_| DomainError::invalid("roles", format!("角色“{s}”无效")))?;
            set.insert(r.as_str());
        }
        if set.is_empty() {
            return Err(DomainError::invalid("roles", "角色至少选择一项"));
        }
        Ok(Roles(set))
    }

    /// Roles as stored (known to be valid); unknown names are dropped.
    pub fn from_stored(items: &[String]) -> Roles {
        Roles(
            items
                .iter()
                .filter_map(|s| s.parse::<Role>().ok())
                .map(Role::as_str)
                .collect(),
        )
    }

    pub fn roles(&self) -> Vec<Role> {
        self.0.iter().filter_map(|s| s.parse().ok()).collect()
    }

    pub fn has(&self, r: Role) -> bool {
        self.0.contains(r.as_str())
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|s| s.to_string()).collect()
    }

    /// Accounts holding `admin` or `pii_viewer` must pass TOTP at login (须双因素认证).
    pub fn require_totp(&self) -> bool {
        self.has(Role::Admin) || self.has(Role::PiiViewer)
    }
}

/// Account status (账号状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// 启用
    Active,
    /// 停用
    Disabled,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Disabled => "disabled",
        }
    }
    pub fn from_stored(s: &str) -> AccountStatus {
        if s == "active" {
            AccountStatus::Active
        } else {
            AccountStatus::Disabled
        }
    }
}

/// The person managing accounts (管理者): their unit and roles.
#[derive(Debug, Clone)]
pub struct Manager<'a> {
    pub unit: &'a str,
    pub roles: &'a [Role],
}

/// May `manager` manage an account of `unit` that holds (or would hold) `roles`?
///
/// Administrators (系统管理员) manage every account. A unit head (单位负责人) manages the accounts of
/// their own unit only, and can neither grant nor hold sway over `admin` or `pii_viewer`.
pub fn may_manage(manager: &Manager<'_>, unit: &str, roles: &Roles) -> Result<(), DomainError> {
    if manager.roles.contains(&Role::Admin) {
        return Ok(());
    }
    if !manager.roles.contains(&Role::UnitHead) {
        return Err(DomainError::Forbidden("当前账号无权管理账号".into()));
    }
    if manager.unit != unit {
        return Err(DomainError::Forbidden(
            "单位负责人只能管理本单位的账号".into(),
        ));
    }
    if roles.has(Role::Admin) || roles.has(Role::PiiViewer) {
        return Err(DomainError::Forbidden(
            "单位负责人不能授予或管理系统管理员、个人信息查阅角色".into(),
        ));
    }
    Ok(())
}

/// The unit an account is placed in must exist and be active (所属单位须在单位目录中且未撤销).
pub fn check_unit(code: &UnitCode, known: Option<bool>) -> Result<(), DomainError> {
    match known {
        Some(true) => Ok(()),
        Some(false) => Err(DomainError::invalid(
            "unit",
            format!("所属单位 {code} 已撤销"),
        )),
        None => Err(DomainError::invalid(
            "unit",
            format!("所属单位 {code} 不存在于单位目录"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(r: &[&str]) -> Roles {
        Roles::parse(&r.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn login_names_are_normalised_and_checked() {
        assert_eq!(
            LoginName::parse(" Zhang.San ").unwrap().as_str(),
            "zhang.san"
        );
        assert!(LoginName::parse("ab").is_err());
        assert!(LoginName::parse("张三").is_err());
        assert!(LoginName::parse("a b c").is_err());
    }

    #[test]
    fn roles_must_be_known_and_present() {
        assert!(Roles::parse(&[]).is_err());
        assert!(Roles::parse(&["emperor".into()]).is_err());
        assert!(roles(&["admin"]).require_totp());
        assert!(roles(&["pii_viewer", "clerk"]).require_totp());
        assert!(!roles(&["clerk", "handler"]).require_totp());
    }

    #[test]
    fn unit_heads_manage_their_own_unit_without_admin_or_pii() {
        let head = Manager {
            unit: "140423-RSJ",
            roles: &[Role::UnitHead],
        };
        assert!(may_manage(&head, "140423-RSJ", &roles(&["handler"])).is_ok());
        assert!(matches!(
            may_manage(&head, "140423-ZJJ", &roles(&["handler"])),
            Err(DomainError::Forbidden(_))
        ));
        assert!(may_manage(&head, "140423-RSJ", &roles(&["admin"])).is_err());
        assert!(may_manage(&head, "140423-RSJ", &roles(&["pii_viewer"])).is_err());
        let admin = Manager {
            unit: "140423-XFJ",
            roles: &[Role::Admin],
        };
        assert!(may_manage(&admin, "140423-ZJJ", &roles(&["admin"])).is_ok());
        let clerk = Manager {
            unit: "140423-RSJ",
            roles: &[Role::Clerk],
        };
        assert!(may_manage(&clerk, "140423-RSJ", &roles(&["clerk"])).is_err());
    }
}
