//! Reports (报告): the annual report (信访情况年度报告, 《信访工作条例》第四十一条) and the monthly
//! 通报, generated as documents (Markdown or HTML) from the same figures as the indicators.

use chrono::{Datelike, NaiveDate};
use xinfang_platform::directory::Directory;

use crate::{
    findings::domain::Question,
    oversight::{orders::domain::OrderKind, recommendations::domain::RecommendationBoardRow},
    statistics::domain::indicators::{IndicatorReport, Measure, Scope},
};

/// A generated document: a title and sections of paragraphs and tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub title: String,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub table: Option<Table>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The figures behind a report, kept for checking against fixtures.
#[derive(Debug, Clone)]
pub struct Figures {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub scope: Scope,
    pub by_field: IndicatorReport,
    pub by_channel: IndicatorReport,
    pub by_unit: IndicatorReport,
    /// 被投诉较多的单位 (respondent unit, cases)
    pub most_complained: Vec<(String, i64)>,
    /// per order kind: (kind, issued, responded, escalated or overdue)
    pub orders: Vec<(OrderKind, i64, i64, i64)>,
    pub recommendations: Vec<RecommendationBoardRow>,
}

impl Figures {
    /// Units by their names for people (单位名称), in every table of the report.
    pub fn name_units(&mut self, directory: &Directory) {
        self.by_unit.name_units(directory);
        for (unit, _) in &mut self.most_complained {
            *unit = directory.name_of(unit);
        }
    }
}

fn pct(m: &Measure) -> String {
    match (m.status.as_str(), m.value) {
        ("not_yet_measured", _) => "暂未统计（相关业务尚未上线）".into(),
        (_, None) => "无可统计件".into(),
        (_, Some(v)) => format!(
            "{:.1}%（{}/{}）",
            v * 100.0,
            m.numerator.unwrap_or(0),
            m.denominator.unwrap_or(0)
        ),
    }
}

fn count(m: &Measure) -> String {
    match m.value {
        Some(v) if m.is_measured() => format!("{}", v as i64),
        _ => "暂未统计（相关业务尚未上线）".into(),
    }
}

