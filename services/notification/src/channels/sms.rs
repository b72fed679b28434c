//! SMS through one generic JSON gateway (短信网关): URL, credentials and signing secret from
//! configuration (`notification.sms`).

use std::time::Duration;

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;
use uuid::Uuid;

use super::ChannelError;
use crate::configuration::SmsSettings;

pub struct SmsGateway {
    client: reqwest::Client,
    settings: SmsSettings,
}

impl SmsGateway {
    pub fn new(settings: SmsSettings) -> Result<SmsGateway, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms))
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(SmsGateway { client, settings })
    }

    /// The body's signature: `hex(HMAC-SHA256(secret, timestamp + "." + body))`.
    pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
            return String::new();
        };
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Send one message; `message_id` (the delivery's id) lets the gateway drop a duplicate. The
    /// gateway's receipt id comes back when it gives one.
    pub async fn send(
        &self,
        message_id: Uuid,
        to: &str,
        text: &str,
    ) -> Result<Option<String>, ChannelError> {
        let body = serde_json::to_vec(&serde_json::json!({
            "message_id": message_id,
            "to": to,
            "text": text,
            "sender": self.settings.sender,
        }))
        .map_err(|e| ChannelError::Failed(e.to_string()))?;
        let timestamp = chrono::Utc::now().timestamp();
        let signature = Self::sign(
            self.settings.signing_secret.expose_secret().as_bytes(),
            timestamp,
            &body,
        );
        let response = self
            .client
            .post(&self.settings.url)
            .bearer_auth(self.settings.api_key.expose_secret())
            .header("Content-Type", "application/json")
            .header("X-Timestamp", timestamp.to_string())
            .header("X-Signature", signature)
            .header("Idempotency-Key", message_id.to_string())
            .body(body)
            .send()
            .await
            .map_err(|e| ChannelError::Failed(format!("短信网关无应答：{}", e.without_url())))?;
        let status = response.status();
        if !status.is_success() {
            return Err(ChannelError::Failed(format!(
                "短信网关拒绝：HTTP {}",
                status.as_u16()
            )));
        }
        let receipt = response
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_string));
        Ok(receipt)
    }
}
