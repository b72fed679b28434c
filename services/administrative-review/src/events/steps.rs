//! The steps of the ladder that both a person (through `api/`) and an event (a delivery reported by
//! notification, a window lapsing in supervision, a mediation) can take: each changes the case,
//! publishes its event and requests its notice inside the caller's unit of work.

use chrono::NaiveDate;
use uuid::Uuid;
use xinfang_contracts::{
    events::{CaseFinalizedV1, FinalOpinion},
    notices::templates,
    review::{CaseClosedV1, HandlingStartedV1, OpinionDeliveredV1, OpinionIssuedV1},
    Envelope,
};
use xinfang_messaging::UnitOfWork;
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    directory::Directory,
    Actor,
};

use crate::{
    domain::{
        inputs::Delivery,
        ladder::{Closure, Level, Position, Step},
        ReviewError,
    },
    events::publish::{envelope, Notice},
    store::{
        cases::{self, CaseRow, NewCase},
        notices, records,
        records::OpinionRow,
    },
};

/// Who takes a step: a person, or the service reacting to an event.
#[derive(Debug, Clone, Copy)]
pub enum Who<'a> {
    Person(&'a Actor),
    System,
}

impl Who<'_> {
    pub fn entry(self, action: &str, case_id: Uuid, details: serde_json::Value) -> AuditEntry {
        match self {
            Who::Person(actor) => AuditEntry::by(actor, action, Some(case_id), details),
            Who::System => {
                AuditEntry::system("administrative-review", action, Some(case_id), details)
            }
        }
    }
}

/// Request a notice from notification and remember it (to match the delivery report).
pub async fn request_notice(
    uow: &mut UnitOfWork<'_>,
    notice: Notice<'_>,
    opinion_id: Option<Uuid>,
    cause: Option<&Envelope>,
) -> Result<Uuid, ReviewError> {
    let (case_id, template) = (notice.case_id, notice.template);
    let (request_id, env) = notice.build(cause);
    notices::remember(uow.conn(), request_id, case_id, template, opinion_id).await?;
    uow.enqueue(&env).await?;
    Ok(request_id)
}

/// Start handling a case (开始办理), once: the handling clock opens in supervision from the event.
pub async fn start_handling(
    uow: &mut UnitOfWork<'_>,
    new: NewCase<'_>,
    cause: &Envelope,
) -> Result<(), ReviewError> {
    if !cases::start(uow.conn(), &new).await? {
        return Ok(());
    }
    handling_started(uow, &new, cause).await
}

/// A case accepted with a handling unit and then handed on by intake (受理后改由其他单位办理),
/// accepted by the new unit: while no opinion is issued, handling moves to that unit (its queue,
/// its clock); the previous unit no longer sees it. Otherwise nothing changes.
pub async fn hand_on_handling(
    uow: &mut UnitOfWork<'_>,
    new: NewCase<'_>,
    cause: &Envelope,
) -> Result<(), ReviewError> {
    let Some(previous) = cases::hand_on(uow.conn(), &new).await? else {
        return Ok(());
    };
    uow.audit(Who::System.entry(
        "handling.handed_on",
        new.case_id,
        serde_json::json!({ "from_unit": previous, "to_unit": new.unit, "origin": new.origin }),
    ))
    .await?;
    handling_started(uow, &new, cause).await
}

async fn handling_started(
    uow: &mut UnitOfWork<'_>,
    new: &NewCase<'_>,
    cause: &Envelope,
) -> Result<(), ReviewError> {
    let event = HandlingStartedV1 {
        petition_id: new.case_id,
        case_number: new.case_number.to_string(),
        unit: new.unit.to_string(),
        started_on: new.started_on,
        origin: new.origin.to_string(),
        assigned_by_unit: new.assigned_by_unit.map(str::to_string),
        upstream_reference: new.upstream_reference.map(str::to_string),
    };
    uow.enqueue(&envelope(&event, new.case_id, Some(cause)))
        .await?;
    uow.audit(Who::System.entry(
        "handling.start",
        new.case_id,
        serde_json::json!({ "unit": new.unit, "origin": new.origin, "started_on": new.started_on }),
    ))
    .await?;
    Ok(())
}

