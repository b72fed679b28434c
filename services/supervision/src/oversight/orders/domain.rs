//! The rules of supervision orders (督办令): kinds, response days, the escalation ladder.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::{configuration::OrderResponseDays, domain::error::SupervisionError};

/// Kinds of order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKind {
    /// 催办
    Reminder,
    /// 督办
    Supervision,
    /// 挂牌督办
    Listed,
    /// 约谈
    Interview,
    /// 通报
    Circular,
}

impl OrderKind {
    pub const ALL: [OrderKind; 5] = [
        OrderKind::Reminder,
        OrderKind::Supervision,
        OrderKind::Listed,
        OrderKind::Interview,
        OrderKind::Circular,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::Reminder => "reminder",
            OrderKind::Supervision => "supervision",
            OrderKind::Listed => "listed",
            OrderKind::Interview => "interview",
            OrderKind::Circular => "circular",
        }
    }
    pub fn parse(s: &str) -> Option<OrderKind> {
        OrderKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            OrderKind::Reminder => "催办",
            OrderKind::Supervision => "督办",
            OrderKind::Listed => "挂牌督办",
            OrderKind::Interview => "约谈",
            OrderKind::Circular => "通报",
        }
    }
    /// The next level when unanswered: 催办 → 督办 → 挂牌督办; 约谈 and 通报 go to 挂牌督办;
    /// 挂牌督办 is the last level (it is marked overdue).
    pub fn escalates_to(self) -> Option<OrderKind> {
        match self {
            OrderKind::Reminder => Some(OrderKind::Supervision),
            OrderKind::Supervision | OrderKind::Interview | OrderKind::Circular => {
                Some(OrderKind::Listed)
            }
            OrderKind::Listed => None,
        }
    }
    pub fn response_days(self, d: &OrderResponseDays) -> u32 {
        match self {
            OrderKind::Reminder => d.reminder,
            OrderKind::Supervision => d.supervision,
            OrderKind::Listed => d.listed,
            OrderKind::Interview => d.interview,
            OrderKind::Circular => d.circular,
        }
    }
}

/// A validated order, ready to be written.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub kind: OrderKind,
    pub case_id: Option<Uuid>,
    pub case_number: Option<String>,
    pub pattern: Option<String>,
    pub unit_code: String,
    pub summary: String,
    pub issued_on: NaiveDate,
    pub respond_by: NaiveDate,
    pub explanation: Vec<String>,
    pub parent_id: Option<Uuid>,
}

/// What one escalation pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EscalationRun {
    /// New orders issued at the next level.
    pub escalated: usize,
    /// Last-level orders marked overdue.
    pub marked_overdue: usize,
    /// Orders left for later because the calendar does not cover the new deadline yet.
    pub waiting_for_calendar: usize,
}

/// Whether an order in `status` may still be answered in writing.
pub fn ensure_answerable(status: &str) -> Result<(), SupervisionError> {
    match status {
        "open" | "overdue" => Ok(()),
        "responded" => Err(SupervisionError::OrderAnswered),
        _ => Err(SupervisionError::OrderEscalated),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_escalate_to_listed_and_stop() {
        assert_eq!(
            OrderKind::Reminder.escalates_to(),
            Some(OrderKind::Supervision)
        );
        assert_eq!(
            OrderKind::Supervision.escalates_to(),
            Some(OrderKind::Listed)
        );
        assert_eq!(OrderKind::Interview.escalates_to(), Some(OrderKind::Listed));
        assert_eq!(OrderKind::Listed.escalates_to(), None);
        assert_eq!(OrderKind::parse("listed"), Some(OrderKind::Listed));
        assert_eq!(OrderKind::parse("催办"), None);
    }
}