fn common_sections(f: &Figures) -> Vec<Section> {
    let t = &f.by_field.total;
    let mut sections = vec![Section {
        heading: "一、信访事项数据统计".into(),
        paragraphs: vec![
            format!(
                "{}至{}，{}共登记信访事项{}件。",
                f.from,
                f.to,
                f.scope.label(),
                count(&t.volume)
            ),
            format!(
                "按期受理率：{}；按期办结率：{}。",
                pct(&t.on_time_acceptance_rate),
                pct(&t.on_time_closure_rate)
            ),
            format!(
                "重复信访率：{}；群众满意率：{}；调解成功率：{}。",
                pct(&t.repeat_petition_rate),
                pct(&t.satisfaction_rate),
                pct(&t.mediation_success_rate)
            ),
            format!(
                "实体性办结{}件，程序性办结{}件。",
                count(&t.substantive_closures),
                count(&t.procedural_closures)
            ),
        ],
        table: Some(Table {
            header: vec!["渠道".into(), "件数".into()],
            rows: f
                .by_channel
                .groups
                .iter()
                .map(|g| vec![g.label.clone(), count(&g.indicators.volume)])
                .collect(),
        }),
    }];
    sections.push(Section {
        heading: "二、信访事项涉及领域".into(),
        paragraphs: vec![format!(
            "五大重点领域（城乡建设、劳动保障、农业农村、自然资源、涉法涉诉）占比：{}。",
            pct(&t.hot_field_share)
        )],
        table: Some(Table {
            header: vec!["领域".into(), "件数".into()],
            rows: f
                .by_field
                .groups
                .iter()
                .map(|g| vec![g.label.clone(), count(&g.indicators.volume)])
                .collect(),
        }),
    });
    sections.push(Section {
        heading: "三、被投诉较多的机关、单位".into(),
        paragraphs: if f.most_complained.is_empty() {
            vec!["本期无被反映单位记录。".into()]
        } else {
            vec![]
        },
        table: (!f.most_complained.is_empty()).then(|| Table {
            header: vec!["被反映单位".into(), "件数".into()],
            rows: f
                .most_complained
                .iter()
                .map(|(u, n)| vec![u.clone(), n.to_string()])
                .collect(),
        }),
    });
    sections.push(Section {
        heading: "四、转送、交办、督办情况".into(),
        paragraphs: vec![format!(
            "转送{}件，交办{}件。",
            count(&t.transfers),
            count(&t.assignments)
        )],
        table: Some(Table {
            header: vec![
                "督办类型".into(),
                "下达".into(),
                "已书面答复".into(),
                "逾期升级或逾期".into(),
            ],
            rows: f
                .orders
                .iter()
                .map(|(k, i, r, l)| {
                    vec![
                        k.label_zh().into(),
                        i.to_string(),
                        r.to_string(),
                        l.to_string(),
                    ]
                })
                .collect(),
        }),
    });
    sections.push(Section {
        heading: "五、三项建议及采纳情况".into(),
        paragraphs: vec![],
        table: Some(Table {
            header: [
                "建议类型",
                "提出",
                "已反馈",
                "采纳",
                "部分采纳",
                "未采纳",
                "逾期未反馈",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            rows: f
                .recommendations
                .iter()
                .map(|r| {
                    vec![
                        r.kind_label.clone(),
                        r.issued.to_string(),
                        r.answered.to_string(),
                        r.adopted.to_string(),
                        r.partially_adopted.to_string(),
                        r.not_adopted.to_string(),
                        r.overdue.to_string(),
                    ]
                })
                .collect(),
        }),
    });
    sections
}

fn findings_table(f: &Figures) -> Table {
    let mut header = vec!["单位".to_string()];
    header.extend(Question::ALL.iter().map(|q| q.label_zh().to_string()));
    let rows = f
        .by_unit
        .groups
        .iter()
        .filter(|g| g.indicators.findings.values().any(|n| *n > 0))
        .map(|g| {
            let mut row = vec![g.label.clone()];
            row.extend(Question::ALL.iter().map(|q| {
                g.indicators
                    .findings
                    .get(q.as_str())
                    .copied()
                    .unwrap_or(0)
                    .to_string()
            }));
            row
        })
        .collect();
    Table { header, rows }
}

/// 信访情况年度报告 (第四十一条).
pub fn annual(year: i32, f: &Figures) -> Document {
    let mut sections = common_sections(f);
    sections.push(Section {
        heading:
            "六、考核发现（应登记不登记、应受理不受理、应办理不办理、应追责不追责、应查处不查处）"
                .into(),
        paragraphs: vec![],
        table: Some(findings_table(f)),
    });
    Document {
        title: format!("{}{}年度信访情况报告", f.scope.label(), year),
        sections,
    }
}

/// 月度通报.
pub fn monthly(month: NaiveDate, f: &Figures) -> Document {
    let mut sections = common_sections(f);
    let findings = findings_table(f);
    sections.push(Section {
        heading: "六、问题通报".into(),
        paragraphs: if findings.rows.is_empty() {
            vec!["本月无考核发现。".into()]
        } else {
            vec!["以下单位本月存在考核发现，请于收到通报后认真整改，并书面报告整改情况。".into()]
        },
        table: (!findings.rows.is_empty()).then_some(findings),
    });
    Document {
        title: format!(
            "{}{}年{}月信访工作通报",
            f.scope.label(),
            month.year(),
            month.month()
        ),
        sections,
    }
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn to_markdown(d: &Document) -> String {
    let mut out = format!("# {}\n", d.title);
    for s in &d.sections {
        out.push_str(&format!("\n## {}\n\n", s.heading));
        for p in &s.paragraphs {
            out.push_str(p);
            out.push_str("\n\n");
        }
        if let Some(t) = &s.table {
            out.push_str(&format!(
                "| {} |\n",
                t.header
                    .iter()
                    .map(|h| md_cell(h))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
            out.push_str(&format!("|{}\n", " --- |".repeat(t.header.len())));
            for r in &t.rows {
                out.push_str(&format!(
                    "| {} |\n",
                    r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | ")
                ));
            }
        }
    }
    out
}

pub fn to_html(d: &Document) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{0}</title></head><body>\n<h1>{0}</h1>\n",
        html_escape(&d.title)
    );
    for s in &d.sections {
        out.push_str(&format!("<h2>{}</h2>\n", html_escape(&s.heading)));
        for p in &s.paragraphs {
            out.push_str(&format!("<p>{}</p>\n", html_escape(p)));
        }
        if let Some(t) = &s.table {
            out.push_str("<table border=\"1\"><thead><tr>");
            for h in &t.header {
                out.push_str(&format!("<th>{}</th>", html_escape(h)));
            }
            out.push_str("</tr></thead><tbody>\n");
            for r in &t.rows {
                out.push_str("<tr>");
                for c in r {
                    out.push_str(&format!("<td>{}</td>", html_escape(c)));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody></table>\n");
        }
    }
    out.push_str("</body></html>\n");
    out
}

/// HTML escaping for generated documents.
pub fn html_escape(s: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(html_escape("<a&b>"), "&lt;a&amp;b&gt;");
    }

    #[test]
    fn documents_render_in_both_formats() {
        let d = Document {
            title: "测试<报告>".into(),
            sections: vec![Section {
                heading: "一、数据".into(),
                paragraphs: vec!["共 3 件".into()],
                table: Some(Table {
                    header: vec!["a|b".into(), "n".into()],
                    rows: vec![vec!["x".into(), "1".into()]],
                }),
            }],
        };
        let md = to_markdown(&d);
        assert!(md.starts_with("# 测试<报告>\n"));
        assert!(md.contains("| a\\|b | n |\n| --- | --- |\n| x | 1 |"));
        let html = to_html(&d);
        assert!(html.contains("<h1>测试&lt;报告&gt;</h1>"));
        assert!(html.contains("<td>x</td><td>1</td>"));
    }
}
