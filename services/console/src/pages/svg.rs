//! Charts drawn on the server as SVG (服务端绘制的统计图): no chart library, no script. Each chart
//! carries a `<title>` and `<desc>` (read by screen readers through `aria-labelledby`); the page
//! prints the same numbers in a table beside it. Colours are presentation attributes (the CSP
//! refuses inline styles); text inherits the page's font, so Chinese labels render with it.

use std::fmt::Write;

/// Bar colour (contrast ≥ 3:1 against white) and text colour.
const BAR: &str = "#0b4f9c";
const INK: &str = "#1a1a1a";
const GRID: &str = "#8a8a8a";

/// Escape text for SVG/XML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number as printed on a chart (integers without decimals).
fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

/// Shorten a label to `max` characters (the table beside the chart has the full text).
fn short(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// A horizontal bar chart (横向条形图): one bar per item, the value at its end.
pub fn bar_chart(id: &str, title: &str, desc: &str, items: &[(String, f64)]) -> String {
    let width = 560.0;
    let label_w = 150.0;
    let row = 26.0;
    let top = 8.0;
    let height = top * 2.0 + row * items.len().max(1) as f64;
    let max = items.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
    let span = width - label_w - 60.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" id="{id}" role="img" aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        esc(title),
        esc(desc)
    );
    if items.is_empty() {
        let _ = write!(
            s,
            r#"<text x="8" y="{}" fill="{INK}" font-size="14">本期无数据</text>"#,
            top + 18.0
        );
    }
    let _ = write!(
        s,
        r#"<line x1="{label_w}" y1="{top}" x2="{label_w}" y2="{}" stroke="{GRID}" stroke-width="1"/>"#,
        height - top
    );
    for (i, (label, value)) in items.iter().enumerate() {
        let y = top + row * i as f64;
        let w = if max > 0.0 { span * value / max } else { 0.0 };
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end" fill="{INK}" font-size="14">{}</text><rect x="{label_w}" y="{}" width="{w:.1}" height="{}" fill="{BAR}"/><text x="{:.1}" y="{}" fill="{INK}" font-size="14">{}</text>"#,
            label_w - 6.0,
            y + 18.0,
            esc(&short(label, 10)),
            y + 4.0,
            row - 8.0,
            label_w + w + 6.0,
            y + 18.0,
            num(*value)
        );
    }
    s.push_str("</svg>");
    s
}

/// A line chart by month (按月趋势图): one point per month, its value above it.
pub fn line_chart(id: &str, title: &str, desc: &str, points: &[(String, f64)]) -> String {
    let (width, height) = (560.0, 240.0);
    let (left, right, top, bottom) = (40.0, 16.0, 24.0, 36.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let max = points
        .iter()
        .map(|(_, v)| *v)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let n = points.len();
    let x_of = |i: usize| {
        if n <= 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y_of = |v: f64| top + plot_h - plot_h * v / max;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" id="{id}" role="img" aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        esc(title),
        esc(desc)
    );
    // Axes and the top value.
    let _ = write!(
        s,
        r#"<line x1="{left}" y1="{top}" x2="{left}" y2="{0}" stroke="{GRID}"/><line x1="{left}" y1="{0}" x2="{1}" y2="{0}" stroke="{GRID}"/><text x="{2}" y="{3}" text-anchor="end" fill="{INK}" font-size="12">{4}</text><text x="{2}" y="{0}" text-anchor="end" fill="{INK}" font-size="12">0</text>"#,
        top + plot_h,
        width - right,
        left - 4.0,
        top + 4.0,
        num(max)
    );
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| format!("{:.1},{:.1}", x_of(i), y_of(*v)))
        .collect();
    if n > 1 {
        let _ = write!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{BAR}" stroke-width="2.5"/>"#,
            path.join(" ")
        );
    }
    for (i, (label, v)) in points.iter().enumerate() {
        let (x, y) = (x_of(i), y_of(*v));
        let _ = write!(
            s,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="{BAR}"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="{INK}" font-size="12">{}</text><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="{INK}" font-size="12">{}</text>"#,
            y - 8.0,
            num(*v),
            top + plot_h + 18.0,
            esc(label)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let svg = bar_chart(
            "c1",
            "按领域",
            "各领域信访量",
            &[("劳动<社保>".into(), 4.0), ("住房".into(), 2.0)],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title id=\"c1-title\">按领域</title>"));
        assert!(svg.contains("劳动&lt;社保&gt;"));
        assert!(svg.contains("width=\"350.0\""), "{svg}");
        assert!(svg.contains("width=\"175.0\""), "{svg}");
        assert!(!svg.contains("style="), "no inline style under the CSP");
    }

    #[test]
    fn an_empty_chart_says_so_and_a_trend_has_one_point_a_month() {
        assert!(bar_chart("c", "t", "d", &[]).contains("本期无数据"));
        let svg = line_chart(
            "t",
            "趋势",
            "按月",
            &[
                ("1月".into(), 1.0),
                ("2月".into(), 3.0),
                ("3月".into(), 0.0),
            ],
        );
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("<polyline"));
    }
}
