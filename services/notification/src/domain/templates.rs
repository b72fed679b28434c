//! Which notices each event asks for (事件对应的告知文书), to whom, and the fields their templates
//! fill. The text itself is the template's (`catalog`, versioned in the database); here only the
//! facts of the event become fields. One function per event.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use uuid::Uuid;
use xinfang_contracts::events::{
    AssignmentObjectedV1, Category, DeadlineStep, DeadlineStepReachedV1, PetitionAcceptedV1,
    PetitionAssignedV1, PetitionBarredV1, PetitionDeclinedV1, PetitionRegisteredV1,
    PetitionTransferredV1, RecommendationIssuedV1, SupervisionOrderIssuedV1,
};
use xinfang_contracts::notices::{NoticeRecipient, NoticeRequest};

use super::{catalog, CaseContext, Recipient};

pub use super::template::date_zh;

/// A notice to create (告知文书草稿): a template and its fields, for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeDraft {
    /// The template code, e.g. `acceptance_notice` (受理告知书)
    pub kind: &'static str,
    pub recipient: Recipient,
    pub fields: BTreeMap<String, String>,
    /// 制发机关 (unit code); the case's registering unit when `None`.
    pub issuing_unit: Option<String>,
    /// 文号
    pub document_number: Option<String>,
    /// 成文日期
    pub dated_on: NaiveDate,
    /// The [`NoticeRequest`] this answers, if any.
    pub request_id: Option<Uuid>,
}

impl NoticeDraft {
    fn new(kind: &'static str, recipient: Recipient, dated_on: NaiveDate) -> NoticeDraft {
        NoticeDraft {
            kind,
            recipient,
            fields: BTreeMap::new(),
            issuing_unit: None,
            document_number: None,
            dated_on,
            request_id: None,
        }
    }

    fn with(mut self, name: &str, value: impl Into<String>) -> NoticeDraft {
        self.fields.insert(name.to_string(), value.into());
        self
    }

