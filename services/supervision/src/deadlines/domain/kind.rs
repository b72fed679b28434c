//! Kinds of deadline (期限种类): one per statutory clock, with its legal basis, its limit from
//! configuration, its timer steps and the finding its lapse means.

use xinfang_calendar::PeriodUnit;
use xinfang_contracts::events::DeadlineStep;

use crate::{configuration::Limits, findings::domain::Question};

/// Kinds of deadline (期限种类), one per statutory clock. Adding a clock is local: a variant here,
/// its limit in [`period_of`], and the events that open and close it in `deadlines::events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeadlineKind {
    /// 受理期限: register and transfer/assign within 15 日 of receipt (art 22).
    Acceptance,
    /// 上级交办期限: a matter assigned in from above, due on the date the assigning body set.
    UpstreamAssignment,
    /// 受理告知期限: the receiving organ's acceptance notice, 15 日 (art 23 ¶3).
    ReceiptNotice,
    /// 异议期限: the receiving organ may object within 5 个工作日 (art 23 ¶3).
    ObjectionWindow,
    /// 交办期限: result and 办结报告 by the date the assigning body set (art 22).
    Assignment,
    /// 办理期限: 信访处理意见书 within 60 日 of 受理, one extension ≤ 30 日 (art 34).
    Handling,
    /// 简易办理受理期限: accept within 3 个工作日.
    SimpleAcceptance,
    /// 简易办理答复期限: opinion within 10 个工作日.
    SimpleOpinion,
    /// 意见书送达期限: an issued opinion must reach the petitioner (configurable); undelivered, it
    /// keeps the petitioner's window closed and is a finding.
    OpinionDelivery,
    /// 复查请求期限: the petitioner may ask for review within 30 日 of delivery (art 35).
    ReviewWindow,
    /// 复查期限: review opinion within 30 日 of the request (art 35).
    Review,
    /// 复核请求期限: re-review may be asked within 30 日 of the review opinion's delivery (art 36).
    ReReviewWindow,
    /// 复核期限: re-review opinion within 30 日; hearing days not counted (art 36).
    ReReview,
    /// 落实期限: what a 支持 opinion requires, by the date the organ set (art 32 ¶2).
    Implementation,
}

