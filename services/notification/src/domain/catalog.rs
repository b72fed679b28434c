//! The catalogue of documents (文书目录): every notice and document the platform sends, its fields
//! and its built-in text (version 1). Administrators publish later versions over the API; each is
//! checked against the fields listed here (`template::TemplateText::parse`).

/// A field a template may use (模板字段).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    /// A required field must appear in every version of the template and have a value in every
    /// notice made from it.
    pub required: bool,
}

const fn req(name: &'static str) -> Field {
    Field {
        name,
        required: true,
    }
}

const fn opt(name: &'static str) -> Field {
    Field {
        name,
        required: false,
    }
}

/// Fields every template may use, filled by notification itself: 信访件编号, the issuing organ's
/// full name (制发机关), the addressee (主送), 文号 and 成文日期.
pub const COMMON_FIELDS: [&str; 5] = [
    "case_number",
    "organ_name",
    "recipient_name",
    "document_number",
    "dated_on",
];

/// Whom a document is for (送达对象).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Petitioner,
    Unit,
}

/// One kind of document (文书种类).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateSpec {
    /// e.g. `handling_opinion`
    pub code: &'static str,
    /// e.g. 信访处理意见书
    pub name: &'static str,
    pub audience: Audience,
    /// A written decision whose receipt starts a statutory window (意见书、告知书): served with proof
    /// of delivery (printed letter, or handed over in person), not by SMS alone.
    pub needs_proof: bool,
    pub fields: &'static [Field],
    /// Version 1 of the title and the body (paragraphs separated by line breaks).
    pub title: &'static str,
    pub body: &'static str,
}

macro_rules! spec {
    ($code:literal, $name:literal, $aud:ident, $proof:literal, [$($f:expr),* $(,)?], $title:literal, $body:expr) => {
        TemplateSpec {
            code: $code,
            name: $name,
            audience: Audience::$aud,
            needs_proof: $proof,
            fields: &[$($f),*],
            title: $title,
            body: $body,
        }
    };
}

pub const REGISTRATION_RECEIPT: TemplateSpec = spec!(
    "registration_receipt", "登记回执", Petitioner, false,
    [req("received_on"), req("channel")],
    "信访事项登记回执",
    "您于{{received_on}}以{{channel}}方式反映的信访事项已登记，信访件编号为{{case_number}}。\n\
     依照《信访工作条例》第二十二条、第二十三条，本机关将自收到之日起15日内告知您是否受理及办理途径。\n\
     您可凭信访件编号和登记时取得的查询码查询办理进度、下载有关文书，并在办结后评价。"
);

pub const ACCEPTANCE_NOTICE: TemplateSpec = spec!(
    "acceptance_notice", "受理告知书", Petitioner, true,
    [req("accepted_on"), req("handling_unit"), opt("handling_limit"), opt("reason")],
    "信访事项受理告知书",
    "经审查，您反映的信访事项（信访件编号{{case_number}}）符合受理条件，本机关已于{{accepted_on}}依法受理，由{{handling_unit}}办理。\n\
     {{handling_limit}}\n\
     {{reason}}"
);

pub const DECLINE_NOTICE: TemplateSpec = spec!(
    "decline_notice", "不予受理告知书（第三十一条）", Petitioner, true,
    [req("reason"), req("legal_channel"), opt("guidance")],
    "不予受理告知书",
    "经审查，您反映的信访事项（信访件编号{{case_number}}）{{reason}}。依照《信访工作条例》第三十一条，该事项应当依法通过{{legal_channel}}解决，本机关不予受理。\n\
     {{guidance}}"
);

pub const DECLINE_IN_PROGRESS: TemplateSpec = spec!(
    "decline_notice_in_progress", "不予受理告知书（第十九条）", Petitioner, true,
    [req("prior_case_number"), opt("reason")],
    "不予受理告知书",
    "您反映的信访事项（信访件编号{{case_number}}）已作为{{prior_case_number}}号信访事项受理，正在法定期限内办理。依照《信访工作条例》第十九条，本机关不予受理。\n\
     您可凭该件的查询码查询办理进度。\n\
     {{reason}}"
);

pub const DECLINE_OUTSIDE_REMIT: TemplateSpec = spec!(
    "decline_notice_outside_remit", "不予受理告知书（第二十三条）", Petitioner, true,
    [req("reason"), opt("guidance")],
    "不予受理告知书",
    "经审查，您反映的信访事项（信访件编号{{case_number}}）{{reason}}，不属于本机关职责范围。依照《信访工作条例》第二十三条，本机关不予受理。\n\
     {{guidance}}"
);

