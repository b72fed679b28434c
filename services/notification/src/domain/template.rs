//! Template text (文书模板正文): placeholders `{{field}}`, checked when a template is saved and
//! filled when a notice is made. A template that would break is refused at save time, never
//! discovered broken when a petitioner should have been told.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::catalog::{TemplateSpec, COMMON_FIELDS};

/// Why a template's text was refused (模板校验错误).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("模板含未知占位符 {{{{{0}}}}}")]
    UnknownPlaceholder(String),
    #[error("模板缺少必填字段 {{{{{0}}}}}")]
    MissingRequired(String),
    #[error("模板占位符未闭合或为空")]
    Malformed,
    #[error("模板{0}不能为空")]
    Empty(&'static str),
    #[error("模板{0}过长（上限 {1} 字符）")]
    TooLong(&'static str, usize),
}

/// The text of one version of a template (模板某一版本的标题与正文).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateText {
    pub title: String,
    pub body: String,
}

/// A notice's text once filled (已填充的标题与正文).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub title: String,
    pub body: String,
}

const MAX_TITLE: usize = 200;
const MAX_BODY: usize = 20_000;

/// The placeholders of a text, in order, or `Malformed`.
pub fn placeholders(text: &str) -> Result<Vec<&str>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(TemplateError::Malformed)?;
        let name = after[..end].trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(TemplateError::Malformed);
        }
        out.push(name);
        rest = &after[end + 2..];
    }
    if rest.contains("}}") {
        return Err(TemplateError::Malformed);
    }
    Ok(out)
}

impl TemplateText {
    /// A template text checked against its specification: every placeholder is a field the
    /// template knows, and every required field appears.
    pub fn parse(
        spec: &TemplateSpec,
        title: &str,
        body: &str,
    ) -> Result<TemplateText, TemplateError> {
        let (title, body) = (title.trim(), body.trim());
        if title.is_empty() {
            return Err(TemplateError::Empty("标题"));
        }
        if body.is_empty() {
            return Err(TemplateError::Empty("正文"));
        }
        if title.chars().count() > MAX_TITLE {
            return Err(TemplateError::TooLong("标题", MAX_TITLE));
        }
        if body.chars().count() > MAX_BODY {
            return Err(TemplateError::TooLong("正文", MAX_BODY));
        }
        let mut used = placeholders(title)?;
        used.extend(placeholders(body)?);
        for name in &used {
            if !COMMON_FIELDS.contains(name) && !spec.fields.iter().any(|f| f.name == *name) {
                return Err(TemplateError::UnknownPlaceholder((*name).to_string()));
            }
        }
        for field in spec.fields.iter().filter(|f| f.required) {
            if !used.contains(&field.name) {
                return Err(TemplateError::MissingRequired(field.name.to_string()));
            }
        }
        Ok(TemplateText {
            title: title.to_string(),
            body: body.to_string(),
        })
    }

    /// Fill the text with `fields`; a date written `YYYY-MM-DD` reads in Chinese (`2025年9月26日`).
    /// A required field without a value is an error naming it; an optional one reads as nothing.
    pub fn render(
        &self,
        spec: &TemplateSpec,
        fields: &BTreeMap<String, String>,
    ) -> Result<Rendered, TemplateError> {
        for field in spec.fields.iter().filter(|f| f.required) {
            if fields.get(field.name).is_none_or(|v| v.trim().is_empty()) {
                return Err(TemplateError::MissingRequired(field.name.to_string()));
            }
        }
        Ok(Rendered {
            title: fill(&self.title, fields)?,
            body: tidy(&fill(&self.body, fields)?),
        })
    }
}

/// The fields of a preview (告知书预览字段), checked against the template before it is filled: every
/// name must be a field of the template or a common one, every value text, and every required
/// field given. Returns the fields, or every problem as (field, Chinese message).
pub fn preview_fields(
    spec: &TemplateSpec,
    given: &serde_json::Map<String, serde_json::Value>,
) -> Result<BTreeMap<String, String>, Vec<(String, String)>> {
    let mut problems = Vec::new();
    let mut fields = BTreeMap::new();
    for (name, value) in given {
        let known = COMMON_FIELDS.contains(&name.as_str())
            || spec.fields.iter().any(|f| f.name == name.as_str());
        if !known {
            problems.push((name.clone(), format!("模板“{}”没有字段 {name}", spec.name)));
            continue;
        }
        match value {
            serde_json::Value::String(s) => {
                fields.insert(name.clone(), s.clone());
            }
            serde_json::Value::Null => {}
            _ => problems.push((name.clone(), format!("字段 {name} 应为文本"))),
        }
    }
    for f in spec.fields.iter().filter(|f| f.required) {
        if fields.get(f.name).is_none_or(|v| v.trim().is_empty()) {
            problems.push((f.name.to_string(), format!("缺少必填字段 {}", f.name)));
        }
    }
    if problems.is_empty() {
        Ok(fields)
    } else {
        Err(problems)
    }
}