impl DeadlineKind {
    pub const ALL: [DeadlineKind; 14] = [
        DeadlineKind::Acceptance,
        DeadlineKind::UpstreamAssignment,
        DeadlineKind::ReceiptNotice,
        DeadlineKind::ObjectionWindow,
        DeadlineKind::Assignment,
        DeadlineKind::Handling,
        DeadlineKind::SimpleAcceptance,
        DeadlineKind::SimpleOpinion,
        DeadlineKind::OpinionDelivery,
        DeadlineKind::ReviewWindow,
        DeadlineKind::Review,
        DeadlineKind::ReReviewWindow,
        DeadlineKind::ReReview,
        DeadlineKind::Implementation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::Acceptance => "acceptance",
            DeadlineKind::UpstreamAssignment => "upstream_assignment",
            DeadlineKind::ReceiptNotice => "receipt_notice",
            DeadlineKind::ObjectionWindow => "objection_window",
            DeadlineKind::Assignment => "assignment",
            DeadlineKind::Handling => "handling",
            DeadlineKind::SimpleAcceptance => "simple_acceptance",
            DeadlineKind::SimpleOpinion => "simple_opinion",
            DeadlineKind::OpinionDelivery => "opinion_delivery",
            DeadlineKind::ReviewWindow => "review_window",
            DeadlineKind::Review => "review",
            DeadlineKind::ReReviewWindow => "re_review_window",
            DeadlineKind::ReReview => "re_review",
            DeadlineKind::Implementation => "implementation",
        }
    }

    pub fn parse(s: &str) -> Option<DeadlineKind> {
        DeadlineKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The law that stops this clock (中止计时的法律依据), if any: only where a statute says a
    /// period is not counted (复核听证所需时间不计算在期限内, art 36 ¶2). Only the re-review period
    /// has one (its hearing); acceptance, notice, objection, assignment, handling, review and the
    /// petitioner's windows run on.
    pub fn stop_basis(self) -> Option<&'static str> {
        match self {
            DeadlineKind::Acceptance
            | DeadlineKind::UpstreamAssignment
            | DeadlineKind::ReceiptNotice
            | DeadlineKind::ObjectionWindow
            | DeadlineKind::Assignment
            | DeadlineKind::Handling
            | DeadlineKind::SimpleAcceptance
            | DeadlineKind::SimpleOpinion
            | DeadlineKind::OpinionDelivery
            | DeadlineKind::ReviewWindow
            | DeadlineKind::Review
            | DeadlineKind::ReReviewWindow
            | DeadlineKind::Implementation => None,
            DeadlineKind::ReReview => Some(
                "《信访工作条例》第三十六条第二款：复核机关举行听证的，听证所需时间不计算在复核期限内",
            ),
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DeadlineKind::Acceptance => "受理期限",
            DeadlineKind::UpstreamAssignment => "上级交办期限",
            DeadlineKind::ReceiptNotice => "受理告知期限",
            DeadlineKind::ObjectionWindow => "异议期限",
            DeadlineKind::Assignment => "交办期限",
            DeadlineKind::Handling => "办理期限",
            DeadlineKind::SimpleAcceptance => "简易办理受理期限",
            DeadlineKind::SimpleOpinion => "简易办理答复期限",
            DeadlineKind::OpinionDelivery => "意见书送达期限",
            DeadlineKind::ReviewWindow => "复查请求期限",
            DeadlineKind::Review => "复查期限",
            DeadlineKind::ReReviewWindow => "复核请求期限",
            DeadlineKind::ReReview => "复核期限",
            DeadlineKind::Implementation => "落实期限",
        }
    }

    /// The legal basis (法律依据) of the clock.
    pub fn basis(self) -> &'static str {
        match self {
            DeadlineKind::Acceptance => {
                "《信访工作条例》第二十二条：自收到信访事项之日起15日内登记并转送、交办或告知"
            }
            DeadlineKind::UpstreamAssignment => {
                "《信访工作条例》第二十二条：上级机关交办的信访事项，在交办机关确定的期限内办结并报告结果"
            }
            DeadlineKind::ReceiptNotice => {
                "《信访工作条例》第二十三条第三款：收到转送、交办的信访事项，属于本机关职权范围的，自收到之日起15日内书面告知信访人接收情况"
            }
            DeadlineKind::ObjectionWindow => {
                "《信访工作条例》第二十三条第三款：不属于本机关职权范围的，自收到之日起5个工作日内提出异议并详细说明理由"
            }
            DeadlineKind::Assignment => {
                "《信访工作条例》第二十二条：交办的信访事项，在交办机关确定的期限内办结并报告结果"
            }
            DeadlineKind::Handling => {
                "《信访工作条例》第三十四条：自受理之日起60日内办结；情况复杂的，经本机关负责人批准可适当延长，延长期限不得超过30日"
            }
            DeadlineKind::SimpleAcceptance => {
                "国家信访局《关于进一步加强初信初访办理工作的办法》简易办理：自收到之日起3个工作日内受理"
            }
            DeadlineKind::SimpleOpinion => {
                "国家信访局简易办理规定：自受理之日起10个工作日内作出处理意见"
            }
            DeadlineKind::OpinionDelivery => {
                "《信访工作条例》第三十二条、第三十五条：处理意见书应当书面答复信访人，请求复查期限自收到书面答复之日起算"
            }
            DeadlineKind::ReviewWindow => {
                "《信访工作条例》第三十五条：信访人可以自收到书面答复之日起30日内请求复查"
            }
            DeadlineKind::Review => {
                "《信访工作条例》第三十五条：自收到复查请求之日起30日内提出复查意见"
            }
            DeadlineKind::ReReviewWindow => {
                "《信访工作条例》第三十六条：信访人可以自收到书面答复之日起30日内请求复核"
            }
            DeadlineKind::ReReview => {
                "《信访工作条例》第三十六条：自收到复核请求之日起30日内提出复核意见，听证所需时间不计算在内"
            }
            DeadlineKind::Implementation => {
                "《信访工作条例》第三十二条第二款：作出支持信访请求意见的，应当督促有关机关、单位执行"
            }
        }
    }

    /// The assessment question (考核发现) an overdue deadline of this kind answers, if any.
    pub fn overdue_finding(self) -> Option<Question> {
        match self {
            DeadlineKind::Acceptance
            | DeadlineKind::ReceiptNotice
            | DeadlineKind::SimpleAcceptance => Some(Question::Unaccepted),
            DeadlineKind::UpstreamAssignment
            | DeadlineKind::Assignment
            | DeadlineKind::Handling
            | DeadlineKind::SimpleOpinion
            | DeadlineKind::OpinionDelivery
            | DeadlineKind::Review
            | DeadlineKind::ReReview
            | DeadlineKind::Implementation => Some(Question::Unhandled),
            // A right of the receiving organ, not a duty: its lapse is no finding.
            DeadlineKind::ObjectionWindow => None,
            // The petitioner's windows: their lapse makes the case final, no one failed.
            DeadlineKind::ReviewWindow | DeadlineKind::ReReviewWindow => None,
        }
    }
}

