//! Text tokens for repeat detection and search (文本特征).
//!
//! Chinese has no spaces, and PostgreSQL's `pg_trgm` treats a run of Chinese characters as one
//! word whose 3-grams are too strict for paraphrases (`工资被拖欠三个月` vs `拖欠工资三个月`:
//! trigram similarity 0.13, character-bigram Jaccard 0.44). So the text is cut into character
//! bigrams (Han characters) and words (Latin letters and digits), each hashed to an `int4`:
//!
//! - [`search_tokens`]: the hashes, for full-text search (`tokens @> query`), with a GIN index
//!   (`gin__int_ops`), and for repeat detection: the same tokens are kept per petition in
//!   `content_signatures` under the matter's scope ([`scope_of`]: field and respondent), and the
//!   score is the Jaccard similarity of the token sets (`icount(a & b)` in `intarray`), computed
//!   only against petitions of the same scope (see [`crate::domain::repeat`]).

use std::collections::BTreeSet;

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// The distinct textual features: Han bigrams (a lone Han character counts as itself) and
/// lower-cased alphanumeric words.
pub fn features(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut han: Vec<char> = Vec::new();
    let mut word = String::new();
    let flush_han = |han: &mut Vec<char>, out: &mut BTreeSet<String>| {
        match han.len() {
            0 => {}
            1 => {
                out.insert(han[0].to_string());
            }
            _ => {
                for w in han.windows(2) {
                    out.insert(w.iter().collect());
                }
            }
        }
        han.clear();
    };
    for c in text.chars() {
        if is_han(c) {
            if !word.is_empty() {
                out.insert(std::mem::take(&mut word));
            }
            han.push(c);
        } else if c.is_alphanumeric() {
            flush_han(&mut han, &mut out);
            word.extend(c.to_lowercase());
        } else {
            flush_han(&mut han, &mut out);
            if !word.is_empty() {
                out.insert(std::mem::take(&mut word));
            }
        }
    }
    flush_han(&mut han, &mut out);
    if !word.is_empty() {
        out.insert(word);
    }
    out
}

fn fnv1a(parts: &[&[u8]]) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for p in parts {
        for b in *p {
            h ^= u32::from(*b);
            h = h.wrapping_mul(0x0100_0193);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0193);
    }
    h as i32
}

/// Sorted, distinct hashes (the form `intarray` expects).
fn hashes(text: &str) -> Vec<i32> {
    let mut v: Vec<i32> = features(text)
        .iter()
        .map(|f| fnv1a(&[f.as_bytes()]))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Tokens for free-text search and for content comparison within a scope.
pub fn search_tokens(text: &str) -> Vec<i32> {
    hashes(text)
}

/// The scope within which content is compared (比对范围): same field and same respondent. The
/// migration `0003_content_signatures.sql` builds the same string in SQL for existing petitions.
pub fn scope_of(field: Option<&str>, respondent_unit: Option<&str>) -> String {
    format!(
        "{}|{}",
        field.unwrap_or("-"),
        respondent_unit.unwrap_or("-")
    )
}

/// Jaccard similarity of two sorted token lists (the same formula the SQL uses).
pub fn jaccard(a: &[i32], b: &[i32]) -> f32 {
    if a.is_empty() && b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared as f32 / (a.len() + b.len() - shared) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigrams_and_words() {
        let f = features("拖欠工资 3 个月，ABC公司");
        for x in ["拖欠", "欠工", "工资", "3", "个月", "abc", "公司"] {
            assert!(f.contains(x), "{x} in {f:?}");
        }
        assert!(features("").is_empty());
    }

    #[test]
    fn paraphrases_score_higher_than_other_matters() {
        let a = search_tokens("工资被拖欠三个月");
        let b = search_tokens("拖欠工资三个月");
        let c = search_tokens("宅基地被邻居占用");
        assert!(jaccard(&a, &b) > 0.4, "{}", jaccard(&a, &b));
        assert!(jaccard(&a, &c) < 0.1);
        assert_eq!(jaccard(&a, &a), 1.0);
        assert_eq!(scope_of(Some("f"), None), "f|-");
    }
}
