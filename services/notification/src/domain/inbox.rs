use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::NotificationError;

/// One page of a unit's inbox (单位待办通知), newest first, keyset-paginated by
/// `(created_at, id)`: a valid page request, built only by [`InboxPage::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxPage {
    /// The last notice of the previous page; the first page starts after the newest possible one.
    pub before: (DateTime<Utc>, Uuid),
    pub limit: i64,
}

impl InboxPage {
    pub const DEFAULT_LIMIT: i64 = 50;
    pub const MAX_LIMIT: i64 = 200;

    pub fn new(
        before_at: Option<DateTime<Utc>>,
        before_id: Option<Uuid>,
        limit: Option<i64>,
    ) -> Result<InboxPage, NotificationError> {
        let limit = limit.unwrap_or(Self::DEFAULT_LIMIT);
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(NotificationError::InvalidLimit {
                min: 1,
                max: Self::MAX_LIMIT,
            });
        }
        let before = match (before_at, before_id) {
            (Some(at), Some(id)) => (at, id),
            (None, None) => (DateTime::<Utc>::MAX_UTC, Uuid::max()),
            _ => return Err(NotificationError::PartialCursor),
        };
        Ok(InboxPage { before, limit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_bounded_and_defaults_to_fifty() {
        assert_eq!(InboxPage::new(None, None, None).unwrap().limit, 50);
        assert_eq!(InboxPage::new(None, None, Some(200)).unwrap().limit, 200);
        for limit in [0, -1, 201] {
            let err = InboxPage::new(None, None, Some(limit)).unwrap_err();
            assert_eq!(err, NotificationError::InvalidLimit { min: 1, max: 200 });
            assert_eq!(err.to_string(), "limit 应在 1 至 200 之间");
        }
    }

    #[test]
    fn a_cursor_needs_both_halves() {
        let at = Utc::now();
        let id = Uuid::now_v7();
        assert_eq!(
            InboxPage::new(Some(at), Some(id), None).unwrap().before,
            (at, id)
        );
        assert_eq!(
            InboxPage::new(Some(at), None, None),
            Err(NotificationError::PartialCursor)
        );
        assert_eq!(
            InboxPage::new(None, Some(id), None),
            Err(NotificationError::PartialCursor)
        );
    }
}
