//! Input rules shared by every service (输入校验), as pure functions: where a NUL character
//! (`\u0000`, which PostgreSQL refuses in `text`) stands in a JSON body or a query string, and which
//! field a parse error concerns. [`crate::input_guard`] applies them to every request;
//! [`crate::error`] uses them to name the field in its parse-error answers.

use actix_web::web::Bytes;
use serde_json::Value;

/// The JSON body as received, kept for error messages that name the failing field.
#[derive(Debug, Clone)]
pub struct RawJsonBody(pub Bytes);

/// The path (e.g. `petitioners[0].name`) of the first string, or object key, containing a NUL
/// character; `body` when the whole body is such a string.
pub fn find_nul(value: &Value) -> Option<String> {
    fn walk(value: &Value, path: &mut String) -> bool {
        match value {
            Value::String(s) => s.contains('\0'),
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            Value::Object(map) => map.iter().any(|(k, v)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&k.replace('\0', "\\u0000"));
                let found = k.contains('\0') || walk(v, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            _ => false,
        }
    }
    let mut path = String::new();
    if walk(value, &mut path) {
        Some(if path.is_empty() { "body".into() } else { path })
    } else {
        None
    }
}

/// The decoded query parameters (`%00` decoded to NUL), or none when the string is not
/// `application/x-www-form-urlencoded`.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default()
}

/// The first query parameter whose name or value contains a NUL character.
pub fn find_query_nul(query: &str) -> Option<String> {
    if !query.contains("%00") && !query.contains('\0') {
        return None;
    }
    query_pairs(query)
        .into_iter()
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| k.replace('\0', "\\u0000"))
}

/// The JSON path of the value at serde_json's error position (`line`, `column`, both 1-based) in
/// `body`: the value (or key) just read when the error was raised. With `container_only`, the
/// path of the object being read instead (for a missing field, reported at its closing brace).
pub fn json_path_at(body: &[u8], line: usize, column: usize, container_only: bool) -> String {
    enum Frame {
        Object { key: Option<String>, in_key: bool },
        Array { index: usize },
    }
    // Byte offset of the position: serde_json counts columns in bytes.
    let mut start = 0;
    let mut current = 1;
    while current < line {
        match body[start..].iter().position(|b| *b == b'\n') {
            Some(p) => {
                start += p + 1;
                current += 1;
            }
            None => break,
        }
    }
    let end = (start + column).min(body.len());
    let text = &body[..end];
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'{' => stack.push(Frame::Object {
                key: None,
                in_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { in_key, .. }) => *in_key = true,
                None => {}
            },
            b':' => {
                if let Some(Frame::Object { in_key, .. }) = stack.last_mut() {
                    *in_key = false;
                }
            }
            b'"' => {
                let from = i;
                i += 1;
                while i < text.len() && text[i] != b'"' {
                    if text[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if let Some(Frame::Object { key, in_key: true }) = stack.last_mut() {
                    let raw = &text[from..(i + 1).min(text.len())];
                    *key = Some(serde_json::from_slice::<String>(raw).unwrap_or_else(|_| {
                        String::from_utf8_lossy(raw).trim_matches('"').to_string()
                    }));
                }
            }
            _ => {}
        }
        i += 1;
    }
    let last = stack.len().saturating_sub(1);
    let mut path = String::new();
    for (n, frame) in stack.iter().enumerate() {
        match frame {
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
            Frame::Object {
                key: Some(k),
                in_key,
            } => {
                // A key already followed by a comma is a finished member, not the failing one.
                if n == last && (container_only || (*in_key && !ends_in_key(text))) {
                    continue;
                }
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object { key: None, .. } => {}
        }
    }
    path
}

/// Whether the scanned text ends with a string (a key just read), ignoring whitespace.
fn ends_in_key(text: &[u8]) -> bool {
    text.iter()
        .rev()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'"')
}

/// The query parameter a `serde_urlencoded` error is about, when it can be told: the field a
/// missing/unknown-field error quotes, or the first parameter whose value fails to parse with the
/// same error.
pub fn query_error_field(reason: &str, query: &str) -> Option<String> {
    if reason.starts_with("missing field") || reason.starts_with("unknown field") {
        return reason.split('`').nth(1).map(str::to_string);
    }
    let same = |e: String| !e.is_empty() && (e == reason || reason.ends_with(e.as_str()));
    query_pairs(query).into_iter().find_map(|(k, v)| {
        let hit = v
            .parse::<i64>()
            .err()
            .map(|e| e.to_string())
            .is_some_and(same)
            || v.parse::<u64>()
                .err()
                .map(|e| e.to_string())
                .is_some_and(same)
            || v.parse::<i32>()
                .err()
                .map(|e| e.to_string())
                .is_some_and(same)
            || v.parse::<u32>()
                .err()
                .map(|e| e.to_string())
                .is_some_and(same)
            || v.parse::<i16>()
                .err()
                .map(|e| e.to_string())
                .is_some_and(same)
            || v.parse::<u16>()
                .err()
                .map(|e| e.to_string())
                .is_some_and(same)
            || v.parse::<f64>()
                .err()
                .map(|e| e.to_string())
                .is_some_and(same)
            || v.parse::<bool>()
                .err()
                .map(|e| e.to_string())
                .is_some_and(same)
            || v.parse::<chrono::NaiveDate>()
                .err()
                .map(|e| e.to_string())
                .is_some_and(same)
            || v.parse::<chrono::DateTime<chrono::Utc>>()
                .err()
                .map(|e| e.to_string())
                .is_some_and(same)
            || v.parse::<uuid::Uuid>()
                .err()
                .map(|e| e.to_string())
                .is_some_and(same);
        hit.then_some(k)
    })
}

