//! The dispute register (矛盾纠纷排查登记, 源头预防): disputes found by township and field before
//! they become petitions, so that the bureau sees those resolved by mediation.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{error::Result, text};

/// A dispute as submitted.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeDraft {
    pub township: String,
    /// 领域代码
    pub field: String,
    /// 纠纷概况
    pub summary: String,
    /// 当事人
    pub parties: Vec<String>,
    /// 涉及单位, if any
    #[serde(default)]
    pub respondent_unit: Option<String>,
}

/// A valid dispute.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDispute {
    pub township: String,
    pub field: String,
    pub summary: String,
    pub parties: Vec<String>,
    pub respondent_unit: Option<String>,
}

impl NewDispute {
    pub fn parse(d: &DisputeDraft) -> Result<NewDispute> {
        Ok(NewDispute {
            township: text::required("township", "所在乡镇", &d.township, 50)?,
            field: text::code("field", "领域", &d.field)?,
            summary: text::required("summary", "纠纷概况", &d.summary, 2_000)?,
            parties: text::names("parties", "当事人", &d.parties)?,
            respondent_unit: match d.respondent_unit.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(u) => Some(text::code("respondent_unit", "涉及单位", u)?),
            },
        })
    }
}
