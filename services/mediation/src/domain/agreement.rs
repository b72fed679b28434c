//! Agreements (调解协议, 人民调解法 arts 28-33): written (调解协议书) with the parties' signatures, or
//! oral with its content recorded; judicial confirmation (司法确认) and performance (履行).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    error::{MediationError, Result},
    text,
};

/// A party's signature (签名、盖章或者按指印).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    pub party: String,
    pub signed_on: NaiveDate,
}

/// An agreement as submitted.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementDraft {
    /// `written` (调解协议书) | `oral` (口头协议, art 28)
    pub form: String,
    /// 纠纷的主要事实、争议事项
    pub dispute: String,
    /// 达成协议的内容 (for an oral agreement: its content as recorded)
    pub terms: String,
    /// 履行方式、期限
    #[serde(default)]
    pub perform_by: Option<NaiveDate>,
    /// Written: every party's signature; oral: none.
    #[serde(default)]
    pub signatures: Vec<Signature>,
    /// Day agreed (oral) — defaults to today.
    #[serde(default)]
    pub agreed_on: Option<NaiveDate>,
}

/// A valid agreement.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAgreement {
    pub form: String,
    pub dispute: String,
    pub terms: String,
    pub perform_by: Option<NaiveDate>,
    pub signatures: Vec<Signature>,
    pub agreed_on: NaiveDate,
    /// Written: the last signature (art 29 ¶2); oral: the day agreed (art 30).
    pub effective_on: NaiveDate,
}

impl NewAgreement {
    pub fn parse(d: &AgreementDraft, parties: &[String], today: NaiveDate) -> Result<NewAgreement> {
        let dispute = text::required("dispute", "纠纷事实和争议事项", &d.dispute, 5_000)?;
        let terms = text::required("terms", "协议内容", &d.terms, 10_000)?;
        let (agreed_on, effective_on, signatures) = match d.form.as_str() {
            "written" => {
                for p in parties {
                    if !d.signatures.iter().any(|s| s.party == *p) {
                        return Err(MediationError::invalid(
                            "signatures",
                            format!("调解协议书须经当事人“{p}”签名、盖章或者按指印（第二十九条）"),
                        ));
                    }
                }
                if let Some((i, s)) = d
                    .signatures
                    .iter()
                    .enumerate()
                    .find(|(_, s)| !parties.contains(&s.party))
                {
                    return Err(MediationError::invalid(
                        format!("signatures[{i}].party"),
                        format!("“{}”不是本纠纷的当事人", s.party),
                    ));
                }
                let last = d
                    .signatures
                    .iter()
                    .map(|s| s.signed_on)
                    .max()
                    .unwrap_or(today);
                if last > today {
                    return Err(MediationError::invalid(
                        "signatures",
                        "签名日期不能晚于今天",
                    ));
                }
                let first = d
                    .signatures
                    .iter()
                    .map(|s| s.signed_on)
                    .min()
                    .unwrap_or(today);
                (first, last, d.signatures.clone())
            }
            "oral" => {
                if !d.signatures.is_empty() {
                    return Err(MediationError::invalid(
                        "signatures",
                        "口头协议不制作协议书，无签名；请改为 written 或去掉签名",
                    ));
                }
                let on = d.agreed_on.unwrap_or(today);
                if on > today {
                    return Err(MediationError::invalid("agreed_on", "达成日期不能晚于今天"));
                }
                (on, on, vec![])
            }
            _ => {
                return Err(MediationError::invalid(
                    "form",
                    "协议形式只能是 written（调解协议书）或 oral（口头协议）",
                ))
            }
        };
        if let Some(by) = d.perform_by {
            if by < agreed_on {
                return Err(MediationError::invalid(
                    "perform_by",
                    "履行期限不能早于达成协议之日",
                ));
            }
        }
        Ok(NewAgreement {
            form: d.form.clone(),
            dispute,
            terms,
            perform_by: d.perform_by,
            signatures,
            agreed_on,
            effective_on,
        })
    }
}

/// Judicial confirmation may be applied for once, not before the agreement takes effect.
pub fn check_application(
    confirmation: &str,
    effective_on: NaiveDate,
    applied_on: NaiveDate,
) -> Result<()> {
    if confirmation != "none" {
        return Err(MediationError::conflict(
            "already_applied",
            "该协议已申请司法确认",
        ));
    }
    if applied_on < effective_on {
        return Err(MediationError::invalid(
            "applied_on",
            format!("申请日期不能早于协议生效之日（{effective_on}）"),
        ));
    }
    Ok(())
}

/// The court rules on an application it has.
pub fn check_ruling(
    confirmation: &str,
    applied_on: Option<NaiveDate>,
    ruled_on: NaiveDate,
) -> Result<()> {
    if confirmation != "applied" {
        return Err(MediationError::conflict(
            "not_applied",
            "该协议尚未申请司法确认，或法院已作出裁定",
        ));
    }
    if applied_on.is_some_and(|a| ruled_on < a) {
        return Err(MediationError::invalid(
            "ruled_on",
            "裁定日期不能早于申请日期",
        ));
    }
    Ok(())
}

/// Where a case goes when its agreement is not performed (未履行): back to handling (退回办理)
/// or to supervision (督办).
pub fn parse_return(to: &str) -> Result<String> {
    match to {
        "handling" | "supervision" => Ok(to.to_string()),
        _ => Err(MediationError::invalid(
            "returned_to",
            "只能是 handling（退回办理）或 supervision（转督办）",
        )),
    }
}

/// Performance is recorded once.
pub fn check_performance_open(performance: &str) -> Result<()> {
    if performance == "pending" {
        Ok(())
    } else {
        Err(MediationError::conflict(
            "performance_recorded",
            "该协议的履行情况已记录",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn draft() -> AgreementDraft {
        AgreementDraft {
            form: "written".into(),
            dispute: "拖欠工资".into(),
            terms: "12月20日前付清".into(),
            perform_by: Some(day(20)),
            signatures: vec![
                Signature {
                    party: "张三".into(),
                    signed_on: day(3),
                },
                Signature {
                    party: "李四".into(),
                    signed_on: day(4),
                },
            ],
            agreed_on: None,
        }
    }

    #[test]
    fn a_written_agreement_takes_effect_with_the_last_signature() {
        let parties = vec!["张三".to_string(), "李四".to_string()];
        let a = NewAgreement::parse(&draft(), &parties, day(5)).unwrap();
        assert_eq!(a.effective_on, day(4));
        let mut d = draft();
        d.signatures.pop();
        assert!(NewAgreement::parse(&d, &parties, day(5)).is_err());
    }

    #[test]
    fn an_oral_agreement_has_content_and_no_signatures() {
        let parties = vec!["张三".to_string(), "李四".to_string()];
        let mut d = draft();
        d.form = "oral".into();
        assert!(NewAgreement::parse(&d, &parties, day(5)).is_err());
        d.signatures.clear();
        let a = NewAgreement::parse(&d, &parties, day(5)).unwrap();
        assert_eq!(a.effective_on, day(5));
    }

    #[test]
    fn confirmation_and_performance_steps() {
        assert!(check_application("none", day(4), day(3)).is_err());
        assert!(check_application("none", day(4), day(6)).is_ok());
        assert!(check_application("applied", day(4), day(6)).is_err());
        assert!(check_ruling("none", None, day(9)).is_err());
        assert!(check_ruling("applied", Some(day(6)), day(9)).is_ok());
        assert!(parse_return("court").is_err());
        assert!(check_performance_open("performed").is_err());
    }
}
