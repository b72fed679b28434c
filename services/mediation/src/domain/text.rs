//! Checks of free text and codes shared by the domain types (文本与代码校验).

use super::error::{MediationError, Result};

/// A required text of at most `max` characters, trimmed.
pub fn required(field: &str, label: &str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(MediationError::invalid(field, format!("{label}不能为空")));
    }
    if v.chars().count() > max {
        return Err(MediationError::invalid(
            field,
            format!("{label}不能超过 {max} 个字"),
        ));
    }
    Ok(v.to_string())
}

/// An optional text: `None` when absent or blank.
pub fn optional(
    field: &str,
    label: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required(field, label, v, max).map(Some),
    }
}

/// A code (领域代码, 单位代码): 1..=50 characters, no whitespace.
pub fn code(field: &str, label: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > 50 || v.chars().any(char::is_whitespace) {
        return Err(MediationError::invalid(
            field,
            format!("{label}不能为空、不能含空白、不能超过 50 个字符"),
        ));
    }
    Ok(v.to_string())
}

/// A non-empty list of codes without repeats.
pub fn codes(field: &str, label: &str, values: &[String]) -> Result<Vec<String>> {
    if values.is_empty() {
        return Err(MediationError::invalid(
            field,
            format!("{label}至少填写一项"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let c = code(&format!("{field}[{i}]"), label, v)?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// A non-empty list of names (1..=50 characters each) without repeats.
pub fn names(field: &str, label: &str, values: &[String]) -> Result<Vec<String>> {
    if values.is_empty() {
        return Err(MediationError::invalid(
            field,
            format!("{label}至少填写一项"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let n = required(&format!("{field}[{i}]"), label, v, 50)?;
        if !out.contains(&n) {
            out.push(n);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_and_codes() {
        assert_eq!(required("f", "事由", "  调解 ", 10).unwrap(), "调解");
        assert!(required("f", "事由", " ", 10).is_err());
        assert!(required("f", "事由", "一二三", 2).is_err());
        assert_eq!(optional("f", "x", Some(" "), 5).unwrap(), None);
        assert!(code("f", "领域", "labour social").is_err());
        assert_eq!(
            codes("f", "领域", &["a".into(), "a".into()]).unwrap(),
            vec!["a"]
        );
        assert!(codes("f", "领域", &[]).is_err());
    }
}