pub const BAR_NOTICE: TemplateSpec = spec!(
    "bar_notice", "不再受理告知书（第三十六条）", Petitioner, true,
    [req("prior_case_number"), opt("reason")],
    "不再受理告知书",
    "您反映的信访事项（信访件编号{{case_number}}）与{{prior_case_number}}号信访事项的事实和理由相同，该事项已经复核终结。依照《信访工作条例》第三十六条第三款，各级机关不再受理。\n\
     {{reason}}"
);

pub const TRANSFER_NOTICE: TemplateSpec = spec!(
    "transfer_notice", "转送告知书", Petitioner, false,
    [req("decided_on"), req("to_unit")],
    "信访事项转送告知书",
    "您反映的信访事项（信访件编号{{case_number}}）依照《信访工作条例》第二十二条，已于{{decided_on}}转送{{to_unit}}依法办理，请您留意该机关的受理告知。"
);

pub const TRANSFER_LETTER: TemplateSpec = spec!(
    "transfer_to_unit", "转送函", Unit, false,
    [req("decided_on"), opt("reason")],
    "信访事项转送函",
    "现将{{case_number}}号信访事项转送你单位（转送日期{{decided_on}}）。属于你单位职责范围的，请自收到之日起15日内书面告知信访人是否受理；不属于你单位职责范围的，请自收到之日起5个工作日内向{{organ_name}}提出异议并详细说明理由（《信访工作条例》第二十三条）。\n\
     {{reason}}"
);

pub const HANDLING_TO_UNIT: TemplateSpec = spec!(
    "handling_to_unit", "办理通知", Unit, false,
    [req("accepted_on")],
    "信访事项办理通知",
    "{{case_number}}号信访事项已于{{accepted_on}}受理，现交由你单位办理，请依法按期办结并出具处理意见。"
);

pub const ASSIGNMENT_INFO: TemplateSpec = spec!(
    "assignment_info",
    "交办告知",
    Petitioner,
    false,
    [req("decided_on"), req("to_unit")],
    "信访事项交办告知",
    "您反映的信访事项（信访件编号{{case_number}}）已于{{decided_on}}交由{{to_unit}}办理。"
);

pub const ASSIGNMENT_SLIP: TemplateSpec = spec!(
    "assignment_to_unit", "交办单", Unit, false,
    [req("due_on"), opt("instructions")],
    "信访事项交办单",
    "现将{{case_number}}号信访事项交办你单位，请于{{due_on}}前办结，并向{{organ_name}}报送办结报告（《信访工作条例》第二十二条）。\n\
     {{instructions}}"
);

pub const OBJECTION_RECEIVED: TemplateSpec = spec!(
    "objection_received", "转送交办异议", Unit, false,
    [req("objecting_unit"), req("objected_on"), req("reasons")],
    "转送交办异议",
    "{{objecting_unit}}于{{objected_on}}对{{case_number}}号信访事项提出异议，理由：{{reasons}}。请重新研究分类处理。"
);

pub const SUPERVISION_ORDER: TemplateSpec = spec!(
    "supervision_order",
    "督办函",
    Unit,
    false,
    [req("order_title"), req("summary"), req("respond_by")],
    "{{order_title}}",
    "{{summary}}\n\
     请于{{respond_by}}前将办理情况书面报告{{organ_name}}（《信访工作条例》第三十九条）。"
);

pub const RECOMMENDATION: TemplateSpec = spec!(
    "recommendation",
    "三项建议书",
    Unit,
    false,
    [
        req("recommendation_title"),
        req("findings"),
        req("recommendation"),
        req("respond_by")
    ],
    "{{recommendation_title}}",
    "本机关在工作中发现：{{findings}}\n\
     依照《信访工作条例》第四十条，现提出如下建议：{{recommendation}}\n\
     请于{{respond_by}}前书面反馈采纳情况。"
);

pub const COMPLETION_REPORT: TemplateSpec = spec!(
    "completion_report", "办结报告", Unit, false,
    [req("outcome"), req("closure"), req("closed_on"), opt("summary"), opt("upstream_reference")],
    "信访事项办结报告",
    "贵机关交办的{{case_number}}号信访事项（交办文号{{upstream_reference}}），本单位已于{{closed_on}}办结，现报告如下：\n\
     办理结果：{{outcome}}（{{closure}}）。\n\
     {{summary}}"
);

