//! Login throttling (登录限制): failures are counted per login name and per client address within
//! a window; reaching a limit locks that subject for a while. Unknown login names are counted and
//! locked exactly like real ones, so the answers never tell whether an account exists.

use chrono::{DateTime, Duration, Utc};

/// What is throttled (限制对象).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    /// 登录名
    Account,
    /// 来源地址
    Address,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Account => "account",
            SubjectKind::Address => "address",
        }
    }
}

/// The limits (from configuration).
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    pub max_per_account: i64,
    pub max_per_address: i64,
    pub window: Duration,
    pub lockout: Duration,
}

impl ThrottlePolicy {
    /// Counting failures since this instant.
    pub fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.window
    }

    /// The subjects to lock after a failure, given the failures counted in the window
    /// (including this one).
    pub fn to_lock(&self, account_failures: i64, address_failures: i64) -> Vec<SubjectKind> {
        let mut out = Vec::new();
        if account_failures >= self.max_per_account {
            out.push(SubjectKind::Account);
        }
        if address_failures >= self.max_per_address {
            out.push(SubjectKind::Address);
        }
        out
    }

    pub fn locked_until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.lockout
    }
}

/// Seconds until the latest of `locks` ends, if any is still in force at `now`.
pub fn retry_after(locks: &[DateTime<Utc>], now: DateTime<Utc>) -> Option<i64> {
    locks
        .iter()
        .filter(|u| **u > now)
        .max()
        .map(|u| (*u - now).num_milliseconds().div_euclid(1000) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_lock_each_subject() {
        let p = ThrottlePolicy {
            max_per_account: 5,
            max_per_address: 20,
            window: Duration::minutes(15),
            lockout: Duration::minutes(15),
        };
        assert!(p.to_lock(4, 4).is_empty());
        assert_eq!(p.to_lock(5, 5), vec![SubjectKind::Account]);
        assert_eq!(p.to_lock(1, 20), vec![SubjectKind::Address]);
        let now = Utc::now();
        assert_eq!(retry_after(&[now - Duration::seconds(1)], now), None);
        assert_eq!(
            retry_after(
                &[now + Duration::seconds(10), now + Duration::seconds(90)],
                now
            ),
            Some(91)
        );
    }
}
