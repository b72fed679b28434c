//! The archiver (归档任务): packages each final case once its delay has passed.
//!
//! One case at a time, in one transaction: lock the queue row (`SKIP LOCKED`, so replicas share
//! the work), ask intake for its record, blind indexes and audit trail (a service call off the
//! event path; if intake does not answer, the case is tried again after `retry_secs`), print any
//! document not yet printed, write the archive's own audit row and read notification's trail,
//! verify both trails' chain proofs, build the manifest with every file's SHA-256 and check the
//! files against it, store the package and enqueue `notification.archive.packaged.v1`.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use sqlx::PgPool;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    audit_trail::{self, CaseTrail},
    WorkerContext,
};

use super::domain::{Manifest, PackageFile, RetentionPolicy};
use super::events;
use super::source::ArchiveSource;
use super::store::{self, Due};
use crate::configuration::ArchiveSettings;
use crate::pdf::FontBook;

pub const PACKAGE_FORMAT: &str = "xinfang-archive/1";

pub struct Archiver {
    pub pool: PgPool,
    pub waker: OutboxWaker,
    pub source: Arc<dyn ArchiveSource>,
    pub fonts: FontBook,
    pub policy: RetentionPolicy,
    pub settings: ArchiveSettings,
}

impl Archiver {
    pub async fn run(self, ctx: WorkerContext) {
        let idle = Duration::from_millis(self.settings.poll_interval_ms);
        loop {
            let mut packaged = 0;
            while packaged < self.settings.batch_size {
                match self.package_next().await {
                    Ok(true) => packaged += 1,
                    Ok(false) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "archive round failed");
                        break;
                    }
                }
            }
            let wait = if packaged >= self.settings.batch_size {
                Duration::ZERO
            } else {
                idle
            };
            tokio::select! {
                _ = ctx.shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Package the next due case, if any: `Ok(true)` when one was packaged or failed and was put
    /// back for later.
    #[tracing::instrument(skip_all)]
    pub async fn package_next(&self) -> Result<bool, sqlx::Error> {
        let mut uow = UnitOfWork::begin(&self.pool, &self.waker).await?;
        let delay = i64::try_from(self.settings.delay_secs).unwrap_or(i64::MAX / 2);
        let Some(due) = store::claim_due(uow.conn(), delay).await? else {
            return Ok(false);
        };
        match self.package(&mut uow, &due).await {
            Ok(()) => {
                uow.commit().await?;
                tracing::info!(case_id = %due.case_id, case_number = %due.case_number, "case archived");
            }
            Err(reason) => {
                drop(uow);
                tracing::warn!(case_id = %due.case_id, %reason, "archive package not made; will retry");
                let retry = i64::try_from(self.settings.retry_secs).unwrap_or(300);
                store::attempt_failed(&self.pool, due.case_id, &reason, retry).await?;
            }
        }
        Ok(true)
    }

    async fn package(&self, uow: &mut UnitOfWork<'_>, due: &Due) -> Result<(), String> {
        let db = |e: sqlx::Error| e.to_string();
        let intake = self
            .source
            .record(due.case_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("一口受理系统中没有该信访件")?;
        let (unit, notification) = store::case_data(uow.conn(), due.case_id)
            .await
            .map_err(db)?;
        let unit = unit
            .or_else(|| {
                intake.record["petition"]["registering_unit"]
                    .as_str()
                    .map(str::to_string)
            })
            .ok_or("不知道该信访件的登记单位")?;

        let mut files = vec![PackageFile::json(
            "case.json",
            &json!({
                "case_id": due.case_id,
                "case_number": due.case_number,
                "finality": {
                    "concluded_on": due.concluded_on,
                    "level": due.level,
                    "finalized_at": due.finalized_at,
                },
                "intake": intake.record,
                "notification": notification,
            }),
        )];
        // Every document of the case as PDF: the stored print, or printed now and stored.
        for notice in crate::store::notices::for_case(&self.pool, due.case_id)
            .await
            .map_err(db)?
        {
            let pdf = match crate::store::documents::get(&self.pool, notice.id)
                .await
                .map_err(db)?
            {
                Some(pdf) => pdf,
                None => {
                    let fonts = self.fonts.clone();
                    let doc = notice.document();
                    let pdf = tokio::task::spawn_blocking(move || crate::pdf::render(&fonts, &doc))
                        .await
                        .map_err(|e| e.to_string())?
                        .map_err(|e| e.to_string())?;
                    let sha = super::domain::sha256_hex(&pdf);
                    crate::store::documents::store(
                        &self.pool,
                        notice.id,
                        notice.case_id,
                        &sha,
                        &pdf,
                    )
                    .await
                    .map_err(db)?;
                    pdf
                }
            };
            files.push(PackageFile {
                path: format!("documents/{}-{}.pdf", notice.kind, notice.id),
                media_type: "application/pdf".into(),
                content: pdf,
            });
        }

        let class = self.policy.default_class().clone();
        let archived_at = Utc::now();
        let retain_until = class.retain_until(xinfang_platform::time::china_date(archived_at));
        uow.audit(AuditEntry::system(
            "notification",
            "archive.package",
            Some(due.case_id),
            json!({
                "case_number": due.case_number,
                "retention_class": class.code,
                "documents": files.len() - 1,
            }),
        ))
        .await
        .map_err(db)?;
        let own = audit_trail::case_trail(uow.conn(), "notification", due.case_id)
            .await
            .map_err(db)?;
        let theirs: CaseTrail = serde_json::from_value(intake.audit_trail.clone())
            .map_err(|e| format!("一口受理的审计轨迹无法解读：{e}"))?;
        if theirs.case_id != due.case_id {
            return Err("一口受理的审计轨迹不属于本案".into());
        }
        let own_rows = audit_trail::verify_trail(&own)
            .map_err(|e| format!("通知送达的审计链证明未通过：{e}"))?;
        let their_rows = audit_trail::verify_trail(&theirs)
            .map_err(|e| format!("一口受理的审计链证明未通过：{e}"))?;
        files.push(PackageFile::json(
            "audit/notification.json",
            &serde_json::to_value(&own).map_err(|e| e.to_string())?,
        ));
        files.push(PackageFile::json("audit/intake.json", &intake.audit_trail));

        let manifest = Manifest {
            format: PACKAGE_FORMAT.into(),
            case_id: due.case_id,
            case_number: due.case_number.clone(),
            unit,
            archived_at,
            retention_class: class.code.clone(),
            retain_until,
            audit_verified: json!({ "intake": their_rows, "notification": own_rows }),
            files: Manifest::entries(&files),
        };
        manifest.verify(&files)?;
        let (manifest_file, manifest_sha) = manifest.file();
        files.push(manifest_file);

        let mut indexes = Vec::new();
        for i in &intake.petitioner_indexes {
            let value = hex::decode(&i.index).map_err(|e| format!("盲索引无效：{e}"))?;
            indexes.push((i.kind.clone(), value));
        }
        store::insert_package(uow.conn(), &manifest, &manifest_sha, &files, &indexes)
            .await
            .map_err(db)?;
        uow.enqueue(&events::packaged(&manifest, &manifest_sha))
            .await
            .map_err(db)?;
        Ok(())
    }
}
