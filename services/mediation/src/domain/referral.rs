//! Referral (引调) with each party's recorded consent (自愿原则, 人民调解法 arts 3, 17, 23), and the
//! states a mediation goes through until it ends.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xinfang_contracts::mediation::stages;

use super::{
    error::{MediationError, Result},
    text,
};

/// Where the referral comes from (引调阶段).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// 受理时
    Acceptance,
    /// 办理中
    Handling,
    /// 信访前 (源头预防)
    PrePetition,
}

impl Stage {
    pub fn parse(s: &str) -> Result<Stage> {
        match s {
            stages::ACCEPTANCE => Ok(Stage::Acceptance),
            stages::HANDLING => Ok(Stage::Handling),
            stages::PRE_PETITION => Ok(Stage::PrePetition),
            _ => Err(MediationError::invalid(
                "stage",
                "引调阶段只能是 acceptance（受理时）、handling（办理中）或 pre_petition（信访前）",
            )),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Acceptance => stages::ACCEPTANCE,
            Stage::Handling => stages::HANDLING,
            Stage::PrePetition => stages::PRE_PETITION,
        }
    }
}

/// Only a claim (申诉求决类) may be referred to mediation (调解优先贯穿申诉求决类事项化解全过程):
/// a suggestion (建议意见类) or an accusation (检举控告类) is not a dispute between parties, and a
/// matter whose category is not yet known is classified first. Pre-petition disputes are
/// referred without a category.
pub fn mediable_category(category: Option<&str>) -> Result<()> {
    let refuse = |message: String, category: Option<&str>| MediationError::Conflict {
        code: "category_not_mediable",
        message,
        details: Some(serde_json::json!({ "field": "petition_id", "category": category })),
    };
    match category {
        Some("claim") => Ok(()),
        Some(other) => {
            let label = match other {
                "suggestion" => "建议意见类",
                "accusation" => "检举控告类",
                _ => "其他类别",
            };
            Err(refuse(
                format!("该信访事项属于{label}，只有申诉求决类事项可以引导调解"),
                Some(other),
            ))
        }
        None => Err(refuse(
            "该信访事项尚未确定类别；只有确定为申诉求决类的事项可以引导调解，请先在受理时确定类别"
                .into(),
            None,
        )),
    }
}

/// A party (当事人).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    pub name: String,
    /// `applicant` (申请人/信访人), `respondent` (对方当事人), `other`
    pub role: String,
}

/// The parties of a referral: at least two, names unique, an applicant and a respondent.
pub fn parse_parties(parties: &[Party]) -> Result<Vec<Party>> {
    if parties.len() < 2 {
        return Err(MediationError::invalid("parties", "调解至少需要双方当事人"));
    }
    let mut out: Vec<Party> = Vec::with_capacity(parties.len());
    for (i, p) in parties.iter().enumerate() {
        let name = text::required(
            &format!("parties[{i}].name"),
            "当事人姓名或名称",
            &p.name,
            100,
        )?;
        if !matches!(p.role.as_str(), "applicant" | "respondent" | "other") {
            return Err(MediationError::invalid(
                format!("parties[{i}].role"),
                "当事人身份只能是 applicant（申请人）、respondent（对方当事人）或 other（其他）",
            ));
        }
        if out.iter().any(|q| q.name == name) {
            return Err(MediationError::invalid(
                format!("parties[{i}].name"),
                format!("当事人“{name}”重复"),
            ));
        }
        out.push(Party {
            name,
            role: p.role.clone(),
        });
    }
    for role in ["applicant", "respondent"] {
        if !out.iter().any(|p| p.role == role) {
            return Err(MediationError::invalid(
                "parties",
                "当事人中须有申请人（applicant）和对方当事人（respondent）",
            ));
        }
    }
    Ok(out)
}

/// The states of a mediation (调解状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 待当事人同意
    AwaitingConsent,
    /// 各方已同意
    Consented,
    /// 调解中 (a session was scheduled)
    InSession,
    /// 达成协议
    Agreed,
    /// 当事人不同意调解
    ConsentRefused,
    /// 当事人撤回
    Withdrawn,
    /// 调解不成
    Failed,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::AwaitingConsent,
        Status::Consented,
        Status::InSession,
        Status::Agreed,
        Status::ConsentRefused,
        Status::Withdrawn,
        Status::Failed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::AwaitingConsent => "awaiting_consent",
            Status::Consented => "consented",
            Status::InSession => "in_session",
            Status::Agreed => "agreed",
            Status::ConsentRefused => "consent_refused",
            Status::Withdrawn => "withdrawn",
            Status::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Status::AwaitingConsent => "待当事人同意",
            Status::Consented => "各方已同意调解",
            Status::InSession => "调解中",
            Status::Agreed => "已达成协议",
            Status::ConsentRefused => "当事人不同意调解",
            Status::Withdrawn => "当事人已撤回",
            Status::Failed => "调解不成",
        }
    }
    /// Not ended yet.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            Status::AwaitingConsent | Status::Consented | Status::InSession
        )
    }
    /// Every party consented and it has not ended: mediators, sessions and the outcome may follow.
    pub fn is_under_way(self) -> bool {
        matches!(self, Status::Consented | Status::InSession)
    }

    pub fn require_consent_open(self) -> Result<()> {
        if self == Status::AwaitingConsent {
            Ok(())
        } else {
            Err(MediationError::state(self.label_zh(), "再记录当事人意愿"))
        }
    }
    pub fn require_under_way(self, step: &str) -> Result<()> {
        if self.is_under_way() {
            Ok(())
        } else if self == Status::AwaitingConsent {
            Err(MediationError::conflict(
                "consent_missing",
                format!("尚未取得各方当事人同意，不能{step}（《人民调解法》第十七条）"),
            ))
        } else {
            Err(MediationError::state(self.label_zh(), step))
        }
    }
    pub fn require_live(self, step: &str) -> Result<()> {
        if self.is_live() {
            Ok(())
        } else {
            Err(MediationError::state(self.label_zh(), step))
        }
    }
}