fn fill(text: &str, fields: &BTreeMap<String, String>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(TemplateError::Malformed)?;
        let name = after[..end].trim();
        if let Some(value) = fields.get(name) {
            out.push_str(&display_value(value));
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Lines left empty by optional fields go; paragraphs keep their order.
fn tidy(body: &str) -> String {
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn display_value(value: &str) -> String {
    match NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d") {
        Ok(d) => date_zh(d),
        Err(_) => value.trim().to_string(),
    }
}

/// A date as notices write it: `2025年9月26日`.
pub fn date_zh(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

/// A date as a formal document's signature writes it (成文日期, GB/T 9704): `二〇二五年九月二十六日`.
pub fn date_zh_formal(d: NaiveDate) -> String {
    use chrono::Datelike;
    const DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    let year: String = d
        .year()
        .to_string()
        .chars()
        .filter_map(|c| c.to_digit(10).map(|n| DIGITS[n as usize]))
        .collect();
    fn small(n: u32) -> String {
        const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
        match n {
            0..=9 => D[n as usize].to_string(),
            10 => "十".into(),
            11..=19 => format!("十{}", D[(n % 10) as usize]),
            _ => format!("{}十{}", D[(n / 10) as usize], D[(n % 10) as usize]),
        }
    }
    format!("{year}年{}月{}日", small(d.month()), small(d.day()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog;

    #[test]
    fn every_built_in_template_passes_its_own_check() {
        for spec in catalog::ALL {
            TemplateText::parse(spec, spec.title, spec.body)
                .unwrap_or_else(|e| panic!("{}: {e}", spec.code));
        }
    }

    #[test]
    fn unknown_placeholders_and_missing_required_fields_are_refused() {
        let spec = catalog::find("extension_notice").unwrap();
        assert_eq!(
            TemplateText::parse(
                spec,
                "延期告知书",
                "{{reason}}{{original_due_on}}{{extended_due_on}}{{shoe_size}}"
            ),
            Err(TemplateError::UnknownPlaceholder("shoe_size".into()))
        );
        assert_eq!(
            TemplateText::parse(spec, "延期告知书", "因{{reason}}延期至{{extended_due_on}}"),
            Err(TemplateError::MissingRequired("original_due_on".into()))
        );
        assert_eq!(
            TemplateText::parse(spec, "延期告知书", "{{reason"),
            Err(TemplateError::Malformed)
        );
        assert_eq!(
            TemplateText::parse(spec, " ", "x"),
            Err(TemplateError::Empty("标题"))
        );
    }

    #[test]
    fn rendering_fills_dates_in_chinese_and_drops_empty_optional_lines() {
        let spec = catalog::find("extension_notice").unwrap();
        let text = TemplateText::parse(spec, spec.title, spec.body).unwrap();
        let mut fields = BTreeMap::from([
            ("case_number".to_string(), "140423-2026-000001".to_string()),
            ("reason".to_string(), "情况复杂".to_string()),
            ("original_due_on".to_string(), "2026-12-01".to_string()),
            ("extended_due_on".to_string(), "2026-12-31".to_string()),
        ]);
        let r = text.render(spec, &fields).unwrap();
        assert!(r.body.contains("2026年12月31日") && r.body.contains("情况复杂"));
        assert!(!r.body.contains("{{"));
        fields.remove("reason");
        assert_eq!(
            text.render(spec, &fields),
            Err(TemplateError::MissingRequired("reason".into()))
        );
    }

    #[test]
    fn preview_fields_name_unknown_and_missing_ones() {
        let spec = catalog::find("assignment_to_unit").unwrap();
        let given = serde_json::json!({ "due_on": "2026-12-20", "instructions": "请核实", "case_number": "140423-2026-000001" });
        let fields = preview_fields(spec, given.as_object().unwrap()).unwrap();
        assert_eq!(fields["due_on"], "2026-12-20");
        let given = serde_json::json!({ "instructions": 3, "shoe_size": "42" });
        let problems = preview_fields(spec, given.as_object().unwrap()).unwrap_err();
        let named: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(named, ["instructions", "shoe_size", "due_on"]);
        assert!(problems[2].1.contains("缺少必填字段"));
    }

    #[test]
    fn formal_dates_use_chinese_numerals() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(date_zh_formal(d(2025, 9, 26)), "二〇二五年九月二十六日");
        assert_eq!(date_zh_formal(d(2026, 12, 10)), "二〇二六年十二月十日");
        assert_eq!(date_zh_formal(d(2026, 1, 1)), "二〇二六年一月一日");
        assert_eq!(date_zh(d(2025, 9, 26)), "2025年9月26日");
    }
}