    fn issued_by(mut self, unit: &str) -> NoticeDraft {
        self.issuing_unit = Some(unit.to_string());
        self
    }
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn petitioner(ctx: &CaseContext, draft: NoticeDraft) -> Option<NoticeDraft> {
    // An anonymous petitioner left no one to tell.
    (!ctx.anonymous).then_some(draft)
}

/// 登记回执: the petitioner learns the case number and the 15-day limit for the acceptance decision.
pub fn registration_receipt(e: &PetitionRegisteredV1) -> Vec<NoticeDraft> {
    let ctx = CaseContext::registered(e);
    let draft = NoticeDraft::new(
        catalog::REGISTRATION_RECEIPT.code,
        Recipient::Petitioner,
        xinfang_platform::time::china_date(e.registered_at),
    )
    .with("received_on", ymd(e.received_on))
    .with("channel", e.channel.label_zh())
    .issued_by(&e.registering_unit);
    petitioner(&ctx, draft).into_iter().collect()
}

/// 受理告知书, with the handling limit of the case's track.
pub fn acceptance(e: &PetitionAcceptedV1, case: Option<&CaseContext>) -> Vec<NoticeDraft> {
    // A decision on a case unknown here has no one known to tell.
    let Some(ctx) = case else {
        return Vec::new();
    };
    let limit = if e.simple_track {
        "本事项适用简易办理程序，将自受理之日起10个工作日内作出处理意见。"
    } else if e.category == Some(Category::Claim) {
        "依照《信访工作条例》第三十四条，将自受理之日起60日内办结并出具信访处理意见书；情况复杂的，经批准可以适当延长办理期限，但延长期限不得超过30日，并告知您延期理由。"
    } else {
        ""
    };
    let reason = if e.reason.trim().is_empty() {
        String::new()
    } else {
        format!("受理理由：{}。", e.reason.trim().trim_end_matches('。'))
    };
    let draft = NoticeDraft::new(
        catalog::ACCEPTANCE_NOTICE.code,
        Recipient::Petitioner,
        e.accepted_on,
    )
    .with("accepted_on", ymd(e.accepted_on))
    .with(
        "handling_unit",
        e.handling_unit.as_deref().unwrap_or(&e.decided_by_unit),
    )
    .with("handling_limit", limit)
    .with("reason", reason)
    .issued_by(&e.decided_by_unit);
    let mut out: Vec<NoticeDraft> = petitioner(ctx, draft).into_iter().collect();
    // Accepted with a handling unit: the unit receives the case in its inbox (办理通知).
    if let Some(handling) = e
        .handling_unit
        .as_deref()
        .filter(|u| *u != e.decided_by_unit)
    {
        out.push(
            NoticeDraft::new(
                catalog::HANDLING_TO_UNIT.code,
                Recipient::Unit(handling.to_string()),
                e.accepted_on,
            )
            .with("accepted_on", ymd(e.accepted_on))
            .issued_by(&e.decided_by_unit),
        );
    }
    out
}

/// 不予受理告知书 under art 31, pointing to the legal channel (法定途径); outside the organ's remit,
/// under art 23.
pub fn decline(e: &PetitionDeclinedV1, case: Option<&CaseContext>) -> Vec<NoticeDraft> {
    let Some(ctx) = case else {
        return Vec::new();
    };
    let outside_remit = match e.ground.as_deref() {
        Some(g) => g == "outside_remit",
        None => e.legal_channel.is_none(),
    };
    if outside_remit {
        let draft = NoticeDraft::new(
            catalog::DECLINE_OUTSIDE_REMIT.code,
            Recipient::Petitioner,
            e.decided_on,
        )
        .with("reason", e.reason.trim().trim_end_matches('。'))
        .with("guidance", e.guidance.trim())
        .issued_by(&e.decided_by_unit);
        return petitioner(ctx, draft).into_iter().collect();
    }
    let channel = e
        .legal_channel
        .map(|c| c.label_zh())
        .unwrap_or("其他法定途径");
    let draft = NoticeDraft::new(
        catalog::DECLINE_NOTICE.code,
        Recipient::Petitioner,
        e.decided_on,
    )
    .with("reason", e.reason.trim().trim_end_matches('。'))
    .with("legal_channel", channel)
    .with("guidance", e.guidance.trim())
    .issued_by(&e.decided_by_unit);
    petitioner(ctx, draft).into_iter().collect()
}

/// A bar: 不予受理告知书 under art 19 while the earlier case is in its period, 不再受理告知书 under
/// art 36 after re-review.
pub fn bar(e: &PetitionBarredV1, case: Option<&CaseContext>) -> Vec<NoticeDraft> {
    let Some(ctx) = case else {
        return Vec::new();
    };
    let code = if e.ground == "earlier_case_in_progress" {
        catalog::DECLINE_IN_PROGRESS.code
    } else {
        catalog::BAR_NOTICE.code
    };
    let draft = NoticeDraft::new(code, Recipient::Petitioner, e.decided_on)
        .with("prior_case_number", e.prior_case_number.as_str())
        .with("reason", e.reason.trim())
        .issued_by(&e.decided_by_unit);
    petitioner(ctx, draft).into_iter().collect()
}

/// 转送: the petitioner is told where the case went, and the receiving unit gets the 转送函.
pub fn transfer(e: &PetitionTransferredV1, case: Option<&CaseContext>) -> Vec<NoticeDraft> {
    let Some(ctx) = case else {
        return Vec::new();
    };
    let mut out = Vec::new();
    out.extend(petitioner(
        ctx,
        NoticeDraft::new(
            catalog::TRANSFER_NOTICE.code,
            Recipient::Petitioner,
            e.decided_on,
        )
        .with("decided_on", ymd(e.decided_on))
        .with("to_unit", e.to_unit.as_str())
        .issued_by(&e.decided_by_unit),
    ));
    out.push(
        NoticeDraft::new(
            catalog::TRANSFER_LETTER.code,
            Recipient::Unit(e.to_unit.clone()),
            e.decided_on,
        )
        .with("decided_on", ymd(e.decided_on))
        .with("reason", e.reason.trim())
        .issued_by(&e.decided_by_unit),
    );
    out
}

/// 交办: the petitioner is told, and the receiving unit gets the 交办单 with its due date.
pub fn assignment(e: &PetitionAssignedV1, case: Option<&CaseContext>) -> Vec<NoticeDraft> {
    let Some(ctx) = case else {
        return Vec::new();
    };
    let mut out = Vec::new();
    out.extend(petitioner(
        ctx,
        NoticeDraft::new(
            catalog::ASSIGNMENT_INFO.code,
            Recipient::Petitioner,
            e.decided_on,
        )
        .with("decided_on", ymd(e.decided_on))
        .with("to_unit", e.to_unit.as_str())
        .issued_by(&e.decided_by_unit),
    ));
    out.push(
        NoticeDraft::new(
            catalog::ASSIGNMENT_SLIP.code,
            Recipient::Unit(e.to_unit.clone()),
            e.decided_on,
        )
        .with("due_on", ymd(e.due_on))
        .with("instructions", e.instructions.trim())
        .issued_by(&e.decided_by_unit),
    );
    out
}

/// 异议: a receiving unit's objection (转送交办异议) goes back to the registering unit.
pub fn objection(e: &AssignmentObjectedV1, case: Option<&CaseContext>) -> Vec<NoticeDraft> {
    let Some(ctx) = case else {
        return Vec::new();
    };
    vec![NoticeDraft::new(
        catalog::OBJECTION_RECEIVED.code,
        Recipient::Unit(ctx.registering_unit.clone()),
        e.objected_on,
    )
    .with("objecting_unit", e.unit.as_str())
    .with("objected_on", ymd(e.objected_on))
    .with("reasons", e.reasons.trim().trim_end_matches('。'))
    .issued_by(&ctx.registering_unit)]
}

/// 督办函: the order, under its own title, to the unit it is addressed to.
pub fn supervision_order(e: &SupervisionOrderIssuedV1, today: NaiveDate) -> Vec<NoticeDraft> {
    let title = match e.kind.as_str() {
        "reminder" => "催办通知",
        "supervision" => "督办函",
        "listed" => "挂牌督办通知",
        "interview" => "约谈通知",
        "circular" => "通报",
        _ => "督查督办通知",
    };
    vec![NoticeDraft::new(
        catalog::SUPERVISION_ORDER.code,
        Recipient::Unit(e.unit.clone()),
        today,
    )
    .with("order_title", title)
    .with("summary", e.summary.trim())
    .with("respond_by", ymd(e.respond_by))]
}

/// 三项建议书 (art 40): the recommendation, under the title of its kind, to the unit it is made to.
pub fn recommendation(e: &RecommendationIssuedV1) -> Vec<NoticeDraft> {
    let title = match e.kind.as_str() {
        "improve_work" => "改进工作建议书",
        "improve_policy" => "完善政策建议书",
        "pursue_accountability" => "追究责任建议书",
        _ => "信访工作建议书",
    };
    vec![NoticeDraft::new(
        catalog::RECOMMENDATION.code,
        Recipient::Unit(e.unit.clone()),
        e.issued_on,
    )
    .with("recommendation_title", title)
    .with("findings", e.findings.trim().trim_end_matches('。'))
    .with("recommendation", e.content.trim())
    .with("respond_by", ymd(e.feedback_due))]
}

/// 临期、到期、超期提醒 to the unit that holds the clock.
pub fn deadline_step(e: &DeadlineStepReachedV1, today: NaiveDate) -> Vec<NoticeDraft> {
    let (title, lead) = match e.step {
        DeadlineStep::Warning => ("临期提醒", "即将到期"),
        DeadlineStep::Due => ("到期提醒", "今日到期"),
        DeadlineStep::Overdue => ("超期通知", "已超过法定期限"),
        DeadlineStep::LongOverdue => ("严重超期通知", "已严重超期，将按规定启动追责程序"),
    };
    vec![NoticeDraft::new(
        catalog::DEADLINE_WARNING.code,
        Recipient::Unit(e.unit.clone()),
        today,
    )
    .with("step_title", title)
    .with("deadline_kind", kind_zh(&e.kind))
    .with("due_on", ymd(e.due_on))
    .with("status", lead)]
}

/// Why a [`NoticeRequest`] cannot be served (refused: dead-lettered with the reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("unknown template code {0}")]
    UnknownTemplate(String),
    #[error("template {template} needs field {field}")]
    MissingField { template: String, field: String },
    #[error("a notice to a unit needs recipient_unit")]
    MissingUnit,
}

