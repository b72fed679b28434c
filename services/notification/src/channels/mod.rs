//! Delivery channels (送达渠道) and the service calls they need: the SMS gateway (one generic JSON
//! adapter), SMTP (lettre), and intake's internal endpoints for contact details and query-code
//! checks. Contact details are held in memory for one dispatch round only, never stored, logged or
//! published.

pub mod contacts;
pub mod email;
pub mod sms;

/// Why a send did not happen (发送失败原因).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// The channel is not configured here: retried, so that configuring it lets the deliveries go.
    #[error("渠道未配置：{0}")]
    Unconfigured(&'static str),
    /// The recipient has no address on this channel: retrying cannot help.
    #[error("无{0}联系方式")]
    NoAddress(&'static str),
    /// The other side refused or did not answer: retried with backoff.
    #[error("{0}")]
    Failed(String),
}

impl ChannelError {
    /// Whether another attempt may succeed.
    pub fn retryable(&self) -> bool {
        !matches!(self, ChannelError::NoAddress(_))
    }
}
