//! The directory (调解组织与调解员名录): mediation bodies and their mediators, as the administrators
//! and the bodies' heads maintain them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    error::{MediationError, Result},
    text,
};

/// Kinds of mediation body (调解组织类型).
pub const BODY_KINDS: [(&str, &str); 7] = [
    ("village_committee", "村（居）人民调解委员会"),
    ("township_committee", "乡镇（街道）人民调解委员会"),
    ("industry_committee", "行业性专业性人民调解委员会"),
    ("studio", "个人调解工作室"),
    ("petition_window", "访调对接窗口"),
    ("court_window", "诉调对接窗口"),
    ("county_centre", "县多元解纷中心"),
];

/// Kinds of mediator (调解员类型).
pub const MEDIATOR_KINDS: [(&str, &str); 7] = [
    ("people_mediator", "人民调解员"),
    ("village_cadre", "村干部"),
    ("grid_worker", "网格员"),
    ("five_elders", "五老乡贤"),
    ("lawyer", "律师"),
    ("judge", "法官"),
    ("other", "其他"),
];

fn kind_of(field: &str, kinds: &[(&str, &str)], value: &str) -> Result<String> {
    kinds
        .iter()
        .find(|(k, _)| *k == value)
        .map(|(k, _)| k.to_string())
        .ok_or_else(|| {
            let allowed: Vec<String> = kinds.iter().map(|(k, l)| format!("{k}（{l}）")).collect();
            MediationError::invalid(field, format!("类型只能是：{}", allowed.join("、")))
        })
}

/// A body as submitted (调解组织).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BodyDraft {
    pub name: String,
    /// One of `village_committee`, `township_committee`, `industry_committee`, `studio`,
    /// `petition_window`, `court_window`, `county_centre`.
    pub kind: String,
    /// 所在乡镇
    pub township: String,
    /// 擅长领域 (field codes)
    pub fields: Vec<String>,
    /// 联系方式
    pub contact: String,
    /// 所属单位 (unit code of the unit that runs it)
    pub unit_code: String,
    /// 启用: `false` deactivates the body (停用): it takes no new referral and its mediators are
    /// no longer suggested; refused while it has mediations under way.
    #[serde(default = "yes")]
    pub active: bool,
}

/// A valid body.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBody {
    pub name: String,
    pub kind: String,
    pub township: String,
    pub fields: Vec<String>,
    pub contact: String,
    pub unit_code: String,
    pub active: bool,
}

impl NewBody {
    pub fn parse(d: &BodyDraft) -> Result<NewBody> {
        Ok(NewBody {
            name: text::required("name", "调解组织名称", &d.name, 100)?,
            kind: kind_of("kind", &BODY_KINDS, d.kind.trim())?,
            township: text::required("township", "所在乡镇", &d.township, 50)?,
            fields: text::codes("fields", "擅长领域", &d.fields)?,
            contact: text::required("contact", "联系方式", &d.contact, 100)?,
            unit_code: text::code("unit_code", "所属单位", &d.unit_code)?,
            active: d.active,
        })
    }

    /// What this draft changes of `old` (变更事项), by field name, for the audit row and the event.
    pub fn changes(&self, old: &NewBody) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut diff = |name: &'static str, changed: bool| {
            if changed {
                out.push(name)
            }
        };
        diff("name", self.name != old.name);
        diff("kind", self.kind != old.kind);
        diff("township", self.township != old.township);
        diff("fields", self.fields != old.fields);
        diff("contact", self.contact != old.contact);
        diff("unit_code", self.unit_code != old.unit_code);
        diff("active", self.active != old.active);
        out
    }

    /// A body is deactivated (停用) only when no mediation of it is under way: those must end
    /// first (or be referred anew), never be left with a body that no longer exists.
    pub fn may_take_effect(&self, old: &NewBody, live_mediations: i64) -> Result<()> {
        if old.active && !self.active && live_mediations > 0 {
            return Err(MediationError::Conflict {
                code: "body_has_live_mediations",
                message: format!(
                    "调解组织“{}”尚有进行中的调解{live_mediations}件，办结或改派后才能停用",
                    old.name
                ),
                details: Some(serde_json::json!({ "live_mediations": live_mediations })),
            });
        }
        Ok(())
    }
}

