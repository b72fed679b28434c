//! The event findings publish: `supervision.finding.raised.v1`, with the finding itself.

use uuid::Uuid;
use xinfang_contracts::{events::FindingRaisedV1, Envelope};
use xinfang_messaging::UnitOfWork;

use crate::findings::{domain::NewFinding, store};

/// Raise a finding once per (question, subject) inside the caller's unit of work, and publish
/// `supervision.finding.raised.v1`. Returns whether it was new.
#[tracing::instrument(skip_all, fields(question = finding.question.as_str(), subject = %finding.subject_ref))]
pub async fn raise(uow: &mut UnitOfWork<'_>, finding: &NewFinding) -> Result<bool, sqlx::Error> {
    Ok(raise_many(uow, &[finding]).await? == 1)
}

/// [`raise`] for several findings, with one statement. Returns how many were new.
#[tracing::instrument(skip_all, fields(findings = findings.len()))]
pub async fn raise_many(
    uow: &mut UnitOfWork<'_>,
    findings: &[&NewFinding],
) -> Result<usize, sqlx::Error> {
    let ids: Vec<Uuid> = findings.iter().map(|_| Uuid::now_v7()).collect();
    let inserted = store::insert_many(uow.conn(), &ids, findings).await?;
    for (id, finding) in ids.iter().zip(findings) {
        if !inserted.contains(id) {
            continue;
        }
        let event = FindingRaisedV1 {
            finding_id: *id,
            petition_id: finding.case_id,
            unit: finding.unit.clone(),
            question: finding.question.as_str().to_string(),
            detail: finding.detail.clone(),
        };
        uow.enqueue(&Envelope::new(&event, finding.case_id, None, None))
            .await?;
        tracing::info!(
            question = finding.question.label_zh(),
            unit = %finding.unit,
            subject_ref = %finding.subject_ref,
            "finding raised"
        );
    }
    Ok(inserted.len())
}