pub const DEADLINE_WARNING: TemplateSpec =
    spec!(
    "deadline_step", "期限提醒", Unit, false,
    [req("step_title"), req("deadline_kind"), req("due_on"), req("status")],
    "{{step_title}}",
    "{{case_number}}号信访事项的{{deadline_kind}}期限（届满日{{due_on}}）{{status}}，请抓紧办理。"
);

pub const EXTENSION_NOTICE: TemplateSpec = spec!(
    "extension_notice", "延期告知书", Petitioner, true,
    [req("reason"), req("original_due_on"), req("extended_due_on")],
    "信访事项延期办理告知书",
    "您反映的信访事项（信访件编号{{case_number}}）原应于{{original_due_on}}前办结。因{{reason}}，经本机关负责人批准，依照《信访工作条例》第三十四条，办理期限延长至{{extended_due_on}}。\n\
     特此告知。"
);

pub const HANDLING_OPINION: TemplateSpec = spec!(
    "handling_opinion", "信访处理意见书", Petitioner, true,
    [req("outcome"), req("facts"), req("reasons"), opt("legal_basis"), req("review_organ"), opt("issued_on")],
    "信访事项处理意见书",
    "经调查核实，现将您反映的信访事项（信访件编号{{case_number}}）的处理意见告知如下：\n\
     一、基本事实：{{facts}}\n\
     二、理由：{{reasons}}\n\
     三、依据：{{legal_basis}}\n\
     四、处理意见：{{outcome}}。\n\
     如对本处理意见不服，可以自收到本意见书之日起30日内，向{{review_organ}}请求复查（《信访工作条例》第三十五条）。"
);

pub const REVIEW_OPINION: TemplateSpec = spec!(
    "review_opinion", "复查意见书", Petitioner, true,
    [req("outcome"), req("facts"), req("reasons"), opt("legal_basis"), req("re_review_organ"), opt("issued_on")],
    "信访事项复查意见书",
    "您对信访事项（信访件编号{{case_number}}）的处理意见不服，请求复查。经复查，现将复查意见告知如下：\n\
     一、基本事实：{{facts}}\n\
     二、理由：{{reasons}}\n\
     三、依据：{{legal_basis}}\n\
     四、复查意见：{{outcome}}。\n\
     如对本复查意见不服，可以自收到本意见书之日起30日内，向{{re_review_organ}}请求复核（《信访工作条例》第三十五条）。"
);

pub const RE_REVIEW_OPINION: TemplateSpec = spec!(
    "re_review_opinion", "复核意见书", Petitioner, true,
    [req("outcome"), req("facts"), req("reasons"), opt("legal_basis"), opt("issued_on")],
    "信访事项复核意见书",
    "您对信访事项（信访件编号{{case_number}}）的复查意见不服，请求复核。经复核，现将复核意见告知如下：\n\
     一、基本事实：{{facts}}\n\
     二、理由：{{reasons}}\n\
     三、依据：{{legal_basis}}\n\
     四、复核意见：{{outcome}}。\n\
     本复核意见为终结意见。信访人对复核意见不服，仍以同一事实和理由提出投诉请求的，各级机关不再受理（《信访工作条例》第三十六条）。"
);

pub const HEARING_NOTICE: TemplateSpec = spec!(
    "hearing_notice", "听证通知", Petitioner, true,
    [req("hearing_on"), req("place"), req("chair")],
    "信访事项听证通知书",
    "本机关定于{{hearing_on}}在{{place}}就您反映的信访事项（信访件编号{{case_number}}）举行听证，听证主持人：{{chair}}。\n\
     请您按时参加，并携带本通知和有关证据材料。听证时间不计入复核期限（《信访工作条例》第三十六条）。"
);

pub const LATE_REQUEST_REFUSAL: TemplateSpec = spec!(
    "late_request_refusal", "不予受理告知书（逾期请求）", Petitioner, true,
    [req("level"), req("window_closed_on"), req("requested_on")],
    "不予受理告知书",
    "您于{{requested_on}}就信访事项（信访件编号{{case_number}}）提出{{level}}请求。该请求的期限已于{{window_closed_on}}届满，依照《信访工作条例》第三十五条、第三十六条，本机关不予受理。"
);

pub const ASSIGNMENT_ACCEPTANCE: TemplateSpec = spec!(
    "assignment_acceptance_notice", "受理告知书（转送交办件）", Petitioner, true,
    [req("handling_unit"), req("accepted_on"), opt("procedure")],
    "信访事项受理告知书",
    "您反映的信访事项（信访件编号{{case_number}}）已由{{handling_unit}}于{{accepted_on}}受理（《信访工作条例》第二十三条）。\n\
     办理程序：{{procedure}}"
);

