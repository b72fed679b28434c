//! Plain-text output: aligned tables, times and ages (输出格式).

use chrono::{DateTime, Utc};

/// Pretty-printed JSON of what a command prints with `--json`.
// Cannot fail: the CLI prints JSON values and derived structs of strings, numbers and times.
#[allow(clippy::expect_used)]
pub fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).expect("JSON output serializes")
}

/// Render rows under a header, columns separated by two spaces, each as wide as its widest cell.
/// Widths count characters; CJK text therefore aligns only approximately.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.zip(&widths).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(cell);
            if i + 1 < widths.len() {
                s.extend(std::iter::repeat_n(
                    ' ',
                    w.saturating_sub(cell.chars().count()),
                ));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

/// One line of at most `max` characters (newlines flattened), with `…` when shortened.
pub fn clip(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= max {
        flat
    } else {
        flat.chars().take(max.saturating_sub(1)).collect::<String>() + "…"
    }
}

pub fn time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `3725` → `1h 2m 5s`.
pub fn age(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3_600,
        secs % 3_600 / 60,
        secs % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m {s}s"),
        _ => format!("{d}d {h}h {m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let t = table(
            &["id", "reason"],
            &[
                vec!["1".into(), "rejected".into()],
                vec!["100".into(), "delivery_limit".into()],
            ],
        );
        assert_eq!(
            t, "id   reason\n1    rejected\n100  delivery_limit\n",
            "{t}"
        );
    }

    #[test]
    fn clipping_flattens_and_shortens() {
        assert_eq!(clip("a\nb", 10), "a b");
        assert_eq!(clip("abcdef", 4), "abc…");
    }

    #[test]
    fn ages_read_well() {
        assert_eq!(age(5), "5s");
        assert_eq!(age(65), "1m 5s");
        assert_eq!(age(3725), "1h 2m 5s");
        assert_eq!(age(90_000), "1d 1h 0m");
    }
}
