//! Failures and their exit codes (错误与退出码).

use std::fmt;

/// Everything went well.
pub const OK: u8 = 0;
/// A check ran and failed (the audit chain is broken).
pub const CHECK_FAILED: u8 = 1;
/// Bad usage or configuration.
pub const USAGE: u8 = 2;
/// The database or the broker cannot be reached or used.
pub const UNREACHABLE: u8 = 3;

/// A failure that ends the command with a non-zero exit code.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError {
            code: USAGE,
            message: message.into(),
        }
    }

    pub fn unreachable(message: impl Into<String>) -> CliError {
        CliError {
            code: UNREACHABLE,
            message: message.into(),
        }
    }

    /// A database failure while connecting or querying. Missing tables get a hint to migrate.
    pub fn database(what: &str, service: &str, e: &sqlx::Error) -> CliError {
        let mut message = format!("{what}: {e}");
        if let Some(db) = e.as_database_error() {
            let hint = match db.code().as_deref() {
                Some("42P01") => "the database is not migrated",
                Some("3D000") => "the database does not exist",
                _ => "",
            };
            if !hint.is_empty() {
                message.push_str(&format!(
                    "\n提示 hint: {hint}; run `xinfangctl migrate --service {service}`"
                ));
            }
        }
        CliError::unreachable(message)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

pub type CliResult<T = u8> = Result<T, CliError>;
