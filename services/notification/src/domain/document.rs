//! A formal document (公文式文书) as printed: what the PDF shows, built from a stored notice only,
//! so that the same notice always yields the same bytes.

use chrono::NaiveDate;

/// Everything a printed document shows (GB/T 9704 elements used here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormalDocument {
    /// 发文机关标志: the issuing organ's full Chinese name.
    pub organ_name: String,
    /// 文号, e.g. `襄信访〔2026〕12号`.
    pub document_number: Option<String>,
    /// 信访件编号
    pub case_number: String,
    /// 标题
    pub title: String,
    /// 主送: the addressee (信访人 or a unit's name), followed by a colon on the page.
    pub addressee: String,
    /// 正文, one paragraph per line.
    pub body: String,
    /// 成文日期
    pub dated_on: NaiveDate,
}
