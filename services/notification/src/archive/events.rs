//! The archive's events: a final case joins the queue (`administrative-review.case.finalized.v1`);
//! the facts the archive publishes (`notification.archive.packaged.v1`, `…destroyed.v1`).

use sqlx::PgConnection;
use xinfang_contracts::{
    archive::{ArchiveDestroyedV1, ArchivePackagedV1},
    events::CaseFinalizedV1,
    Envelope,
};
use xinfang_messaging::HandlerError;

use super::domain::Manifest;
use super::store;

/// A case became final: it is packaged once the configured delay has passed (the archiver).
#[tracing::instrument(skip_all, fields(case_id = %event.petition_id))]
pub async fn case_finalized(
    conn: &mut PgConnection,
    envelope: &Envelope,
    event: &CaseFinalizedV1,
) -> Result<(), HandlerError> {
    store::enqueue(conn, event, envelope.event_id).await?;
    Ok(())
}

pub fn packaged(m: &Manifest, manifest_sha256: &str) -> Envelope {
    let e = ArchivePackagedV1 {
        petition_id: m.case_id,
        case_number: m.case_number.clone(),
        unit: m.unit.clone(),
        archived_at: m.archived_at,
        retention_class: m.retention_class.clone(),
        retain_until: m.retain_until,
        manifest_sha256: manifest_sha256.to_string(),
        files: m.files.len() as u32,
    };
    Envelope::new(&e, Some(m.case_id), None, None)
}

pub fn destroyed(p: &store::PackageRow, d: &store::DestructionRow) -> Envelope {
    let e = ArchiveDestroyedV1 {
        petition_id: p.case_id,
        case_number: p.case_number.clone(),
        unit: p.unit_code.clone(),
        destroyed_at: d.approved_at.unwrap_or_else(chrono::Utc::now),
        manifest_sha256: p.manifest_sha256.clone(),
        requested_by: d.requested_by.clone(),
        approved_by: d.approved_by.clone().unwrap_or_default(),
    };
    Envelope::new(&e, Some(p.case_id), None, None)
}
