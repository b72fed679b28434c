//! What handlers submit, parsed into valid values (parse, don't validate): entries (办理记录),
//! opinions (意见书), deliveries (送达), hearings (听证), closures and follow-up (后续工作).

use chrono::NaiveDate;

use crate::domain::{
    error::ReviewError,
    ladder::{closure_of_ground, Closure, Level},
};

/// A required text of at most `max` characters, trimmed.
pub fn text(
    field: &'static str,
    label: &str,
    value: &str,
    max: usize,
) -> Result<String, ReviewError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ReviewError::invalid(field, format!("{label}不能为空")));
    }
    if v.chars().count() > max {
        return Err(ReviewError::invalid(
            field,
            format!("{label}不能超过 {max} 个字"),
        ));
    }
    Ok(v.to_string())
}

/// An optional text (empty = none).
pub fn optional_text(
    field: &'static str,
    label: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, ReviewError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => text(field, label, v, max).map(Some),
    }
}

/// A date that is not after `today`.
pub fn past_date(
    field: &'static str,
    label: &str,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<NaiveDate, ReviewError> {
    if date > today {
        return Err(ReviewError::invalid(
            field,
            format!("{label}不能晚于今天（{today}）"),
        ));
    }
    Ok(date)
}

/// The date of an act entered later than it was made (作出之日, e.g. an extension signed on paper
/// yesterday): `requested` or today; never in the future, never before the step it follows
/// (`follows`, named `follows_zh`; itself never before the petition's receipt). Every window
/// counts from it; the caller audits who entered it, when, and whether it was entered late.
pub fn act_date(
    field: &'static str,
    label: &str,
    requested: Option<NaiveDate>,
    today: NaiveDate,
    follows: NaiveDate,
    follows_zh: &str,
) -> Result<NaiveDate, ReviewError> {
    let on = past_date(field, label, requested.unwrap_or(today), today)?;
    if on < follows {
        return Err(ReviewError::invalid(
            field,
            format!("{label}不能早于{follows_zh}（{follows}）"),
        ));
    }
    Ok(on)
}

/// Kinds of entry (办理记录种类).
pub const ENTRY_KINDS: [(&str, &str); 5] = [
    ("investigation", "调查核实"),
    ("meeting", "会商"),
    ("talk", "约谈信访人"),
    ("evidence", "证据材料"),
    ("consultation", "征求相关单位意见"),
];

/// An attachment's metadata (附件信息): the file stays in the document store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    pub file_name: String,
    /// SHA-256 of the file (hex)
    pub sha256: String,
    pub size_bytes: u64,
}

/// A valid entry.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub kind: &'static str,
    pub occurred_on: NaiveDate,
    pub summary: String,
    pub consulted_unit: Option<String>,
    pub attachments: Vec<Attachment>,
}

impl NewEntry {
    pub fn parse(
        kind: &str,
        occurred_on: NaiveDate,
        summary: &str,
        consulted_unit: Option<&str>,
        attachments: Vec<Attachment>,
        today: NaiveDate,
    ) -> Result<NewEntry, ReviewError> {
        let kind = ENTRY_KINDS
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(k, _)| *k)
            .ok_or_else(|| {
                ReviewError::invalid(
                    "kind",
                    "记录种类应为 investigation（调查核实）、meeting（会商）、talk（约谈）、evidence（证据）或 consultation（征求意见）",
                )
            })?;
        let consulted_unit = optional_text("consulted_unit", "被征求意见单位", consulted_unit, 50)?;
        if kind == "consultation" && consulted_unit.is_none() {
            return Err(ReviewError::invalid(
                "consulted_unit",
                "征求意见须写明被征求意见的单位",
            ));
        }
        if kind == "evidence" && attachments.is_empty() {
            return Err(ReviewError::invalid("attachments", "证据材料须附附件信息"));
        }
        for a in &attachments {
            if a.file_name.trim().is_empty() || a.file_name.chars().count() > 200 {
                return Err(ReviewError::invalid(
                    "attachments",
                    "附件文件名不能为空或超过 200 个字",
                ));
            }
            if a.sha256.len() != 64 || !a.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(ReviewError::invalid(
                    "attachments",
                    "附件摘要应为 64 位十六进制 SHA-256",
                ));
            }
        }
        Ok(NewEntry {
            kind,
            occurred_on: past_date("occurred_on", "发生日期", occurred_on, today)?,
            summary: text("summary", "记录内容", summary, 4000)?,
            consulted_unit,
            attachments,
        })
    }
}

