//! Routing rules (分类规则, 依法分类处理): category × field × place → the responsible unit and, where
//! the law sends the matter elsewhere, a legal channel (导入法定途径). Rules are data; every
//! published set is kept as a version, and each decision records which version suggested what.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xinfang_contracts::events::{Category, LegalChannel};

use super::{
    error::FieldError,
    petition::{parse_category, FIELDS},
};

/// One rule. Unset criteria match anything; the most specific matching rule wins, ties by order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingRule {
    /// suggestion | accusation | claim
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// field code, e.g. `labour_social_security`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// 乡镇
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub township: Option<String>,
    /// Responsible unit (责任单位) to transfer or assign to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// litigation | arbitration | administrative_reconsideration | administrative_ruling |
    /// administrative_confirmation | administrative_licensing | administrative_penalty |
    /// administrative_procedure | discipline_inspection | political_legal | party_appeal |
    /// party_review | other
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_channel: Option<String>,
    /// Guidance for the petitioner (告知的途径和方式) when diverted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
}

pub fn parse_legal_channel(field: &str, s: &str) -> Result<LegalChannel, FieldError> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
        FieldError::new(
            field,
            "法定途径无效，应为 litigation（诉讼）、arbitration（仲裁）、administrative_reconsideration（行政复议）、administrative_ruling（行政裁决）、administrative_confirmation（行政确认）、administrative_licensing（行政许可）、administrative_penalty（行政处罚）、administrative_procedure（其他行政程序）、discipline_inspection（纪检监察）、political_legal（政法部门）、party_appeal（党员申诉）、party_review（申请复审）或 other（其他）",
        )
    })
}

