//! What the archive asks intake (信访档案 ← 一口受理), which owns the petition and the blind-index
//! key: the petition's record, its petitioners' blind indexes and intake's audit trail when a case
//! is packaged (the archiver, off the event path, retried), and the blind indexes of an identity
//! number or phone for a search. Service identity with scope `intake.archive.read`; intake audits
//! both.

use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::domain::ArchiveError;
use crate::channels::contacts::IntakeContacts;
use crate::channels::ChannelError;

/// A petitioner's blind index (盲索引).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PetitionerIndex {
    /// `id_number` or `phone`.
    pub kind: String,
    /// Hex.
    pub index: String,
}

/// Intake's part of a package.
#[derive(Debug, Clone, Deserialize)]
pub struct IntakeRecord {
    pub petition_id: Uuid,
    pub case_number: String,
    pub record: Value,
    pub petitioner_indexes: Vec<PetitionerIndex>,
    pub audit_trail: Value,
}

#[async_trait::async_trait]
pub trait ArchiveSource: Send + Sync {
    /// The record of a petition, `None` if intake does not know it.
    async fn record(&self, petition_id: Uuid) -> Result<Option<IntakeRecord>, ChannelError>;
    /// The blind indexes of the values given; a value intake refuses is a 422 naming its field.
    async fn indexes(
        &self,
        id_number: Option<&str>,
        phone: Option<&str>,
    ) -> Result<Vec<PetitionerIndex>, ArchiveError>;
}

#[derive(Deserialize)]
struct IndexAnswer {
    indexes: Vec<PetitionerIndex>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    message: String,
    #[serde(default)]
    details: Value,
}

#[async_trait::async_trait]
impl ArchiveSource for IntakeContacts {
    #[tracing::instrument(skip_all, fields(petition_id = %petition_id))]
    async fn record(&self, petition_id: Uuid) -> Result<Option<IntakeRecord>, ChannelError> {
        let token = self.token().await?;
        let response = self
            .client
            .post(format!(
                "{}/internal/v1/archive/records",
                self.settings.intake_url
            ))
            .bearer_auth(token)
            .json(&serde_json::json!({ "petition_id": petition_id }))
            .send()
            .await
            .map_err(|e| ChannelError::Failed(format!("归档材料获取失败：{}", e.without_url())))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let record = response
            .error_for_status()
            .map_err(|e| ChannelError::Failed(format!("归档材料获取失败：{}", e.without_url())))?
            .json()
            .await
            .map_err(|e| ChannelError::Failed(format!("归档材料应答无效：{}", e.without_url())))?;
        Ok(Some(record))
    }

    #[tracing::instrument(skip_all)]
    async fn indexes(
        &self,
        id_number: Option<&str>,
        phone: Option<&str>,
    ) -> Result<Vec<PetitionerIndex>, ArchiveError> {
        let token = self.token().await.map_err(|e| {
            tracing::warn!(error = %e, "no service token for intake");
            ArchiveError::Unavailable
        })?;
        let response = self
            .client
            .post(format!(
                "{}/internal/v1/archive/petitioner-indexes",
                self.settings.intake_url
            ))
            .bearer_auth(token)
            .json(&serde_json::json!({ "id_number": id_number, "phone": phone }))
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(error = %e.without_url(), "intake did not answer");
                ArchiveError::Unavailable
            })?;
        if response.status() == reqwest::StatusCode::UNPROCESSABLE_ENTITY {
            let body: ErrorAnswer = response
                .json()
                .await
                .map_err(|_| ArchiveError::Unavailable)?;
            let field = match body.details["field"].as_str() {
                Some("phone") => "phone",
                _ => "id_number",
            };
            return Err(ArchiveError::Invalid {
                field,
                message: body.message,
            });
        }
        let answer: IndexAnswer = response
            .error_for_status()
            .map_err(|e| {
                tracing::warn!(error = %e.without_url(), "intake refused");
                ArchiveError::Unavailable
            })?
            .json()
            .await
            .map_err(|_| ArchiveError::Unavailable)?;
        Ok(answer.indexes)
    }
}