/// The draft of a document another service asked for (文书送达请求): the template must be one the
/// shared contract lists and every required field must have a value.
pub fn requested(
    r: &NoticeRequest,
    case: Option<&CaseContext>,
) -> Result<Vec<NoticeDraft>, RequestError> {
    let spec = catalog::find(&r.template)
        .filter(|s| xinfang_contracts::notices::templates::ALL.contains(&s.code))
        .ok_or_else(|| RequestError::UnknownTemplate(r.template.clone()))?;
    for f in spec.fields.iter().filter(|f| f.required) {
        if r.fields.get(f.name).is_none_or(|v| v.trim().is_empty()) {
            return Err(RequestError::MissingField {
                template: r.template.clone(),
                field: f.name.to_string(),
            });
        }
    }
    let recipient = match r.recipient {
        NoticeRecipient::Petitioner => {
            // An anonymous petitioner left no one to tell.
            if case.is_some_and(|c| c.anonymous) {
                return Ok(Vec::new());
            }
            Recipient::Petitioner
        }
        NoticeRecipient::Unit => Recipient::Unit(
            r.recipient_unit
                .clone()
                .filter(|u| !u.trim().is_empty())
                .ok_or(RequestError::MissingUnit)?,
        ),
    };
    let mut draft = NoticeDraft::new(spec.code, recipient, r.dated_on).issued_by(&r.issuing_unit);
    draft.fields = r.fields.clone();
    draft.document_number = r.document_number.clone();
    draft.request_id = Some(r.request_id);
    Ok(vec![draft])
}

