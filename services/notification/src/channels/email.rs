//! E-mail over SMTP with lettre (TLS or STARTTLS and authentication from `notification.smtp`),
//! the document attached as its PDF.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::ChannelError;
use crate::configuration::SmtpSettings;

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(settings: &SmtpSettings) -> Result<Mailer, String> {
        let builder = match settings.tls.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)
                .map_err(|e| e.to_string())?,
            "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                .map_err(|e| e.to_string())?,
            "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host),
            other => return Err(format!("notification.smtp.tls: unknown mode {other}")),
        };
        let mut builder = builder
            .port(settings.port)
            .timeout(Some(Duration::from_secs(settings.timeout_secs)));
        if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_string(),
            ));
        }
        let from = settings
            .from
            .parse::<Mailbox>()
            .map_err(|e| format!("notification.smtp.from: {e}"))?;
        Ok(Mailer {
            transport: builder.build(),
            from,
        })
    }

    /// Send one message with the document attached; the server's answer is the receipt.
    pub async fn send(
        &self,
        to: &str,
        subject: &str,
        text: &str,
        attachment: Option<(String, Vec<u8>)>,
    ) -> Result<String, ChannelError> {
        let to = to
            .parse::<Mailbox>()
            .map_err(|_| ChannelError::NoAddress("有效电子邮件"))?;
        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(text.to_string()));
        if let Some((name, pdf)) = attachment {
            let content_type = ContentType::parse("application/pdf")
                .map_err(|e| ChannelError::Failed(e.to_string()))?;
            parts = parts.singlepart(Attachment::new(name).body(pdf, content_type));
        }
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .multipart(parts)
            .map_err(|e| ChannelError::Failed(format!("邮件构造失败：{e}")))?;
        let response = self
            .transport
            .send(message)
            .await
            .map_err(|e| ChannelError::Failed(format!("邮件服务器拒绝或无应答：{e}")))?;
        Ok(format!(
            "SMTP {}",
            response.message().collect::<Vec<_>>().join(" ")
        ))
    }
}
