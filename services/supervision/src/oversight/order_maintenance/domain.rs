//! Prohibited conduct (第二十六条), the responses to it (第四十七条), and the rule that a person
//! is never referenced by an identity number (身份证号).

/// Prohibited conduct (第二十六条 (一)–(六)).
pub const CONDUCTS: [(&str, &str); 6] = [
    (
        "illegal_gathering",
        "非法聚集、围堵冲击机关、拦截公务车辆、堵塞交通",
    ),
    ("dangerous_items", "携带危险物品、管制器具"),
    (
        "assault_or_threat",
        "侮辱、殴打、威胁工作人员，限制他人人身自由或毁坏财物",
    ),
    (
        "lingering_or_abandoning",
        "在接待场所滞留、滋事或弃留生活不能自理的人",
    ),
    (
        "incitement",
        "煽动、串联、胁迫、诱使、操纵他人信访或借机敛财",
    ),
    (
        "other_disorder",
        "其他扰乱公共秩序、妨害国家和公共安全的行为",
    ),
];

/// Responses (第四十七条).
pub const RESPONSES: [(&str, &str); 4] = [
    ("dissuasion", "劝阻"),
    ("criticism", "批评"),
    ("education", "教育"),
    ("police", "移交公安机关处置"),
];

pub fn conduct_label(s: &str) -> Option<&'static str> {
    CONDUCTS.iter().find(|(k, _)| *k == s).map(|(_, l)| *l)
}

pub fn response_label(s: &str) -> Option<&'static str> {
    RESPONSES.iter().find(|(k, _)| *k == s).map(|(_, l)| *l)
}

/// A person reference must not be an identity number (身份证号): 15 or 18 characters of digits
/// (the last may be X).
pub fn looks_like_id_number(s: &str) -> bool {
    let s = s.trim();
    let n = s.chars().count();
    (n == 15 || n == 18)
        && s.chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || (i == n - 1 && (c == 'X' || c == 'x')))
        || s.chars().filter(|c| c.is_ascii_digit()).count() >= 15
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_numbers_are_refused_as_references() {
        assert!(looks_like_id_number("14042319800101123X"));
        assert!(looks_like_id_number("140423800101123"));
        assert!(looks_like_id_number("ID 140423-19800101-1234"));
        assert!(!looks_like_id_number("person:7f3a2c"));
        assert!(!looks_like_id_number("信访人A-2025-17"));
    }

    #[test]
    fn labels() {
        assert_eq!(response_label("police"), Some("移交公安机关处置"));
        assert!(conduct_label("dangerous_items").is_some());
        assert!(conduct_label("x").is_none());
    }
}