/// A mediator as submitted (调解员).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediatorDraft {
    pub name: String,
    pub body_id: uuid::Uuid,
    /// One of `people_mediator`, `village_cadre`, `grid_worker`, `five_elders`, `lawyer`,
    /// `judge`, `other`.
    pub kind: String,
    /// 擅长领域
    pub fields: Vec<String>,
    /// 负责乡镇
    pub townships: Vec<String>,
    /// 工作单位, when the mediator works for a unit (a mediator from the respondent unit is
    /// recused)
    #[serde(default)]
    pub employer_unit: Option<String>,
    /// Login account, when the mediator uses the system (登录账号)
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// A valid mediator.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMediator {
    pub name: String,
    pub body_id: uuid::Uuid,
    pub kind: String,
    pub fields: Vec<String>,
    pub townships: Vec<String>,
    pub employer_unit: Option<String>,
    pub account: Option<String>,
    pub active: bool,
}

impl NewMediator {
    pub fn parse(d: &MediatorDraft) -> Result<NewMediator> {
        Ok(NewMediator {
            name: text::required("name", "调解员姓名", &d.name, 50)?,
            body_id: d.body_id,
            kind: kind_of("kind", &MEDIATOR_KINDS, d.kind.trim())?,
            fields: text::codes("fields", "擅长领域", &d.fields)?,
            townships: text::names("townships", "负责乡镇", &d.townships)?,
            employer_unit: match d.employer_unit.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(u) => Some(text::code("employer_unit", "工作单位", u)?),
            },
            account: text::optional("account", "登录账号", d.account.as_deref(), 100)?,
            active: d.active,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> BodyDraft {
        BodyDraft {
            name: "古韩镇人民调解委员会".into(),
            kind: "township_committee".into(),
            township: "古韩镇".into(),
            fields: vec!["agriculture_rural".into()],
            contact: "0355-1234567".into(),
            unit_code: "140423-GHZ".into(),
            active: true,
        }
    }

    #[test]
    fn a_body_needs_a_known_kind_and_fields() {
        assert!(NewBody::parse(&body()).is_ok());
        let mut b = body();
        b.kind = "tea_house".into();
        assert!(
            matches!(NewBody::parse(&b), Err(MediationError::Invalid { field, .. }) if field == "kind")
        );
        let mut b = body();
        b.fields.clear();
        assert!(NewBody::parse(&b).is_err());
    }

    #[test]
    fn a_change_names_what_it_changes() {
        let old = NewBody::parse(&body()).unwrap();
        let mut b = body();
        b.contact = " 0355-7654321 ".into();
        b.active = false;
        let new = NewBody::parse(&b).unwrap();
        assert_eq!(new.changes(&old), vec!["contact", "active"]);
        assert!(NewBody::parse(&body()).unwrap().changes(&old).is_empty());
    }

    #[test]
    fn a_body_with_live_mediations_is_not_deactivated() {
        let old = NewBody::parse(&body()).unwrap();
        let mut b = body();
        b.active = false;
        let off = NewBody::parse(&b).unwrap();
        let refused = off.may_take_effect(&old, 2).unwrap_err();
        assert!(refused.to_string().contains("进行中的调解2件"), "{refused}");
        assert!(off.may_take_effect(&old, 0).is_ok());
        // Other changes, and reactivation, never wait for the live mediations.
        let mut renamed = NewBody::parse(&body()).unwrap();
        renamed.contact = "0355-1".into();
        assert!(renamed.may_take_effect(&old, 5).is_ok());
        assert!(old.may_take_effect(&off, 5).is_ok());
    }
}
