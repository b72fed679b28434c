//! Notice templates (告知文书模板): which notices each event asks for, to whom, and their Chinese
//! text as the 《信访工作条例》 words it. One function per event, from the event and what is known
//! of its case to the drafts.

use chrono::NaiveDate;
use xinfang_contracts::events::{
    AssignmentObjectedV1, Category, DeadlineStep, DeadlineStepReachedV1, PetitionAcceptedV1,
    PetitionAssignedV1, PetitionBarredV1, PetitionDeclinedV1, PetitionRegisteredV1,
    PetitionTransferredV1, SupervisionOrderIssuedV1,
};

use super::{CaseContext, Recipient};

/// A notice to create (告知文书草稿).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeDraft {
    /// e.g. `acceptance_notice` (受理告知书)
    pub kind: &'static str,
    pub recipient: Recipient,
    pub title: String,
    pub body: String,
}

/// A date as official documents write it: `2025年9月26日`.
pub fn date_zh(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

fn petitioner(
    ctx: &CaseContext,
    kind: &'static str,
    title: String,
    body: String,
) -> Option<NoticeDraft> {
    // An anonymous petitioner left no one to tell.
    (!ctx.anonymous).then_some(NoticeDraft {
        kind,
        recipient: Recipient::Petitioner,
        title,
        body,
    })
}

fn unit(unit: &str, kind: &'static str, title: String, body: String) -> NoticeDraft {
    NoticeDraft {
        kind,
        recipient: Recipient::Unit(unit.to_string()),
        title,
        body,
    }
}

/// 登记回执: the petitioner learns the case number and the 15-day limit for the acceptance decision.
pub fn registration_receipt(e: &PetitionRegisteredV1) -> Vec<NoticeDraft> {
    let mut out = Vec::new();
    let ctx = CaseContext::registered(e);
    out.extend(petitioner(
                &ctx,
                "registration_receipt",
                format!("信访事项登记回执（{}）", e.case_number),
                format!(
                    "您于{}以{}方式反映的信访事项已登记，信访件编号为 {}。依照《信访工作条例》，我们将自收到之日起15日内告知您是否受理及办理途径。您可凭登记时取得的查询码查询办理进度并评价。",
                    date_zh(e.received_on),
                    e.channel.label_zh(),
                    e.case_number
                ),
            ));
    out
}

/// 受理告知书, with the handling limit of the case's track.
pub fn acceptance(e: &PetitionAcceptedV1, case: Option<&CaseContext>) -> Vec<NoticeDraft> {
    // A decision on a case unknown here has no one known to tell.
    let Some(ctx) = case else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut body = format!(
        "{}号信访事项：经审查，您反映的信访事项符合受理条件，已于{}依法受理。",
        e.case_number,
        date_zh(e.accepted_on)
    );
    if e.simple_track {
        body.push_str("本事项适用简易办理程序，将自受理之日起10个工作日内作出处理意见。");
    } else if e.category == Some(Category::Claim) {
        body.push_str("依照《信访工作条例》第三十四条，将自受理之日起60日内办结并出具信访处理意见书；情况复杂的，经批准可适当延长办理期限，但延长期限不超过30日，并告知您延期理由。");
    }
    if !e.reason.trim().is_empty() {
        body.push_str(&format!("受理理由：{}。", e.reason.trim_end_matches('。')));
    }
    out.extend(petitioner(
        ctx,
        "acceptance_notice",
        format!("信访事项受理告知书（{}）", e.case_number),
        body,
    ));
    // Accepted with a handling unit: the unit receives the case in its inbox (办理通知).
    if let Some(handling) = e
        .handling_unit
        .as_deref()
        .filter(|u| *u != e.decided_by_unit)
    {
        out.push(unit(
            handling,
            "handling_to_unit",
            format!("信访事项办理通知（{}）", e.case_number),
            format!(
                "{}号信访事项已于{}受理，现交由你单位办理，请依法按期办结并出具处理意见。",
                e.case_number,
                date_zh(e.accepted_on)
            ),
        ));
    }
    out
}

/// 不予受理告知书, pointing to the legal channel (法定途径).
pub fn decline(e: &PetitionDeclinedV1, case: Option<&CaseContext>) -> Vec<NoticeDraft> {
    // A decision on a case unknown here has no one known to tell.
    let Some(ctx) = case else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // The guidance sentence is printed once: the one intake recorded, or the channel's own.
    let guidance = if e.guidance.trim().is_empty() {
        e.legal_channel
            .map(|c| format!("请您依法通过{}提出。", c.label_zh()))
            .unwrap_or_default()
    } else {
        e.guidance.clone()
    };
    // Outside the organ's remit the notice cites art 23; a legal channel, art 31.
    let article = match e.ground.as_deref() {
        Some("outside_remit") => "第二十三条",
        Some(_) => "第三十一条",
        None if e.legal_channel.is_some() => "第三十一条",
        None => "第二十三条",
    };
    let body = format!(
        "{}号信访事项：经审查，{}，依照《信访工作条例》{}，本机关不予受理。{}",
        e.case_number,
        e.reason.trim_end_matches('。'),
        article,
        guidance
    );
    out.extend(petitioner(
        ctx,
        "decline_notice",
        format!("不予受理告知书（{}）", e.case_number),
        body,
    ));
    out
}

/// 不再受理告知书, citing the article that bars the case.
pub fn bar(e: &PetitionBarredV1, case: Option<&CaseContext>) -> Vec<NoticeDraft> {
    // A decision on a case unknown here has no one known to tell.
    let Some(ctx) = case else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let body = if e.ground == "earlier_case_in_progress" {
        format!(
                    "{}号信访事项：您反映的事项已作为{}号信访事项受理，正在法定期限内办理。依照《信访工作条例》第十九条，不予重复受理。您可凭查询码查询该件的办理进度。{}",
                    e.case_number, e.prior_case_number, e.reason
                )
    } else {
        format!(
                    "{}号信访事项：您反映的事项与{}号信访事项的事实和理由相同，该事项已经复核终结。依照《信访工作条例》第三十六条第三款，各级机关不再受理。{}",
                    e.case_number, e.prior_case_number, e.reason
                )
    };
    // 不再受理 is for art 36 only; an earlier case in its period (art 19) is 不予受理.
    let title = if e.ground == "earlier_case_in_progress" {
        "不予受理告知书"
    } else {
        "不再受理告知书"
    };
    out.extend(petitioner(
        ctx,
        "bar_notice",
        format!("{title}（{}）", e.case_number),
        body,
    ));
    out
}

/// 转送: the petitioner is told where the case went, and the receiving unit gets the 转送函 with its 15-day and 5-working-day limits.
pub fn transfer(e: &PetitionTransferredV1, case: Option<&CaseContext>) -> Vec<NoticeDraft> {
    // A decision on a case unknown here has no one known to tell.
    let Some(ctx) = case else {
        return Vec::new();
    };
    let mut out = Vec::new();
    out.extend(petitioner(
                ctx,
                "transfer_notice",
                format!("信访事项转送告知书（{}）", e.case_number),
                format!(
                    "{}号信访事项：依照《信访工作条例》第二十二条，您反映的信访事项已于{}转送{}依法办理，请您留意该机关的受理告知。",
                    e.case_number,
                    date_zh(e.decided_on),
                    e.to_unit
                ),
            ));
    out.push(unit(
                &e.to_unit,
                "transfer_to_unit",
                format!("信访事项转送函（{}）", e.case_number),
                format!(
                    "现将{}号信访事项转送你单位。属于你单位职责范围的，请自收到之日起15日内书面告知信访人是否受理；不属于你单位职责范围的，请自收到之日起5个工作日内提出异议并详细说明理由（《信访工作条例》第二十三条）。{}",
                    e.case_number, e.reason
                ),
            ));
    out
}

/// 交办: the petitioner is told, and the receiving unit gets the 交办单 with its due date.
pub fn assignment(e: &PetitionAssignedV1, case: Option<&CaseContext>) -> Vec<NoticeDraft> {
    // A decision on a case unknown here has no one known to tell.
    let Some(ctx) = case else {
        return Vec::new();
    };
    let mut out = Vec::new();
    out.extend(petitioner(
        ctx,
        "assignment_info",
        format!("信访事项交办告知（{}）", e.case_number),
        format!(
            "{}号信访事项：您反映的信访事项已于{}交由{}办理。",
            e.case_number,
            date_zh(e.decided_on),
            e.to_unit
        ),
    ));
    out.push(unit(
                &e.to_unit,
                "assignment_to_unit",
                format!("信访事项交办单（{}）", e.case_number),
                format!(
                    "现将{}号信访事项交办你单位，请于{}前办结并报送办结报告（《信访工作条例》第二十二条）。{}",
                    e.case_number,
                    date_zh(e.due_on),
                    e.instructions
                ),
            ));
    out
}

/// 异议: a receiving unit's objection (转送交办异议) goes back to the registering unit.
pub fn objection(e: &AssignmentObjectedV1, case: Option<&CaseContext>) -> Vec<NoticeDraft> {
    // A decision on a case unknown here has no one known to tell.
    let Some(ctx) = case else {
        return Vec::new();
    };
    let mut out = Vec::new();
    out.push(unit(
        &ctx.registering_unit,
        "objection_received",
        format!("转送交办异议（{}）", e.case_number),
        format!(
            "{}于{}对{}号信访事项提出异议，理由：{}。请重新研究分类处理。",
            e.unit,
            date_zh(e.objected_on),
            e.case_number,
            e.reasons
        ),
    ));
    out
}

/// 督查督办: the order, under its own title, to the unit it is addressed to.
pub fn supervision_order(e: &SupervisionOrderIssuedV1) -> Vec<NoticeDraft> {
    let mut out = Vec::new();
    let title = match e.kind.as_str() {
        "reminder" => "催办通知",
        "supervision" => "督办通知",
        "listed" => "挂牌督办通知",
        "interview" => "约谈通知",
        "circular" => "通报",
        _ => "督查督办通知",
    };
    let subject = e
        .case_number
        .as_deref()
        .map(|c| format!("（{c}）"))
        .unwrap_or_default();
    out.push(unit(
        &e.unit,
        "supervision_order",
        format!("{title}{subject}"),
        format!(
            "{}请于{}前书面报告办理情况。",
            e.summary,
            date_zh(e.respond_by)
        ),
    ));
    out
}

/// 临期、到期、超期提醒 to the unit that holds the clock.
pub fn deadline_step(e: &DeadlineStepReachedV1) -> Vec<NoticeDraft> {
    let mut out = Vec::new();
    let (title, lead) = match e.step {
        DeadlineStep::Warning => ("临期提醒", "即将到期"),
        DeadlineStep::Due => ("到期提醒", "今日到期"),
        DeadlineStep::Overdue => ("超期通知", "已超过法定期限"),
        DeadlineStep::LongOverdue => ("严重超期通知", "已严重超期，将按规定启动追责程序"),
    };
    out.push(unit(
        &e.unit,
        "deadline_step",
        format!("{title}（{}）", e.case_number),
        format!(
            "{}号信访事项的{}期限（届满日{}）{}，请抓紧办理。",
            e.case_number,
            kind_zh(&e.kind),
            date_zh(e.due_on),
            lead
        ),
    ));
    out
}

fn kind_zh(kind: &str) -> &str {
    match kind {
        "acceptance" => "受理",
        "upstream_assignment" => "上级交办",
        "receipt_notice" => "受理告知",
        "objection_window" => "异议",
        "assignment" => "交办",
        "handling" => "办理",
        "simple_acceptance" => "简易受理",
        "simple_opinion" => "简易办理",
        _ => kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use uuid::Uuid;
    use xinfang_contracts::events::*;

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
        let n = registration_receipt(&e);
        assert_eq!(n.len(), 1);
        assert!(n[0].title.contains("140423-2025-000007"));
        assert!(
            n[0].body.contains("2025年9月26日")
                && n[0].body.contains("书信")
                && n[0].body.contains("15日内")
        );
        let anon = PetitionRegisteredV1 {
            anonymous: true,
            ..e
        };
        assert!(registration_receipt(&anon).is_empty());
    }

    #[test]
    fn acceptance_of_a_claim_states_the_60_day_limit_and_simple_track_its_own() {
        let e = PetitionAcceptedV1 {
            petition_id: Uuid::now_v7(),
            case_number: "c1".into(),
            accepted_on: d(10, 9),
            decided_by_unit: "140423-XFJ".into(),
            handling_unit: None,
            category: Some(Category::Claim),
            simple_track: false,
            reason: "属于本机关职责范围".into(),
        };
        let n = acceptance(&e, Some(&ctx(false)));
        assert_eq!(n[0].kind, "acceptance_notice");
        assert!(n[0].body.contains("60日内") && n[0].body.contains("2025年10月9日"));
        let simple = PetitionAcceptedV1 {
            simple_track: true,
            ..e
        };
        let n = acceptance(&simple, Some(&ctx(false)));
        assert!(n[0].body.contains("10个工作日"));
        assert_eq!(n.len(), 1);
        // accepted with a handling unit: the unit gets its notice in its inbox
        let handed = PetitionAcceptedV1 {
            handling_unit: Some("140423-RSJ".into()),
            ..simple
        };
        let n = acceptance(&handed, Some(&ctx(false)));
        assert_eq!(n.len(), 2);
        assert_eq!(n[1].recipient, Recipient::Unit("140423-RSJ".into()));
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
        let n = decline(&e, Some(&ctx(false)));
        assert!(n[0].body.contains("仲裁") && n[0].body.contains("第三十一条"));
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
        let n = decline(&remit, Some(&ctx(false)));
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
        let n = bar(&b, Some(&ctx(false)));
        assert!(n[0].body.contains("第三十六条第三款") && n[0].body.contains("140423-2024-000001"));
        assert!(n[0].title.starts_with("不再受理告知书"));
        let in_progress = PetitionBarredV1 {
            ground: "earlier_case_in_progress".into(),
            ..b
        };
        let n = bar(&in_progress, Some(&ctx(false)));
        assert!(n[0].body.contains("第十九条"));
        assert!(n[0].title.starts_with("不予受理告知书"), "{}", n[0].title);
    }

    #[test]
    fn transfer_and_assignment_tell_both_the_petitioner_and_the_unit() {
        let t = PetitionTransferredV1 {
            petition_id: Uuid::now_v7(),
            case_number: "c4".into(),
            decided_on: d(10, 9),
            decided_by_unit: "140423-XFJ".into(),
            to_unit: "140423-RSJ".into(),
            reason: String::new(),
        };
        let n = transfer(&t, Some(&ctx(false)));
        assert_eq!(n.len(), 2);
        assert_eq!(n[1].recipient, Recipient::Unit("140423-RSJ".into()));
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
        let n = assignment(&a, Some(&ctx(true)));
        assert_eq!(n.len(), 1, "anonymous: only the unit is told");
        assert!(n[0].body.contains("2025年11月10日"));
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