/// Issue an approved opinion (出具意见书): the case moves to "issued", the level's document goes to
/// the petitioner through notification, and a handling opinion closes the handling substantively
/// (实体性办结). Returns the new case version.
pub async fn issue_opinion(
    uow: &mut UnitOfWork<'_>,
    directory: &Directory,
    who: Who<'_>,
    case: &CaseRow,
    opinion: &OpinionRow,
    issued_on: NaiveDate,
    document_number: Option<&str>,
) -> Result<i32, ReviewError> {
    let level = Level::parse(&opinion.level).unwrap_or(Level::Handling);
    let next = case.position()?.issue(level)?;
    let next_organ = match level.next() {
        Some(_) => directory.parent_of(&opinion.issuing_unit).map(|o| o.name),
        None => None,
    };
    let issuing_name = directory.name_of(&opinion.issuing_unit);
    let mut fields = vec![
        (
            "outcome",
            level.outcome_zh(&opinion.outcome).unwrap_or("").to_string(),
        ),
        ("facts", opinion.facts.clone()),
        ("reasons", opinion.reasons.clone()),
        ("legal_basis", opinion.legal_basis.clone()),
        ("issued_on", issued_on.to_string()),
        ("issuing_organ", issuing_name),
    ];
    match level {
        Level::Handling => fields.push((
            "review_organ",
            next_organ.unwrap_or_else(|| "上一级机关".into()),
        )),
        Level::Review => fields.push((
            "re_review_organ",
            next_organ.unwrap_or_else(|| "上一级机关".into()),
        )),
        Level::ReReview => {}
    }
    let request_id = request_notice(
        uow,
        Notice {
            case_id: case.case_id,
            case_number: &case.case_number,
            template: level.opinion_template(),
            issuing_unit: &opinion.issuing_unit,
            recipient_unit: None,
            document_number,
            dated_on: issued_on,
            fields,
        },
        Some(opinion.id),
        None,
    )
    .await?;
    records::issue_opinion(
        uow.conn(),
        opinion.id,
        issued_on,
        document_number,
        Some(request_id),
    )
    .await?;
    let mut version = cases::move_to(uow.conn(), case.case_id, next, &case.level_unit).await?;
    let event = OpinionIssuedV1 {
        opinion_id: opinion.id,
        petition_id: case.case_id,
        case_number: case.case_number.clone(),
        level: level.as_str().to_string(),
        outcome: opinion.outcome.clone(),
        issuing_unit: opinion.issuing_unit.clone(),
        issued_on,
        corrects: opinion.corrects,
        implement_by: opinion.implement_by,
        implementing_unit: opinion.implementing_unit.clone(),
        external: opinion.external,
    };
    uow.enqueue(&envelope(&event, case.case_id, None)).await?;
    uow.audit(who.entry(
        "opinion.issue",
        case.case_id,
        serde_json::json!({ "opinion_id": opinion.id, "level": level.as_str(), "outcome": opinion.outcome,
                            "issued_on": issued_on, "notice_request_id": request_id }),
    ))
    .await?;
    if level == Level::Handling && case.closure_kind.is_none() {
        let outcome_zh = level.outcome_zh(&opinion.outcome).unwrap_or("");
        version = close_handling(
            uow,
            who,
            case,
            Closing {
                closure: Closure::Substantive,
                ground: "opinion",
                reason: &format!("出具信访处理意见书（{outcome_zh}）"),
                on: issued_on,
                outcome: Some(&opinion.outcome),
                close_case: false,
            },
            None,
        )
        .await?;
    }
    Ok(version)
}

/// How handling closes (办结).
#[derive(Debug, Clone, Copy)]
pub struct Closing<'a> {
    pub closure: Closure,
    pub ground: &'a str,
    pub reason: &'a str,
    pub on: NaiveDate,
    pub outcome: Option<&'a str>,
    /// True when nothing is left to contest (no opinion): the case is closed for good.
    pub close_case: bool,
}

/// Record the handling's closure with its kind (实体性 / 程序性办结), publish it, and send the
/// completion report (办结报告) to the organ that assigned the case (art 22(3)).
pub async fn close_handling(
    uow: &mut UnitOfWork<'_>,
    who: Who<'_>,
    case: &CaseRow,
    c: Closing<'_>,
    cause: Option<&Envelope>,
) -> Result<i32, ReviewError> {
    cases::record_closure(
        uow.conn(),
        case.case_id,
        c.closure.as_str(),
        c.ground,
        c.reason,
        c.on,
        c.close_case,
    )
    .await?;
    let event = CaseClosedV1 {
        petition_id: case.case_id,
        case_number: case.case_number.clone(),
        unit: case.unit_code.clone(),
        closure: c.closure.as_str().to_string(),
        ground: c.ground.to_string(),
        reason: c.reason.to_string(),
        closed_on: c.on,
        outcome: c.outcome.map(str::to_string),
    };
    uow.enqueue(&envelope(&event, case.case_id, cause)).await?;
    if let Some(assigning) = case.assigned_by_unit.as_deref() {
        request_notice(
            uow,
            Notice {
                case_id: case.case_id,
                case_number: &case.case_number,
                template: templates::COMPLETION_REPORT,
                issuing_unit: &case.unit_code,
                recipient_unit: Some(assigning),
                document_number: None,
                dated_on: c.on,
                fields: vec![
                    (
                        "outcome",
                        c.outcome
                            .map(|o| Level::Handling.outcome_zh(o).unwrap_or(o).to_string())
                            .unwrap_or_default(),
                    ),
                    ("closure", c.closure.label_zh().to_string()),
                    ("summary", c.reason.to_string()),
                    (
                        "upstream_reference",
                        case.upstream_reference.clone().unwrap_or_default(),
                    ),
                    ("closed_on", c.on.to_string()),
                ],
            },
            None,
            cause,
        )
        .await?;
    }
    uow.audit(who.entry(
        "handling.close",
        case.case_id,
        serde_json::json!({ "closure": c.closure.as_str(), "ground": c.ground, "reason": c.reason, "closed_on": c.on }),
    ))
    .await?;
    Ok(cases::touch(uow.conn(), case.case_id).await?)
}