pub fn legal_channel_code(c: LegalChannel) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Validate a whole rule set; every error names the rule.
pub fn validate(rules: &[RoutingRule]) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if rules.len() > 2000 {
        errors.push(FieldError::new("rules", "规则不能超过 2000 条"));
    }
    for (i, r) in rules.iter().enumerate() {
        let f = |k: &str| format!("rules[{i}].{k}");
        if let Some(c) = &r.category {
            if let Err(e) = parse_category(&f("category"), c) {
                errors.push(e);
            }
        }
        if let Some(x) = &r.field {
            if !FIELDS.iter().any(|(code, _)| code == x) {
                errors.push(FieldError::new(f("field"), "信访事项领域无效"));
            }
        }
        if let Some(c) = &r.legal_channel {
            if let Err(e) = parse_legal_channel(&f("legal_channel"), c) {
                errors.push(e);
            }
        }
        if r.unit.is_none() && r.legal_channel.is_none() {
            errors.push(FieldError::new(
                f("unit"),
                "每条规则须指定责任单位（unit）或法定途径（legal_channel）",
            ));
        }
        for (k, v, max) in [
            ("unit", &r.unit, 50),
            ("township", &r.township, 50),
            ("guidance", &r.guidance, 1000),
        ] {
            if v.as_ref()
                .is_some_and(|s| s.trim().is_empty() || s.chars().count() > max)
            {
                errors.push(FieldError::new(
                    f(k),
                    format!("不能为空且不能超过 {max} 个字"),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// What a rule set suggests for one petition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Suggestion {
    pub rule_version: i64,
    /// Index of the rule that matched, if any.
    pub rule_index: Option<usize>,
    pub unit: Option<String>,
    pub legal_channel: Option<String>,
    pub guidance: Option<String>,
    /// Rules skipped because they would send accusation material to the accused unit.
    #[serde(default)]
    pub skipped_accused_unit: Vec<usize>,
}

/// The facts a rule looks at.
pub struct Subject<'a> {
    pub category: Option<Category>,
    pub field: Option<&'a str>,
    pub township: Option<&'a str>,
    pub respondent_unit: Option<&'a str>,
}

pub fn suggest(version: i64, rules: &[RoutingRule], s: &Subject<'_>) -> Suggestion {
    // (specificity, index) of the best rule so far
    let mut best: Option<(usize, usize)> = None;
    let mut skipped = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        let mut specificity = 0;
        let ok = [
            (r.category.as_deref(), s.category.map(Category::as_str)),
            (r.field.as_deref(), s.field),
            (r.township.as_deref(), s.township),
        ]
        .iter()
        .all(|(want, have)| match want {
            None => true,
            Some(w) => {
                specificity += 1;
                Some(*w) == *have
            }
        });
        if !ok {
            continue;
        }
        if s.category == Some(Category::Accusation)
            && r.unit.is_some()
            && r.unit.as_deref() == s.respondent_unit
        {
            skipped.push(i);
            continue;
        }
        if best.is_none_or(|(b, _)| specificity > b) {
            best = Some((specificity, i));
        }
    }
    let rule = best.map(|(_, i)| &rules[i]);
    Suggestion {
        rule_version: version,
        rule_index: best.map(|(_, i)| i),
        unit: rule.and_then(|r| r.unit.clone()),
        legal_channel: rule.and_then(|r| r.legal_channel.clone()),
        guidance: rule.and_then(|r| r.guidance.clone()),
        skipped_accused_unit: skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(category: Option<&str>, field: Option<&str>, unit: &str) -> RoutingRule {
        RoutingRule {
            category: category.map(Into::into),
            field: field.map(Into::into),
            township: None,
            unit: Some(unit.into()),
            legal_channel: None,
            guidance: None,
        }
    }

    #[test]
    fn the_most_specific_rule_wins() {
        let rules = vec![
            rule(None, Some("labour_social_security"), "A"),
            rule(Some("claim"), Some("labour_social_security"), "B"),
            rule(Some("claim"), None, "C"),
        ];
        let s = suggest(
            3,
            &rules,
            &Subject {
                category: Some(Category::Claim),
                field: Some("labour_social_security"),
                township: None,
                respondent_unit: None,
            },
        );
        assert_eq!(s.unit.as_deref(), Some("B"));
        assert_eq!(s.rule_index, Some(1));
        assert_eq!(s.rule_version, 3);
        let none = suggest(
            3,
            &rules,
            &Subject {
                category: Some(Category::Suggestion),
                field: Some("other"),
                township: None,
                respondent_unit: None,
            },
        );
        assert_eq!(none.rule_index, None);
    }

    #[test]
    fn accusations_never_go_to_the_accused_unit() {
        let rules = vec![
            rule(Some("accusation"), None, "ACCUSED"),
            rule(None, None, "OTHER"),
        ];
        let s = suggest(
            1,
            &rules,
            &Subject {
                category: Some(Category::Accusation),
                field: None,
                township: None,
                respondent_unit: Some("ACCUSED"),
            },
        );
        assert_eq!(s.unit.as_deref(), Some("OTHER"));
        assert_eq!(s.skipped_accused_unit, vec![0]);
    }

    #[test]
    fn rule_sets_are_validated() {
        let bad = vec![
            RoutingRule {
                category: Some("x".into()),
                field: Some("y".into()),
                township: None,
                unit: None,
                legal_channel: Some("z".into()),
                guidance: None,
            },
            rule(None, None, "U"),
        ];
        let mut bad = bad;
        bad[1].unit = None;
        let e = validate(&bad).unwrap_err();
        let f: Vec<&str> = e.iter().map(|x| x.field.as_str()).collect();
        for k in [
            "rules[0].category",
            "rules[0].field",
            "rules[0].legal_channel",
            "rules[1].unit",
        ] {
            assert!(f.contains(&k), "{f:?}");
        }
        assert_eq!(
            parse_legal_channel("c", "political_legal").unwrap(),
            LegalChannel::PoliticalLegal
        );
        assert_eq!(
            legal_channel_code(LegalChannel::DisciplineInspection),
            "discipline_inspection"
        );
    }
}