/// What a 支持 opinion requires (落实事项).
#[derive(Debug, Clone)]
pub struct Implementation {
    pub task: String,
    pub unit: String,
    pub by: NaiveDate,
}

/// A valid opinion draft (意见书草稿).
#[derive(Debug, Clone)]
pub struct OpinionDraft {
    pub level: Level,
    pub outcome: &'static str,
    pub facts: String,
    pub reasons: String,
    pub legal_basis: String,
    pub implementation: Option<Implementation>,
}

impl OpinionDraft {
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        level: Level,
        outcome: &str,
        facts: &str,
        reasons: &str,
        legal_basis: &str,
        task: Option<&str>,
        implementing_unit: Option<&str>,
        implement_by: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<OpinionDraft, ReviewError> {
        let outcome = level
            .outcomes()
            .iter()
            .find(|(code, _)| *code == outcome)
            .map(|(code, _)| *code)
            .ok_or_else(|| {
                let allowed: Vec<String> = level
                    .outcomes()
                    .iter()
                    .map(|(c, zh)| format!("{c}（{zh}）"))
                    .collect();
                ReviewError::invalid(
                    "outcome",
                    format!("{}意见应为 {}", level.label_zh(), allowed.join("、")),
                )
            })?;
        let task = optional_text("implementation_task", "落实事项", task, 2000)?;
        let implementation = match (task, implementing_unit, implement_by) {
            (None, None, None) => None,
            (Some(task), Some(unit), Some(by)) => {
                if by < today {
                    return Err(ReviewError::invalid("implement_by", "落实期限不能早于今天"));
                }
                Some(Implementation {
                    task,
                    unit: text("implementing_unit", "落实单位", unit, 50)?,
                    by,
                })
            }
            _ => {
                return Err(ReviewError::invalid(
                    "implementation_task",
                    "落实事项、落实单位和落实期限须同时填写",
                ))
            }
        };
        if implementation.is_some() && outcome != "support" && outcome != "modify" {
            return Err(ReviewError::invalid(
                "implementation_task",
                "只有支持（或变更）的意见才有落实事项",
            ));
        }
        Ok(OpinionDraft {
            level,
            outcome,
            facts: text("facts", "事实", facts, 8000)?,
            reasons: text("reasons", "理由", reasons, 8000)?,
            legal_basis: text("legal_basis", "法律法规依据", legal_basis, 4000)?,
            implementation,
        })
    }
}

/// Delivery methods (送达方式).
pub const DELIVERY_METHODS: [(&str, &str); 5] = [
    ("in_person", "直接送达"),
    ("post", "邮寄送达"),
    ("electronic", "电子送达"),
    ("left_at_address", "留置送达"),
    ("public_announcement", "公告送达"),
];

/// A valid delivery (送达): the day the petitioner received it, how, and the proof.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub delivered_on: NaiveDate,
    pub method: &'static str,
    pub proof: Option<String>,
}

