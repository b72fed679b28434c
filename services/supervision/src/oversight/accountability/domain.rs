//! Grounds of accountability (追责情形) with their articles, outcomes (处理结果) and kinds of
//! responsibility (责任类型).

/// Grounds (追责情形), each with its article.
pub const GROUNDS: [(&str, &str, &str); 19] = [
    (
        "abuse_of_power",
        "第四十二条第（一）项",
        "超越或者滥用职权，侵害合法权益",
    ),
    (
        "inaction",
        "第四十二条第（二）项",
        "应当作为而不作为，侵害合法权益",
    ),
    (
        "wrong_law_or_procedure",
        "第四十二条第（三）项",
        "适用法律、法规错误或者违反法定程序",
    ),
    (
        "refused_opinion",
        "第四十二条第（四）项",
        "拒不执行支持信访请求意见",
    ),
    (
        "bureau_failed_to_route",
        "第四十三条",
        "信访部门应当登记、转送、交办或督办而未履行",
    ),
    (
        "not_registered",
        "第四十四条第（一）项",
        "对收到的信访事项不按照规定登记",
    ),
    (
        "not_accepted",
        "第四十四条第（二）项",
        "对属于职权范围的信访事项不予受理",
    ),
    (
        "no_acceptance_notice",
        "第四十四条第（三）项",
        "未在规定期限内书面告知是否受理",
    ),
    (
        "delayed_handling",
        "第四十五条第（一）项",
        "推诿、敷衍、拖延办理或者未在规定期限内办结",
    ),
    (
        "valid_claim_unsupported",
        "第四十五条第（二）项",
        "对合法合理的投诉请求未予支持",
    ),
    (
        "recommendation_ignored",
        "第四十五条第（三）项",
        "对改进工作、完善政策等建议落实不力",
    ),
    (
        "other_handling_failure",
        "第四十五条第（四）项",
        "其他不履行或者不正确履行处理职责",
    ),
    (
        "rude_conduct",
        "第四十六条第（一）项",
        "对待信访人态度恶劣、作风粗暴",
    ),
    ("graft", "第四十六条第（二）项", "吃拿卡要、谋取私利"),
    (
        "mass_incident_mishandled",
        "第四十六条第（三）项",
        "对规模性集体访、负面舆情处置不力",
    ),
    (
        "concealment",
        "第四十六条第（四）项",
        "隐瞒、谎报、缓报重大紧急信访信息",
    ),
    (
        "accusation_leaked",
        "第四十六条第（五）项",
        "将检举揭发材料透露、转给被检举人",
    ),
    ("retaliation", "第四十六条第（六）项", "打击报复信访人"),
    (
        "other_misconduct",
        "第四十六条第（七）项",
        "其他违规违纪违法情形",
    ),
];

pub fn ground(code: &str) -> Option<(&'static str, &'static str)> {
    GROUNDS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, a, l)| (*a, *l))
}

/// Outcomes (处理结果).
pub const OUTCOMES: [(&str, &str); 7] = [
    ("ordered_to_correct", "责令改正"),
    ("criticism_education", "批评教育"),
    ("admonishment", "诫勉"),
    ("organizational_handling", "组织处理"),
    ("disciplinary_sanction", "党纪政务处分"),
    ("referred_to_judiciary", "移送司法机关"),
    ("no_liability", "经调查不予追责"),
];

pub fn outcome_label(s: &str) -> Option<&'static str> {
    OUTCOMES.iter().find(|(k, _)| *k == s).map(|(_, l)| *l)
}

/// Responsibility of a person (责任类型).
pub fn responsibility_label(s: &str) -> Option<&'static str> {
    match s {
        "direct" => Some("直接责任人员"),
        "supervising" => Some("直接负责的主管人员"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ground_names_its_article() {
        for (code, article, label) in GROUNDS {
            assert!(article.starts_with("第四十"), "{code}");
            assert!(!label.is_empty());
        }
        assert_eq!(ground("retaliation").unwrap().0, "第四十六条第（六）项");
        assert!(ground("bad_luck").is_none());
        assert_eq!(outcome_label("admonishment"), Some("诫勉"));
        assert_eq!(responsibility_label("direct"), Some("直接责任人员"));
    }
}