/// How a party's consent or refusal was given (意思表示方式).
pub fn parse_method(method: &str) -> Result<String> {
    match method {
        "written" | "oral" | "electronic" => Ok(method.to_string()),
        _ => Err(MediationError::invalid(
            "method",
            "方式只能是 written（书面）、oral（口头，须记录）或 electronic（电子）",
        )),
    }
}

/// One party's answer to the referral.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsentAnswer {
    pub party: String,
    pub consented: bool,
    pub method: String,
    pub note: Option<String>,
}

impl ConsentAnswer {
    /// `note` is required for a refusal (the reason) and for an oral consent (what was said).
    pub fn parse(
        party: &str,
        consented: bool,
        method: &str,
        note: Option<&str>,
    ) -> Result<ConsentAnswer> {
        let method = parse_method(method)?;
        let note = text::optional("note", "说明", note, 500)?;
        if note.is_none() && (!consented || method == "oral") {
            return Err(MediationError::invalid(
                "note",
                if consented {
                    "口头同意须记录当事人的表示"
                } else {
                    "不同意调解须记录理由"
                },
            ));
        }
        Ok(ConsentAnswer {
            party: text::required("party", "当事人", party, 100)?,
            consented,
            method,
            note,
        })
    }
}

/// Where the consents stand after an answer: a refusal ends the referral; when every party has
/// consented the mediation begins.
pub fn after_answer(answer: &ConsentAnswer, consents: &[(String, String)]) -> Status {
    if !answer.consented {
        return Status::ConsentRefused;
    }
    let all = consents
        .iter()
        .all(|(name, c)| c == "consented" || *name == answer.party);
    if all {
        Status::Consented
    } else {
        Status::AwaitingConsent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_claims_are_referred() {
        assert!(mediable_category(Some("claim")).is_ok());
        let suggestion = mediable_category(Some("suggestion")).unwrap_err();
        assert!(
            suggestion.to_string().contains("建议意见类"),
            "{suggestion}"
        );
        assert!(mediable_category(Some("accusation"))
            .unwrap_err()
            .to_string()
            .contains("检举控告类"));
        assert!(mediable_category(None)
            .unwrap_err()
            .to_string()
            .contains("尚未确定类别"));
    }

    fn parties() -> Vec<Party> {
        vec![
            Party {
                name: "张三".into(),
                role: "applicant".into(),
            },
            Party {
                name: "李四".into(),
                role: "respondent".into(),
            },
        ]
    }

    #[test]
    fn parties_need_both_sides() {
        assert_eq!(parse_parties(&parties()).unwrap().len(), 2);
        let mut p = parties();
        p[1].role = "applicant".into();
        assert!(parse_parties(&p).is_err());
        let mut p = parties();
        p[1].name = "张三".into();
        assert!(parse_parties(&p).is_err());
    }

    #[test]
    fn consent_needs_every_party_and_a_refusal_ends_it() {
        let consents = vec![
            ("张三".to_string(), "consented".to_string()),
            ("李四".to_string(), "pending".to_string()),
        ];
        let yes = ConsentAnswer::parse("李四", true, "written", None).unwrap();
        assert_eq!(after_answer(&yes, &consents), Status::Consented);
        let first = vec![
            ("张三".to_string(), "pending".to_string()),
            ("李四".to_string(), "pending".to_string()),
        ];
        assert_eq!(after_answer(&yes, &first), Status::AwaitingConsent);
        assert!(ConsentAnswer::parse("李四", false, "written", None).is_err());
        let no = ConsentAnswer::parse("李四", false, "written", Some("不愿调解")).unwrap();
        assert_eq!(after_answer(&no, &consents), Status::ConsentRefused);
        assert!(ConsentAnswer::parse("李四", true, "oral", None).is_err());
    }

    #[test]
    fn steps_follow_the_state() {
        assert!(Status::AwaitingConsent
            .require_under_way("安排调解")
            .is_err());
        assert!(Status::Consented.require_under_way("安排调解").is_ok());
        assert!(Status::Agreed.require_live("撤回").is_err());
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }
}