/// What is wrong with a value, in Chinese, from serde's (English) reason.
pub fn describe(reason: &str) -> &'static str {
    let r = reason.to_ascii_lowercase();
    if r.contains("too large") || r.contains("too small") || r.contains("out of range") {
        "数值或日期超出允许范围"
    } else if r.starts_with("invalid value: integer") || r.starts_with("invalid value: floating") {
        "数值超出允许范围"
    } else if r.starts_with("invalid type") {
        "类型不正确"
    } else if r.starts_with("unknown variant") {
        "取值不是允许的选项"
    } else if r.starts_with("invalid length") {
        "元素个数不正确"
    } else if r.contains("invalid digit") || r.contains("empty string") {
        "取值不是有效的数字"
    } else if r.contains("premature end")
        || r.contains("invalid characters")
        || r.contains("trailing input")
        || r.contains("input is not enough")
    {
        "日期或时间格式不正确"
    } else {
        "取值不正确"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_nul_in_a_nested_string_is_found_with_its_path() {
        let v = json!({"summary": "ok", "petitioners": [{"name": "甲"}, {"name": "乙\u{0}"}]});
        assert_eq!(find_nul(&v).as_deref(), Some("petitioners[1].name"));
        assert_eq!(
            find_nul(&json!({"a": {"b": "x\u{0}y"}})).as_deref(),
            Some("a.b")
        );
        assert_eq!(find_nul(&json!("\u{0}")).as_deref(), Some("body"));
        assert_eq!(find_nul(&json!({"k\u{0}": 1})).as_deref(), Some("k\\u0000"));
        assert_eq!(find_nul(&json!({"a": ["x", 1, null, {"b": "中文"}]})), None);
    }

    #[test]
    fn a_nul_in_a_query_parameter_is_found_by_name() {
        assert_eq!(find_query_nul("q=abc%00def&x=1").as_deref(), Some("q"));
        assert_eq!(find_query_nul("x=1&status=a%00").as_deref(), Some("status"));
        assert_eq!(find_query_nul("q=abc&x=%2500"), None);
        assert_eq!(find_query_nul(""), None);
    }

    fn path_of_error<T: serde::de::DeserializeOwned + std::fmt::Debug>(body: &str) -> String {
        let e = serde_json::from_str::<T>(body).expect_err("must fail");
        let missing = e.to_string().starts_with("missing field");
        json_path_at(body.as_bytes(), e.line(), e.column(), missing)
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Person {
        name: String,
        age: Option<u32>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Form {
        summary: String,
        count: Option<u32>,
        #[serde(default)]
        people: Vec<Person>,
        on: Option<chrono::NaiveDate>,
    }

    #[test]
    fn a_parse_error_names_the_failing_field() {
        assert_eq!(
            path_of_error::<Form>(r#"{"summary": "x", "count": 5000000000}"#),
            "count"
        );
        assert_eq!(
            path_of_error::<Form>(
                r#"{"summary": "x", "people": [{"name": "a"}, {"name": "b", "age": -1}]}"#
            ),
            "people[1].age"
        );
        assert_eq!(
            path_of_error::<Form>("{\n  \"summary\": \"x\",\n  \"people\": [{\"name\": 3}]\n}"),
            "people[0].name"
        );
        assert_eq!(
            path_of_error::<Form>(r#"{"summary": "x", "colour": "red"}"#),
            "colour"
        );
        assert_eq!(
            path_of_error::<Form>(r#"{"summary": "x", "on": "2025-02-30"}"#),
            "on"
        );
        assert_eq!(
            path_of_error::<Form>(r#"{"summary": "x", "people": [{"age": 3}]}"#),
            "people[0]"
        );
        assert_eq!(path_of_error::<Form>(r#"{"count": 1}"#), "");
    }

    #[test]
    fn a_query_error_names_the_parameter_it_can_tell() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Q {
            q: Option<String>,
            limit: Option<i64>,
            after: Option<uuid::Uuid>,
        }
        for (qs, field) in [
            ("q=x&limit=99999999999999999999999", "limit"),
            ("limit=abc", "limit"),
            ("q=1&after=nope", "after"),
        ] {
            let e = serde_urlencoded::from_str::<Q>(qs).expect_err("must fail");
            assert_eq!(
                query_error_field(&e.to_string(), qs).as_deref(),
                Some(field),
                "{qs}: {e}"
            );
        }
        assert_eq!(
            describe("number too large to fit in target type"),
            "数值或日期超出允许范围"
        );
        assert_eq!(
            describe("invalid value: integer `5000000000`, expected u32"),
            "数值超出允许范围"
        );
    }
}