fn kind_zh(kind: &str) -> &str {
    match kind {
        "acceptance" => "受理",
        "upstream_assignment" => "上级交办",
        "receipt_notice" => "受理告知",
        "objection_window" => "异议",
        "assignment" => "交办",
        "handling" => "办理",
        "review" => "复查",
        "re_review" => "复核",
        "simple_acceptance" => "简易受理",
        "simple_opinion" => "简易办理",
        _ => "办理",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::notice::{notices_for, BuiltIn, NewNotice};
    use chrono::Utc;
    use xinfang_contracts::events::*;
    use xinfang_contracts::Envelope;

    fn ctx(anonymous: bool) -> CaseContext {
        CaseContext {
            case_number: "140423-2025-000007".into(),
            registering_unit: "140423-XFJ".into(),
            received_on: NaiveDate::from_ymd_opt(2025, 9, 26).unwrap(),
            anonymous,
            contactable: true,
        }
    }

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, m, day).unwrap()
    }

    fn names(code: &str) -> String {
        match code {
            "140423-XFJ" => "襄垣县信访局".into(),
            "140423-RSJ" => "襄垣县人力资源和社会保障局".into(),
            "140423-ZJJ" => "襄垣县住房和城乡建设管理局".into(),
            other => other.into(),
        }
    }

    /// The drafts as notices, with the built-in texts.
    fn render(drafts: Vec<NoticeDraft>) -> Vec<NewNotice> {
        let e = PetitionAcceptedV1 {
            petition_id: Uuid::now_v7(),
            case_number: "140423-2025-000007".into(),
            accepted_on: d(10, 9),
            decided_by_unit: "140423-XFJ".into(),
            handling_unit: None,
            category: None,
            simple_track: false,
            reason: String::new(),
        };
        let env = Envelope::new(&e, Some(e.petition_id), None, None);
        notices_for(&env, Some(&ctx(false)), drafts, &BuiltIn(names)).unwrap()
    }

    #[test]
    fn the_receipt_names_the_case_and_the_limit() {
        let e = PetitionRegisteredV1 {
            petition_id: Uuid::now_v7(),
            case_number: "140423-2025-000007".into(),
            channel: Channel::Letter,
            received_on: d(9, 26),
            registered_at: Utc::now(),
            registering_unit: "140423-XFJ".into(),
            division_code: "140423".into(),
            ..PetitionRegisteredV1::minimal_defaults()
        };
        let n = render(registration_receipt(&e));
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].organ_name, "襄垣县信访局");
        assert!(
            n[0].body.contains("2025年9月26日")
                && n[0].body.contains("书信")
                && n[0].body.contains("15日内")
                && n[0].body.contains("140423-2025-000007")
        );
        let anon = PetitionRegisteredV1 {
            anonymous: true,
            ..e
        };
        assert!(registration_receipt(&anon).is_empty());
    }

    /// The receipt is dated the day in China: registered at 01:30 on 27 September in China (17:30
    /// UTC the day before), it is dated 27 September.
    #[test]
    fn the_receipt_is_dated_the_day_in_china() {
        let e = PetitionRegisteredV1 {
            petition_id: Uuid::now_v7(),
            case_number: "140423-2025-000008".into(),
            channel: Channel::Visit,
            received_on: d(9, 27),
            registered_at: "2025-09-26T17:30:00Z".parse().unwrap(),
            registering_unit: "140423-XFJ".into(),
            division_code: "140423".into(),
            ..PetitionRegisteredV1::minimal_defaults()
        };
        let drafts = registration_receipt(&e);
        assert_eq!(drafts[0].dated_on, d(9, 27));
    }

    #[test]
    fn a_recommendation_is_a_letter_to_its_unit_under_the_title_of_its_kind() {
        let e = RecommendationIssuedV1 {
            recommendation_id: Uuid::now_v7(),
            petition_id: Some(Uuid::now_v7()),
            unit: "140423-RSJ".into(),
            kind: "improve_policy".into(),
            findings: "欠薪保障金制度不完善。".into(),
            content: "建议完善欠薪保障金制度".into(),
            issued_on: d(10, 9),
            feedback_due: d(10, 23),
            issuing_unit: Some("140423-XFJ".into()),
        };
        let drafts = recommendation(&e);
        assert_eq!(drafts.len(), 1);
        let n = render(drafts);
        assert_eq!(n[0].kind, "recommendation");
        assert_eq!(n[0].title, "完善政策建议书");
        assert!(
            n[0].body.contains("欠薪保障金制度不完善")
                && n[0].body.contains("第四十条")
                && n[0].body.contains("建议完善欠薪保障金制度")
                && n[0].body.contains("2025年10月23日"),
            "{}",
            n[0].body
        );
        assert!(!n[0].body.contains("不完善。\n"), "no doubled full stop");
    }

    #[test]
    fn acceptance_of_a_claim_states_the_60_day_limit_and_simple_track_its_own() {
        let e = PetitionAcceptedV1 {
            petition_id: Uuid::now_v7(),
            case_number: "c1".into(),
            accepted_on: d(10, 9),
            decided_by_unit: "140423-XFJ".into(),
            handling_unit: Some("140423-RSJ".into()),
            category: Some(Category::Claim),
            simple_track: false,
            reason: "属于本机关职责范围".into(),
        };
        let n = render(acceptance(&e, Some(&ctx(false))));
        assert_eq!(n[0].kind, "acceptance_notice");
        assert!(n[0].body.contains("60日内") && n[0].body.contains("2025年10月9日"));
        assert!(
            n[0].body.contains("襄垣县人力资源和社会保障局"),
            "{}",
            n[0].body
        );
        assert!(!n[0].body.contains("140423-RSJ"));
        let simple = PetitionAcceptedV1 {
            simple_track: true,
            ..e
        };
        let n = render(acceptance(&simple, Some(&ctx(false))));
        assert!(n[0].body.contains("10个工作日"));
        assert_eq!(n.len(), 2, "the handling unit gets its notice in its inbox");
        assert_eq!(n[1].recipient_unit.as_deref(), Some("140423-RSJ"));
        assert_eq!(n[1].kind, "handling_to_unit");
        let own = PetitionAcceptedV1 {
            handling_unit: None,
            ..simple
        };
        assert_eq!(render(acceptance(&own, Some(&ctx(false)))).len(), 1);
    }

    #[test]
    fn decline_guides_to_the_legal_channel_and_bar_cites_the_article() {
        let e = PetitionDeclinedV1 {
            petition_id: Uuid::now_v7(),
            case_number: "c2".into(),
            decided_on: d(10, 9),
            decided_by_unit: "140423-XFJ".into(),
            reason: "该事项属于劳动争议".into(),
            legal_channel: Some(LegalChannel::Arbitration),
            guidance: "请依法通过仲裁提出".into(),
            ground: None,
        };
        let n = render(decline(&e, Some(&ctx(false))));
        assert!(n[0].body.contains("仲裁") && n[0].body.contains("第三十一条"));
        assert_eq!(n[0].title, "不予受理告知书");
        // the guidance sentence is printed once
        assert_eq!(
            n[0].body.matches("通过仲裁提出").count(),
            1,
            "{}",
            n[0].body
        );
        // outside the organ's remit: art 23, not art 31
        let remit = PetitionDeclinedV1 {
            legal_channel: None,
            guidance: "请向县自然资源局提出。".into(),
            ground: Some("outside_remit".into()),
            ..e
        };
        let n = render(decline(&remit, Some(&ctx(false))));
        assert!(n[0].body.contains("第二十三条") && !n[0].body.contains("第三十一条"));
        let b = PetitionBarredV1 {
            petition_id: Uuid::now_v7(),
            case_number: "c3".into(),
            decided_on: d(10, 9),
            decided_by_unit: "140423-XFJ".into(),
            ground: "final_after_re_review".into(),
            reason: String::new(),
            prior_petition_id: Uuid::now_v7(),
            prior_case_number: "140423-2024-000001".into(),
        };
        let n = render(bar(&b, Some(&ctx(false))));
        assert!(n[0].body.contains("第三十六条第三款") && n[0].body.contains("140423-2024-000001"));
        assert_eq!(n[0].title, "不再受理告知书");
        let in_progress = PetitionBarredV1 {
            ground: "earlier_case_in_progress".into(),
            ..b
        };
        let n = render(bar(&in_progress, Some(&ctx(false))));
        assert!(n[0].body.contains("第十九条"));
        assert_eq!(n[0].title, "不予受理告知书");
    }

    #[test]
    fn transfer_and_assignment_tell_both_the_petitioner_and_the_unit_by_name() {
        let t = PetitionTransferredV1 {
            petition_id: Uuid::now_v7(),
            case_number: "c4".into(),
            decided_on: d(10, 9),
            decided_by_unit: "140423-XFJ".into(),
            to_unit: "140423-RSJ".into(),
            reason: String::new(),
        };
        let n = render(transfer(&t, Some(&ctx(false))));
        assert_eq!(n.len(), 2);
        assert!(
            n[0].body.contains("转送襄垣县人力资源和社会保障局"),
            "{}",
            n[0].body
        );
        assert!(!n[0].body.contains("140423-RSJ"));
        assert_eq!(n[1].recipient_unit.as_deref(), Some("140423-RSJ"));
        assert_eq!(n[1].addressee, "襄垣县人力资源和社会保障局");
        assert!(n[1].body.contains("5个工作日"));
        let a = PetitionAssignedV1 {
            petition_id: Uuid::now_v7(),
            case_number: "c5".into(),
            decided_on: d(10, 9),
            decided_by_unit: "140423-XFJ".into(),
            to_unit: "140423-ZJJ".into(),
            due_on: d(11, 10),
            instructions: String::new(),
        };
        assert_eq!(
            assignment(&a, Some(&ctx(true))).len(),
            1,
            "anonymous: only the unit is told"
        );
        let n = render(assignment(&a, Some(&ctx(false))));
        assert!(n[1].body.contains("2025年11月10日"));
    }

    #[test]
    fn requests_need_a_known_template_and_its_required_fields() {
        let mut r = NoticeRequest {
            request_id: Uuid::now_v7(),
            petition_id: Uuid::now_v7(),
            case_number: "140423-2025-000007".into(),
            template: "extension_notice".into(),
            issuing_unit: "140423-RSJ".into(),
            recipient: NoticeRecipient::Petitioner,
            recipient_unit: None,
            document_number: Some("襄人社延〔2025〕1号".into()),
            dated_on: d(11, 1),
            fields: BTreeMap::from([
                ("reason".to_string(), "情况复杂".to_string()),
                ("original_due_on".to_string(), "2025-11-08".to_string()),
            ]),
        };
        assert_eq!(
            requested(&r, Some(&ctx(false))),
            Err(RequestError::MissingField {
                template: "extension_notice".into(),
                field: "extended_due_on".into()
            })
        );
        r.fields
            .insert("extended_due_on".into(), "2025-12-08".into());
        let n = render(requested(&r, Some(&ctx(false))).unwrap());
        assert_eq!(n[0].organ_name, "襄垣县人力资源和社会保障局");
        assert!(n[0].body.contains("2025年12月8日"));
        assert!(n[0].dedup_key.starts_with("request:"));
        r.template = "registration_receipt".into();
        assert!(matches!(
            requested(&r, None),
            Err(RequestError::UnknownTemplate(_))
        ));
    }

    #[test]
    fn a_party_of_a_dispute_is_addressed_by_name_and_served_in_person_by_the_body() {
        let dispute = Uuid::now_v7();
        let r = NoticeRequest {
            request_id: Uuid::now_v7(),
            petition_id: dispute,
            case_number: xinfang_contracts::mediation::dispute_reference(dispute),
            template: "dispute_mediation_notice".into(),
            issuing_unit: "140423-RSJ".into(),
            recipient: NoticeRecipient::Petitioner,
            recipient_unit: None,
            document_number: None,
            dated_on: d(11, 1),
            fields: BTreeMap::from([
                ("session_on".to_string(), "2025-11-05".to_string()),
                ("place".to_string(), "古韩镇司法所".to_string()),
                ("mediator".to_string(), "王五".to_string()),
                ("body".to_string(), "古韩镇人民调解委员会".to_string()),
                ("dispute".to_string(), "灌溉水渠改道".to_string()),
                ("addressee".to_string(), "刘一".to_string()),
            ]),
        };
        // A dispute is no case notification knows: no case context.
        let drafts = requested(&r, None).unwrap();
        let env = Envelope::new(
            &xinfang_contracts::notices::MediationNoticeRequestedV1 { request: r.clone() },
            Some(dispute),
            None,
            None,
        );
        let n = notices_for(&env, None, drafts, &BuiltIn(names)).unwrap();
        assert_eq!(n[0].addressee, "刘一");
        assert_eq!(n[0].case_number, format!("纠纷-{dispute}"));
        assert_eq!(n[0].unit_code, "140423-RSJ", "owned by the issuing unit");
        assert_eq!(n[0].channels, ["in_person", "online"]);
        assert!(n[0].body.contains("灌溉水渠改道"), "{}", n[0].body);
        assert!(!n[0].body.contains("信访事项"), "{}", n[0].body);
    }

    #[test]
    fn decisions_on_unknown_cases_produce_nothing() {
        let e = PetitionAcceptedV1 {
            petition_id: Uuid::now_v7(),
            case_number: "c".into(),
            accepted_on: d(10, 9),
            decided_by_unit: "u".into(),
            handling_unit: None,
            category: None,
            simple_track: false,
            reason: String::new(),
        };
        assert!(acceptance(&e, None).is_empty());
    }
}