/// Record that the petitioner received an opinion (送达), by hand or as notification reported it:
/// the window to go one level up opens (in supervision, from the event); the re-review opinion's
/// delivery makes the case final. A delivery already recorded changes nothing (None).
pub async fn record_delivery(
    uow: &mut UnitOfWork<'_>,
    who: Who<'_>,
    case: &CaseRow,
    opinion: &OpinionRow,
    delivery: &Delivery,
    recorded_from: &str,
    cause: Option<&Envelope>,
) -> Result<Option<i32>, ReviewError> {
    let level = Level::parse(&opinion.level).unwrap_or(Level::Handling);
    let current = case.position()?;
    // A correction's delivery after the original's is recorded on the opinion, and moves nothing.
    let moves = current.level == level && current.step == Step::Issued;
    if !records::record_delivery(uow.conn(), opinion.id, delivery, recorded_from).await? {
        return Ok(None);
    }
    let event = OpinionDeliveredV1 {
        opinion_id: opinion.id,
        petition_id: case.case_id,
        case_number: case.case_number.clone(),
        level: level.as_str().to_string(),
        issuing_unit: opinion.issuing_unit.clone(),
        delivered_on: delivery.delivered_on,
        method: delivery.method.to_string(),
        proof: delivery.proof.clone(),
        recorded_from: recorded_from.to_string(),
    };
    uow.enqueue(&envelope(&event, case.case_id, cause)).await?;
    uow.audit(who.entry(
        "opinion.deliver",
        case.case_id,
        serde_json::json!({ "opinion_id": opinion.id, "delivered_on": delivery.delivered_on,
                            "method": delivery.method, "proof": delivery.proof, "from": recorded_from }),
    ))
    .await?;
    if !moves {
        return Ok(Some(cases::touch(uow.conn(), case.case_id).await?));
    }
    let next: Position = current.deliver(level)?;
    let mut version = cases::move_to(uow.conn(), case.case_id, next, &case.level_unit).await?;
    if next.step == Step::Final {
        let delivered = OpinionRow {
            delivered_on: Some(delivery.delivered_on),
            ..opinion.clone()
        };
        version = finalize(
            uow,
            who,
            case,
            level,
            Some(&delivered),
            delivery.delivered_on,
            cause,
        )
        .await?;
    }
    Ok(Some(version))
}

/// The case becomes final (终结, art 36): `administrative-review.case.finalized.v1` with the final
/// opinion, its level and its date; intake bars the same facts and reasons from then on.
pub async fn finalize(
    uow: &mut UnitOfWork<'_>,
    who: Who<'_>,
    case: &CaseRow,
    level: Level,
    opinion: Option<&OpinionRow>,
    on: NaiveDate,
    cause: Option<&Envelope>,
) -> Result<i32, ReviewError> {
    cases::finalize(uow.conn(), case.case_id, level, opinion.map(|o| o.id), on).await?;
    let event = CaseFinalizedV1 {
        petition_id: case.case_id,
        case_number: case.case_number.clone(),
        concluded_on: on,
        level: level.as_str().to_string(),
        final_opinion: opinion.map(|o| FinalOpinion {
            opinion_id: o.id,
            outcome: o.outcome.clone(),
            level: o.level.clone(),
            issued_on: o.issued_on,
            delivered_on: o.delivered_on,
            issuing_unit: o.issuing_unit.clone(),
        }),
    };
    uow.enqueue(&envelope(&event, case.case_id, cause)).await?;
    uow.audit(who.entry(
        "case.finalize",
        case.case_id,
        serde_json::json!({ "level": level.as_str(), "opinion_id": opinion.map(|o| o.id),
                            "outcome": opinion.map(|o| o.outcome.clone()), "concluded_on": on }),
    ))
    .await?;
    Ok(cases::touch(uow.conn(), case.case_id).await?)
}
