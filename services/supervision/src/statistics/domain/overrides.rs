//! Legal-channel overrides in figures (偏离法定途径建议统计): how often a matter the routing rules
//! sent to a legal channel (涉法涉诉、行政复议、仲裁、纪检监察 …) was nevertheless accepted,
//! transferred or assigned as a petition, by unit, channel and month (issue 12 item 4).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xinfang_contracts::events::LegalChannel;

/// One (month, unit, channel) cell.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct OverrideGroup {
    /// YYYY-MM of the decision
    pub month: String,
    /// The unit that decided against the suggestion
    pub unit: String,
    /// 单位名称
    pub unit_name: String,
    /// The suggested legal channel's code
    pub channel: String,
    /// 法定途径（中文）
    pub channel_label: String,
    pub overrides: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OverrideReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `county` or the unit code
    pub scope: String,
    /// All overrides in the period
    pub total: i64,
    /// By month, unit and channel
    pub groups: Vec<OverrideGroup>,
}

/// The Chinese name of a legal channel code (its code when unknown).
pub fn channel_label(code: &str) -> String {
    serde_json::from_value::<LegalChannel>(serde_json::Value::String(code.to_string()))
        .map(|c| c.label_zh().to_string())
        .unwrap_or_else(|_| code.to_string())
}

/// Build the report from (month, unit, channel, count) rows; `name_of` gives organ names.
pub fn report_from(
    from: NaiveDate,
    to: NaiveDate,
    scope: String,
    rows: Vec<(String, String, String, i64)>,
    name_of: impl Fn(&str) -> String,
) -> OverrideReport {
    let groups: Vec<OverrideGroup> = rows
        .into_iter()
        .map(|(month, unit, channel, n)| OverrideGroup {
            unit_name: name_of(&unit),
            channel_label: channel_label(&channel),
            month,
            unit,
            channel,
            overrides: n,
        })
        .collect();
    OverrideReport {
        from,
        to,
        scope,
        total: groups.iter().map(|g| g.overrides).sum(),
        groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_labelled_and_summed() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let r = report_from(
            d,
            d,
            "county".into(),
            vec![
                (
                    "2026-01".into(),
                    "140423-XFJ".into(),
                    "political_legal".into(),
                    2,
                ),
                (
                    "2026-02".into(),
                    "140423-XFJ".into(),
                    "administrative_reconsideration".into(),
                    1,
                ),
            ],
            |u| format!("机关 {u}"),
        );
        assert_eq!(r.total, 3);
        assert_eq!(r.groups[0].channel_label, "政法部门");
        assert_eq!(r.groups[1].channel_label, "行政复议");
        assert_eq!(r.groups[0].unit_name, "机关 140423-XFJ");
        assert_eq!(channel_label("unknown_code"), "unknown_code");
    }
}
