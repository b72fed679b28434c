//! Choosing a mediator (选定调解员): the suggestion ranked by field, township and load with its
//! explanation, and recusal (回避): a mediator who is a party, related to one, or works for the
//! respondent unit is refused; a party may ask for another mediator (人民调解法 arts 19, 23(2)).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::MediationError;

/// What recusal needs to know of a mediator.
#[derive(Debug, Clone)]
pub struct MediatorFacts {
    pub id: Uuid,
    pub name: String,
    pub employer_unit: Option<String>,
    pub active: bool,
}

/// A recorded exclusion of a mediator from one mediation.
#[derive(Debug, Clone)]
pub struct Exclusion {
    pub mediator_id: Uuid,
    /// `related` | `party_request`
    pub ground: String,
    pub party: Option<String>,
    pub reason: String,
}

/// Why a mediator may not mediate this matter, if they may not.
pub fn recusal(
    mediator: &MediatorFacts,
    parties: &[String],
    respondent_unit: Option<&str>,
    exclusions: &[Exclusion],
) -> Option<MediationError> {
    let refuse = |message: String, ground: &str| MediationError::Conflict {
        code: "mediator_recused",
        message,
        details: Some(serde_json::json!({ "mediator_id": mediator.id, "ground": ground })),
    };
    if !mediator.active {
        return Some(MediationError::conflict(
            "mediator_inactive",
            format!("调解员{}已停用", mediator.name),
        ));
    }
    if parties.contains(&mediator.name) {
        return Some(refuse(
            format!("调解员{}是本纠纷的当事人，应当回避", mediator.name),
            "is_party",
        ));
    }
    if let (Some(employer), Some(respondent)) = (mediator.employer_unit.as_deref(), respondent_unit)
    {
        if employer == respondent {
            return Some(refuse(
                format!("调解员{}所在单位是被反映单位，应当回避", mediator.name),
                "respondent_unit",
            ));
        }
    }
    if let Some(x) = exclusions.iter().find(|x| x.mediator_id == mediator.id) {
        return Some(match x.ground.as_str() {
            "related" => refuse(
                format!(
                    "调解员{}与当事人{}有利害关系（{}），应当回避",
                    mediator.name,
                    x.party.as_deref().unwrap_or(""),
                    x.reason
                ),
                "related",
            ),
            _ => refuse(
                format!(
                    "当事人{}已要求更换调解员{}（{}）",
                    x.party.as_deref().unwrap_or(""),
                    mediator.name,
                    x.reason
                ),
                "party_request",
            ),
        });
    }
    None
}

/// A candidate as the store ranks it: matched on field and township, by current load, then by the
/// mediator's record in the field.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub mediator_id: Uuid,
    pub name: String,
    pub kind: String,
    pub body_id: Uuid,
    pub body_name: String,
    pub field_match: bool,
    pub township_match: bool,
    pub open_mediations: i32,
    pub ended_in_field: i32,
    pub agreed_in_field: i32,
}

/// One suggested mediator (推荐调解员) with the reasons for the place.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Suggestion {
    pub rank: usize,
    pub mediator_id: Uuid,
    pub name: String,
    pub kind: String,
    pub body_id: Uuid,
    pub body_name: String,
    pub field_match: bool,
    pub township_match: bool,
    /// 当前在办调解数
    pub open_mediations: i32,
    /// 本领域已结调解数 / 达成协议数
    pub ended_in_field: i32,
    pub agreed_in_field: i32,
    /// 排序说明
    pub explanation: Vec<String>,
}

/// The ranking rule, in words (排序规则).
pub const RANKING_RULE: &str =
    "先看擅长领域是否相符，再看是否负责纠纷所在乡镇，再看当前在办调解数（少者优先），再看本领域调解成功率；已回避或被当事人要求更换的调解员不推荐";

/// Explain each candidate's place (the store returns them in ranking order).
pub fn explain(candidates: Vec<Candidate>, field: &str, township: &str) -> Vec<Suggestion> {
    candidates
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let mut why = vec![
                if c.field_match {
                    format!("擅长领域包含 {field}")
                } else {
                    format!("擅长领域不含 {field}")
                },
                if c.township_match {
                    format!("负责 {township}")
                } else {
                    format!("不负责 {township}")
                },
                format!("当前在办调解 {} 件", c.open_mediations),
            ];
            why.push(if c.ended_in_field > 0 {
                format!(
                    "本领域已结 {} 件，达成协议 {} 件（{:.0}%）",
                    c.ended_in_field,
                    c.agreed_in_field,
                    100.0 * f64::from(c.agreed_in_field) / f64::from(c.ended_in_field)
                )
            } else {
                "本领域尚无已结调解".to_string()
            });
            Suggestion {
                rank: i + 1,
                mediator_id: c.mediator_id,
                name: c.name,
                kind: c.kind,
                body_id: c.body_id,
                body_name: c.body_name,
                field_match: c.field_match,
                township_match: c.township_match,
                open_mediations: c.open_mediations,
                ended_in_field: c.ended_in_field,
                agreed_in_field: c.agreed_in_field,
                explanation: why,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> MediatorFacts {
        MediatorFacts {
            id: Uuid::now_v7(),
            name: "王五".into(),
            employer_unit: Some("140423-ZJJ".into()),
            active: true,
        }
    }

    #[test]
    fn recusal_grounds() {
        let parties = vec!["张三".to_string(), "李四".to_string()];
        assert!(recusal(&m(), &parties, None, &[]).is_none());
        let mut party = m();
        party.name = "张三".into();
        assert!(recusal(&party, &parties, None, &[]).is_some());
        assert!(recusal(&m(), &parties, Some("140423-ZJJ"), &[]).is_some());
        let mediator = m();
        let x = Exclusion {
            mediator_id: mediator.id,
            ground: "related".into(),
            party: Some("李四".into()),
            reason: "表兄弟".into(),
        };
        let refused = recusal(&mediator, &parties, None, &[x]).unwrap();
        assert!(refused.to_string().contains("利害关系"));
    }

    #[test]
    fn explanations_follow_the_order() {
        let c = Candidate {
            mediator_id: Uuid::now_v7(),
            name: "王五".into(),
            kind: "people_mediator".into(),
            body_id: Uuid::now_v7(),
            body_name: "古韩镇人民调解委员会".into(),
            field_match: true,
            township_match: false,
            open_mediations: 2,
            ended_in_field: 4,
            agreed_in_field: 3,
        };
        let s = explain(vec![c], "agriculture_rural", "古韩镇");
        assert_eq!(s[0].rank, 1);
        assert!(s[0].explanation[3].contains("75%"));
        assert!(s[0].explanation[1].contains("不负责"));
    }
}
