//! Server-side sessions (服务端会话): alive until logged out or revoked, unused for longer than the
//! idle timeout, or older than the absolute timeout, whichever comes first.

use chrono::{DateTime, Duration, Utc};

/// The timeouts (from configuration).
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

/// The times that decide whether a session lives.
#[derive(Debug, Clone, Copy)]
pub struct SessionTimes {
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Where a session stands (会话状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Alive,
    /// 已注销或被撤销
    Revoked,
    /// 空闲超时
    IdleExpired,
    /// 绝对超时
    Expired,
}

impl SessionPolicy {
    pub fn state(&self, t: &SessionTimes, now: DateTime<Utc>) -> SessionState {
        if t.revoked_at.is_some() {
            SessionState::Revoked
        } else if now >= t.created_at + self.absolute {
            SessionState::Expired
        } else if now >= t.last_seen_at + self.idle {
            SessionState::IdleExpired
        } else {
            SessionState::Alive
        }
    }

    /// When a session last seen at `last_seen_at` ends if nothing happens.
    pub fn ends_at(&self, t: &SessionTimes) -> DateTime<Utc> {
        (t.last_seen_at + self.idle).min(t.created_at + self.absolute)
    }
}

/// Why sessions end (会话结束原因), as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    Logout,
    Revoked,
    PasswordChanged,
    AccountDisabled,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::Revoked => "revoked",
            EndReason::PasswordChanged => "password_changed",
            EndReason::AccountDisabled => "account_disabled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_and_absolute_timeouts() {
        let p = SessionPolicy {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        };
        let start = Utc::now();
        let t = SessionTimes {
            created_at: start,
            last_seen_at: start,
            revoked_at: None,
        };
        assert_eq!(
            p.state(&t, start + Duration::minutes(29)),
            SessionState::Alive
        );
        assert_eq!(
            p.state(&t, start + Duration::minutes(31)),
            SessionState::IdleExpired
        );
        let busy = SessionTimes {
            last_seen_at: start + Duration::hours(12),
            ..t
        };
        assert_eq!(
            p.state(&busy, start + Duration::hours(12) + Duration::minutes(1)),
            SessionState::Expired
        );
        let revoked = SessionTimes {
            revoked_at: Some(start),
            ..t
        };
        assert_eq!(p.state(&revoked, start), SessionState::Revoked);
        assert_eq!(p.ends_at(&t), start + Duration::minutes(30));
    }
}
