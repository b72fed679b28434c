//! What a case-owning leader (包案领导) may record having done.

/// What a leader did on a case (包案领导履职).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaderAction {
    /// 接访约谈
    Interview,
    /// 实地走访
    SiteVisit,
    /// 召开协调会
    CoordinationMeeting,
    /// 批示
    Instruction,
    /// 其他
    Other,
}

impl LeaderAction {
    pub const ALL: [LeaderAction; 5] = [
        LeaderAction::Interview,
        LeaderAction::SiteVisit,
        LeaderAction::CoordinationMeeting,
        LeaderAction::Instruction,
        LeaderAction::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            LeaderAction::Interview => "interview",
            LeaderAction::SiteVisit => "site_visit",
            LeaderAction::CoordinationMeeting => "coordination_meeting",
            LeaderAction::Instruction => "instruction",
            LeaderAction::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<LeaderAction> {
        LeaderAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            LeaderAction::Interview => "接访约谈",
            LeaderAction::SiteVisit => "实地走访",
            LeaderAction::CoordinationMeeting => "召开协调会",
            LeaderAction::Instruction => "批示",
            LeaderAction::Other => "其他",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_parse() {
        assert_eq!(
            LeaderAction::parse("site_visit"),
            Some(LeaderAction::SiteVisit)
        );
        assert_eq!(LeaderAction::parse("lunch"), None);
    }
}
