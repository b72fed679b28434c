//! Kinds of recommendation (建议类型) and of adoption (采纳情况), and the board of their figures.

/// Kind of recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecommendationKind {
    /// 改进工作建议
    ImproveWork,
    /// 完善政策建议
    ImprovePolicy,
    /// 追究责任建议
    PursueAccountability,
}

impl RecommendationKind {
    pub const ALL: [RecommendationKind; 3] = [
        RecommendationKind::ImproveWork,
        RecommendationKind::ImprovePolicy,
        RecommendationKind::PursueAccountability,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RecommendationKind::ImproveWork => "improve_work",
            RecommendationKind::ImprovePolicy => "improve_policy",
            RecommendationKind::PursueAccountability => "pursue_accountability",
        }
    }
    pub fn parse(s: &str) -> Option<RecommendationKind> {
        RecommendationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            RecommendationKind::ImproveWork => "改进工作建议",
            RecommendationKind::ImprovePolicy => "完善政策建议",
            RecommendationKind::PursueAccountability => "追究责任建议",
        }
    }
    /// The finding of article 40 that the kind answers (《信访工作条例》第四十条), used when the
    /// bureau states none of its own.
    pub fn default_findings(self) -> &'static str {
        match self {
            RecommendationKind::ImproveWork => "有关工作存在不落实、不到位的问题，导致信访事项发生",
            RecommendationKind::ImprovePolicy => {
                "有关政策措施存在不完善、不合理的问题，导致信访事项发生"
            }
            RecommendationKind::PursueAccountability => {
                "有关单位或者人员在信访工作中存在失职失责情形，需要追究责任"
            }
        }
    }
}

/// 采纳情况
pub const ADOPTIONS: [(&str, &str); 3] = [
    ("adopted", "采纳"),
    ("partially_adopted", "部分采纳"),
    ("not_adopted", "未采纳"),
];

pub fn adoption_label(s: &str) -> Option<&'static str> {
    ADOPTIONS.iter().find(|(k, _)| *k == s).map(|(_, l)| *l)
}

/// Per kind of recommendation: issued, answered, adoption and overdue feedback (建议办理看板).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema, PartialEq)]
pub struct RecommendationBoardRow {
    pub kind: String,
    pub kind_label: String,
    pub issued: i64,
    pub answered: i64,
    pub adopted: i64,
    pub partially_adopted: i64,
    pub not_adopted: i64,
    /// 逾期未反馈
    pub overdue: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_adoption_parse() {
        assert_eq!(
            RecommendationKind::parse("improve_policy").map(|k| k.label_zh()),
            Some("完善政策建议")
        );
        assert!(RecommendationKind::ALL
            .iter()
            .all(|k| !k.default_findings().is_empty()));
        assert!(RecommendationKind::PursueAccountability
            .default_findings()
            .contains("失职失责"));
        assert_eq!(RecommendationKind::ImproveWork.label_zh(), "改进工作建议");
        assert_eq!(adoption_label("partially_adopted"), Some("部分采纳"));
        assert_eq!(adoption_label("maybe"), None);
    }
}