pub const MEDIATION_NOTICE: TemplateSpec = spec!(
    "mediation_notice", "调解通知", Petitioner, false,
    [req("session_on"), req("place"), req("mediator"), opt("body")],
    "调解通知书",
    "经当事人同意，{{body}}定于{{session_on}}在{{place}}对您反映的信访事项（信访件编号{{case_number}}）进行调解，调解员：{{mediator}}。\n\
     请您按时参加。"
);

pub const MEDIATION_AGREEMENT: TemplateSpec = spec!(
    "mediation_agreement", "调解协议书", Petitioner, true,
    [req("parties"), req("dispute"), req("terms"), opt("perform_by"), opt("body"), req("mediator"), req("signed_on")],
    "人民调解协议书",
    "当事人：{{parties}}\n\
     纠纷主要事实、争议事项：{{dispute}}\n\
     经{{body}}调解，当事人自愿达成如下协议：{{terms}}\n\
     履行方式、时限：{{perform_by}}\n\
     调解员：{{mediator}}，签订日期：{{signed_on}}。\n\
     本协议书自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效（《中华人民共和国人民调解法》第二十九条）。"
);

/// 调解通知 to a party of a registered dispute not (yet) a petition (信访前矛盾纠纷): addressed to the
/// party by name (the request's `addressee`), served in person by the mediation body.
pub const DISPUTE_MEDIATION_NOTICE: TemplateSpec = spec!(
    "dispute_mediation_notice", "调解通知（矛盾纠纷）", Petitioner, false,
    [req("session_on"), req("place"), req("mediator"), opt("body"), req("dispute")],
    "调解通知书",
    "经当事人同意，{{body}}定于{{session_on}}在{{place}}对“{{dispute}}”纠纷（编号{{case_number}}）进行调解，调解员：{{mediator}}。\n\
     请您按时参加。调解遵循自愿、平等原则，您可以要求调解员回避，也可以随时要求终止调解（《中华人民共和国人民调解法》第二十三条）。"
);

/// Every template, in the order the catalogue lists them.
pub const ALL: &[TemplateSpec] = &[
    REGISTRATION_RECEIPT,
    ACCEPTANCE_NOTICE,
    DECLINE_NOTICE,
    DECLINE_IN_PROGRESS,
    DECLINE_OUTSIDE_REMIT,
    BAR_NOTICE,
    TRANSFER_NOTICE,
    TRANSFER_LETTER,
    HANDLING_TO_UNIT,
    ASSIGNMENT_INFO,
    ASSIGNMENT_SLIP,
    OBJECTION_RECEIVED,
    SUPERVISION_ORDER,
    RECOMMENDATION,
    COMPLETION_REPORT,
    DEADLINE_WARNING,
    EXTENSION_NOTICE,
    HANDLING_OPINION,
    REVIEW_OPINION,
    RE_REVIEW_OPINION,
    HEARING_NOTICE,
    LATE_REQUEST_REFUSAL,
    ASSIGNMENT_ACCEPTANCE,
    MEDIATION_NOTICE,
    MEDIATION_AGREEMENT,
    DISPUTE_MEDIATION_NOTICE,
];

/// The template of `code`, if the catalogue has one.
pub fn find(code: &str) -> Option<&'static TemplateSpec> {
    ALL.iter().find(|s| s.code == code)
}

/// Fields whose value is a unit code (单位代码): shown by the organ's name, never the code.
pub fn is_unit_field(name: &str) -> bool {
    matches!(
        name,
        "to_unit"
            | "handling_unit"
            | "objecting_unit"
            | "review_organ"
            | "re_review_organ"
            | "body"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_covers_every_code_of_the_shared_contract_once() {
        for code in xinfang_contracts::notices::templates::ALL {
            assert!(find(code).is_some(), "{code} has no template");
        }
        let mut codes: Vec<_> = ALL.iter().map(|s| s.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), ALL.len());
    }

    #[test]
    fn decline_and_bar_notices_cite_their_own_articles() {
        assert!(DECLINE_NOTICE.body.contains("第三十一条"));
        assert!(DECLINE_IN_PROGRESS.body.contains("第十九条"));
        assert!(DECLINE_OUTSIDE_REMIT.body.contains("第二十三条"));
        assert!(BAR_NOTICE.body.contains("第三十六条"));
        assert!(!BAR_NOTICE.body.contains("第十九条"));
    }
}
