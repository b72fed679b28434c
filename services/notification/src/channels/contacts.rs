//! Contact details (联系方式) and query-code checks from intake, which owns them: a service-to-service
//! call at send time with a service identity token (scope `intake.contact.read`), audited by intake.
//! Nothing here is logged; [`Contact`]'s `Debug` shows no value.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use uuid::Uuid;

use super::ChannelError;
use crate::configuration::ContactSettings;

/// A petitioner's contact details, as intake answers them (in memory only).
#[derive(Clone, Deserialize)]
pub struct Contact {
    pub petition_id: Uuid,
    #[serde(default)]
    pub name: Option<SecretString>,
    #[serde(default)]
    pub phone: Option<SecretString>,
    #[serde(default)]
    pub email: Option<SecretString>,
    /// `sms` or `email`, when the petitioner stated one (送达方式偏好).
    #[serde(default)]
    pub preferred_channel: Option<String>,
}

impl std::fmt::Debug for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contact")
            .field("petition_id", &self.petition_id)
            .field("phone", &self.phone.as_ref().map(|_| "***"))
            .field("email", &self.email.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Where contact details and query-code checks come from.
#[async_trait::async_trait]
pub trait ContactSource: Send + Sync {
    /// The contact details of several petitions (those intake knows).
    async fn contacts(&self, petition_ids: &[Uuid])
        -> Result<HashMap<Uuid, Contact>, ChannelError>;
    /// The petition whose number and query code (查询码) these are, if they match; intake compares
    /// the code's hash in constant time.
    async fn verify_query_code(
        &self,
        case_number: &str,
        query_code: &str,
    ) -> Result<Option<Uuid>, ChannelError>;
}

/// Intake's internal endpoints (`/internal/v1/...`).
pub struct IntakeContacts {
    pub(crate) client: reqwest::Client,
    pub(crate) settings: ContactSettings,
    token: Mutex<Option<(String, Instant)>>,
}

#[derive(Serialize)]
struct ContactsRequest<'a> {
    petition_ids: &'a [Uuid],
}

#[derive(Deserialize)]
struct ContactsAnswer {
    contacts: Vec<Contact>,
}

#[derive(Serialize)]
struct VerifyRequest<'a> {
    case_number: &'a str,
    query_code: &'a str,
}

#[derive(Deserialize)]
struct VerifyAnswer {
    petition_id: Uuid,
}

#[derive(Deserialize)]
struct ServiceToken {
    access_token: String,
    expires_in: i64,
}

impl IntakeContacts {
    pub fn new(settings: ContactSettings) -> Result<IntakeContacts, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms))
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(IntakeContacts {
            client,
            settings,
            token: Mutex::new(None),
        })
    }

    /// The service token: the configured one, or the console's (cached until shortly before it
    /// expires).
    pub(crate) async fn token(&self) -> Result<String, ChannelError> {
        if let Some(t) = &self.settings.token {
            return Ok(t.expose_secret().to_string());
        }
        let mut cached = self.token.lock().await;
        if let Some((t, until)) = cached.as_ref() {
            if Instant::now() < *until {
                return Ok(t.clone());
            }
        }
        let secret = self
            .settings
            .client_secret
            .as_ref()
            .ok_or(ChannelError::Unconfigured("服务身份凭据"))?;
        let answer: ServiceToken = self
            .client
            .post(format!(
                "{}/api/v1/auth/service-token",
                self.settings.console_url
            ))
            .json(&serde_json::json!({
                "client_id": self.settings.client_id,
                "client_secret": secret.expose_secret(),
            }))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| ChannelError::Failed(format!("服务令牌获取失败：{}", e.without_url())))?
            .json()
            .await
            .map_err(|e| ChannelError::Failed(format!("服务令牌应答无效：{}", e.without_url())))?;
        let ttl = Duration::from_secs(answer.expires_in.max(60) as u64 - 30);
        *cached = Some((answer.access_token.clone(), Instant::now() + ttl));
        Ok(answer.access_token)
    }
}

#[async_trait::async_trait]
impl ContactSource for IntakeContacts {
    #[tracing::instrument(skip_all, fields(petitions = petition_ids.len()))]
    async fn contacts(
        &self,
        petition_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Contact>, ChannelError> {
        if petition_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let token = self.token().await?;
        let answer: ContactsAnswer = self
            .client
            .post(format!(
                "{}/internal/v1/petitions/contacts",
                self.settings.intake_url
            ))
            .bearer_auth(token)
            .json(&ContactsRequest { petition_ids })
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| ChannelError::Failed(format!("联系方式查询失败：{}", e.without_url())))?
            .json()
            .await
            .map_err(|e| ChannelError::Failed(format!("联系方式应答无效：{}", e.without_url())))?;
        Ok(answer
            .contacts
            .into_iter()
            .map(|c| (c.petition_id, c))
            .collect())
    }

    #[tracing::instrument(skip_all)]
    async fn verify_query_code(
        &self,
        case_number: &str,
        query_code: &str,
    ) -> Result<Option<Uuid>, ChannelError> {
        let token = self.token().await?;
        let response = self
            .client
            .post(format!(
                "{}/internal/v1/query-codes/verify",
                self.settings.intake_url
            ))
            .bearer_auth(token)
            .json(&VerifyRequest {
                case_number,
                query_code,
            })
            .send()
            .await
            .map_err(|e| ChannelError::Failed(format!("查询码核验失败：{}", e.without_url())))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let answer: VerifyAnswer = response
            .error_for_status()
            .map_err(|e| ChannelError::Failed(format!("查询码核验失败：{}", e.without_url())))?
            .json()
            .await
            .map_err(|e| {
                ChannelError::Failed(format!("查询码核验应答无效：{}", e.without_url()))
            })?;
        Ok(Some(answer.petition_id))
    }
}