/// The period (期间) of a computed clock (fixed-date kinds have none).
pub fn period_of(kind: DeadlineKind, limits: &Limits) -> (u32, PeriodUnit) {
    let engine = &limits.engine;
    match kind {
        DeadlineKind::Acceptance => (limits.acceptance_days, PeriodUnit::CalendarDays),
        DeadlineKind::ReceiptNotice => (engine.receipt_notice_days, PeriodUnit::CalendarDays),
        DeadlineKind::ObjectionWindow => (engine.objection_working_days, PeriodUnit::WorkingDays),
        DeadlineKind::Handling => (engine.handling_days, PeriodUnit::CalendarDays),
        DeadlineKind::SimpleAcceptance => (
            engine.simple_acceptance_working_days,
            PeriodUnit::WorkingDays,
        ),
        DeadlineKind::SimpleOpinion => {
            (engine.simple_opinion_working_days, PeriodUnit::WorkingDays)
        }
        DeadlineKind::OpinionDelivery => (engine.opinion_delivery_days, PeriodUnit::CalendarDays),
        DeadlineKind::ReviewWindow => (engine.review_request_days, PeriodUnit::CalendarDays),
        DeadlineKind::Review => (engine.review_days, PeriodUnit::CalendarDays),
        DeadlineKind::ReReviewWindow => (engine.re_review_request_days, PeriodUnit::CalendarDays),
        DeadlineKind::ReReview => (engine.re_review_days, PeriodUnit::CalendarDays),
        DeadlineKind::Assignment
        | DeadlineKind::UpstreamAssignment
        | DeadlineKind::Implementation => (0, PeriodUnit::CalendarDays),
    }
}

/// The timer steps (期限提醒) a kind gets.
pub fn steps_of(kind: DeadlineKind) -> &'static [DeadlineStep] {
    const ALL: &[DeadlineStep] = &[
        DeadlineStep::Warning,
        DeadlineStep::Due,
        DeadlineStep::Overdue,
        DeadlineStep::LongOverdue,
    ];
    match kind {
        // A window, not a duty: remind before it closes, nothing after.
        DeadlineKind::ObjectionWindow => &[DeadlineStep::Warning, DeadlineStep::Due],
        // Recorded when the decision is known, already closed.
        DeadlineKind::SimpleAcceptance => &[],
        // The petitioner's windows: only the day after the last day matters (finality).
        DeadlineKind::ReviewWindow | DeadlineKind::ReReviewWindow => &[DeadlineStep::Overdue],
        _ => ALL,
    }
}

/// How many extensions (延期) of at most how many days a kind allows.
pub fn extension_policy(kind: DeadlineKind, limits: &Limits) -> Option<(u32, u32)> {
    match kind {
        DeadlineKind::Handling => Some((
            limits.engine.handling_max_extensions,
            limits.engine.handling_extension_days,
        )),
        _ => None,
    }
}

/// The clocks a receiving organ (承办机关) owes: the acceptance notice and the objection window.
pub const RECEIVING_KINDS: [DeadlineKind; 2] =
    [DeadlineKind::ReceiptNotice, DeadlineKind::ObjectionWindow];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_and_has_a_basis() {
        for k in DeadlineKind::ALL {
            assert_eq!(DeadlineKind::parse(k.as_str()), Some(k));
            assert!(k.basis().contains('《') || k.basis().contains("国家信访局"));
            assert!(!k.label_zh().is_empty());
        }
        assert_eq!(DeadlineKind::parse("nope"), None);
    }

    #[test]
    fn every_kind_has_a_period_and_steps() {
        let limits = Limits::default();
        assert_eq!(
            period_of(DeadlineKind::Handling, &limits),
            (60, PeriodUnit::CalendarDays)
        );
        assert_eq!(
            period_of(DeadlineKind::ObjectionWindow, &limits),
            (5, PeriodUnit::WorkingDays)
        );
        assert_eq!(
            period_of(DeadlineKind::SimpleOpinion, &limits),
            (10, PeriodUnit::WorkingDays)
        );
        assert_eq!(steps_of(DeadlineKind::Acceptance).len(), 4);
        assert_eq!(steps_of(DeadlineKind::ObjectionWindow).len(), 2);
        assert!(extension_policy(DeadlineKind::Handling, &limits).is_some());
        assert!(extension_policy(DeadlineKind::Acceptance, &limits).is_none());
    }
}