impl Delivery {
    pub fn parse(
        delivered_on: NaiveDate,
        method: &str,
        proof: Option<&str>,
        issued_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<Delivery, ReviewError> {
        let method = DELIVERY_METHODS
            .iter()
            .find(|(m, _)| *m == method)
            .map(|(m, _)| *m)
            .ok_or_else(|| {
                ReviewError::invalid(
                    "method",
                    "送达方式应为 in_person（直接送达）、post（邮寄）、electronic（电子送达）、left_at_address（留置）或 public_announcement（公告）",
                )
            })?;
        if delivered_on < issued_on {
            return Err(ReviewError::invalid(
                "delivered_on",
                format!("送达日期不能早于意见书出具日期 {issued_on}"),
            ));
        }
        let proof = optional_text("proof", "送达回证", proof, 500)?;
        if proof.is_none() && method != "public_announcement" {
            return Err(ReviewError::invalid(
                "proof",
                "请填写送达回证（签收人及日期、邮件单号或电子回执）",
            ));
        }
        Ok(Delivery {
            delivered_on: past_date("delivered_on", "送达日期", delivered_on, today)?,
            method,
            proof,
        })
    }
}

/// A closure by hand (办结): ground, its kind and the reason.
#[derive(Debug, Clone)]
pub struct ManualClosure {
    pub closure: Closure,
    pub ground: &'static str,
    pub reason: String,
}

impl ManualClosure {
    pub fn parse(ground: &str, reason: &str) -> Result<ManualClosure, ReviewError> {
        let (closure, _) = closure_of_ground(ground).ok_or_else(|| {
            ReviewError::invalid(
                "ground",
                "办结事由应为 settlement（和解）、declined（不予办理）、withdrawn（撤回）、referred（导入法定途径）或 unreachable（无法联系）",
            )
        })?;
        let ground = [
            "settlement",
            "declined",
            "withdrawn",
            "referred",
            "unreachable",
        ]
        .into_iter()
        .find(|g| *g == ground)
        .unwrap_or("declined");
        Ok(ManualClosure {
            closure,
            ground,
            reason: text("reason", "办结理由", reason, 2000)?,
        })
    }
}

/// Follow-up kinds (后续工作, art 37) and referral bodies (移送机关).
pub const FOLLOW_UP_KINDS: [(&str, &str); 4] = [
    ("counselling", "疏导教育"),
    ("conflict_resolution", "矛盾化解"),
    ("assistance", "帮扶救助"),
    ("referral", "移送"),
];
pub const REFERRAL_BODIES: [(&str, &str); 5] = [
    ("court", "人民法院"),
    ("procuratorate", "人民检察院"),
    ("peoples_congress", "人大"),
    ("cppcc", "政协"),
    ("discipline_inspection", "纪检监察机关"),
];

/// A valid follow-up record.
#[derive(Debug, Clone)]
pub struct NewFollowUp {
    pub kind: &'static str,
    pub occurred_on: NaiveDate,
    pub performed_by: String,
    pub summary: String,
    pub aid_given: Option<String>,
    pub body: Option<&'static str>,
    pub body_reference: Option<String>,
}

impl NewFollowUp {
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        kind: &str,
        occurred_on: NaiveDate,
        performed_by: &str,
        summary: &str,
        aid_given: Option<&str>,
        body: Option<&str>,
        body_reference: Option<&str>,
        today: NaiveDate,
    ) -> Result<NewFollowUp, ReviewError> {
        let kind = FOLLOW_UP_KINDS
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(k, _)| *k)
            .ok_or_else(|| {
                ReviewError::invalid(
                    "kind",
                    "后续工作种类应为 counselling（疏导教育）、conflict_resolution（矛盾化解）、assistance（帮扶救助）或 referral（移送）",
                )
            })?;
        let aid_given = optional_text("aid_given", "救助内容", aid_given, 2000)?;
        if kind == "assistance" && aid_given.is_none() {
            return Err(ReviewError::invalid(
                "aid_given",
                "帮扶救助须写明给予的救助",
            ));
        }
        let body = match body {
            None => None,
            Some(b) => Some(
                REFERRAL_BODIES
                    .iter()
                    .find(|(k, _)| *k == b)
                    .map(|(k, _)| *k)
                    .ok_or_else(|| {
                        ReviewError::invalid(
                            "body",
                            "移送机关应为 court、procuratorate、peoples_congress、cppcc 或 discipline_inspection",
                        )
                    })?,
            ),
        };
        if kind == "referral" && body.is_none() {
            return Err(ReviewError::invalid("body", "移送须写明接收机关"));
        }
        Ok(NewFollowUp {
            kind,
            occurred_on: past_date("occurred_on", "日期", occurred_on, today)?,
            performed_by: text("performed_by", "工作人员", performed_by, 100)?,
            summary: text("summary", "工作内容", summary, 4000)?,
            aid_given,
            body,
            body_reference: optional_text("body_reference", "接收机关文号", body_reference, 100)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_delivery_needs_a_known_method_proof_and_a_date_after_issue() {
        let today = d("2026-03-01");
        assert!(Delivery::parse(
            d("2026-02-10"),
            "post",
            Some("EMS 1"),
            d("2026-02-01"),
            today
        )
        .is_ok());
        assert!(Delivery::parse(
            d("2026-01-10"),
            "post",
            Some("EMS 1"),
            d("2026-02-01"),
            today
        )
        .is_err());
        assert!(
            Delivery::parse(d("2026-02-10"), "pigeon", Some("x"), d("2026-02-01"), today).is_err()
        );
        assert!(Delivery::parse(d("2026-02-10"), "post", None, d("2026-02-01"), today).is_err());
        assert!(Delivery::parse(
            d("2026-02-10"),
            "public_announcement",
            None,
            d("2026-02-01"),
            today
        )
        .is_ok());
        assert!(
            Delivery::parse(d("2026-03-02"), "post", Some("x"), d("2026-02-01"), today).is_err()
        );
    }

    #[test]
    fn the_date_of_an_act_is_never_future_nor_before_its_step() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let today = d("2026-03-10");
        let on = |r| {
            act_date(
                "requested_on",
                "申请日期",
                r,
                today,
                d("2026-03-01"),
                "受理之日",
            )
        };
        assert_eq!(on(None).unwrap(), today);
        assert_eq!(on(Some(d("2026-03-05"))).unwrap(), d("2026-03-05"));
        assert_eq!(on(Some(d("2026-03-01"))).unwrap(), d("2026-03-01"));
        for bad in [d("2026-03-11"), d("2026-02-28")] {
            match on(Some(bad)) {
                Err(ReviewError::Invalid { field, .. }) => assert_eq!(field, "requested_on"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_opinion_outcome_belongs_to_its_level_and_implementation_comes_whole() {
        let today = d("2026-03-01");
        let ok = OpinionDraft::parse(
            Level::Handling,
            "support",
            "f",
            "r",
            "b",
            Some("t"),
            Some("u"),
            Some(d("2026-04-01")),
            today,
        );
        assert!(ok.unwrap().implementation.is_some());
        assert!(OpinionDraft::parse(
            Level::Handling,
            "uphold",
            "f",
            "r",
            "b",
            None,
            None,
            None,
            today
        )
        .is_err());
        assert!(OpinionDraft::parse(
            Level::Review,
            "uphold",
            "f",
            "r",
            "b",
            None,
            None,
            None,
            today
        )
        .is_ok());
        assert!(OpinionDraft::parse(
            Level::Handling,
            "support",
            "f",
            "r",
            "b",
            Some("t"),
            None,
            None,
            today
        )
        .is_err());
        assert!(OpinionDraft::parse(
            Level::Handling,
            "reject",
            "f",
            "r",
            "b",
            Some("t"),
            Some("u"),
            Some(d("2026-04-01")),
            today
        )
        .is_err());
        assert!(OpinionDraft::parse(
            Level::Handling,
            "support",
            " ",
            "r",
            "b",
            None,
            None,
            None,
            today
        )
        .is_err());
    }

    #[test]
    fn entries_and_follow_ups_validate() {
        let today = d("2026-03-01");
        assert!(NewEntry::parse("talk", d("2026-02-01"), "谈话", None, vec![], today).is_ok());
        assert!(
            NewEntry::parse("consultation", d("2026-02-01"), "x", None, vec![], today).is_err()
        );
        assert!(NewEntry::parse("evidence", d("2026-02-01"), "x", None, vec![], today).is_err());
        assert!(NewFollowUp::parse(
            "assistance",
            d("2026-02-01"),
            "张三",
            "x",
            None,
            None,
            None,
            today
        )
        .is_err());
        assert!(NewFollowUp::parse(
            "referral",
            d("2026-02-01"),
            "张三",
            "x",
            None,
            Some("court"),
            Some("(2026)晋0423民初1号"),
            today
        )
        .is_ok());
        assert!(ManualClosure::parse("withdrawn", "信访人书面撤回").is_ok());
        assert!(ManualClosure::parse("opinion", "x").is_err());
    }
}
