//! The dispatcher (送达任务): sends the due SMS and e-mail deliveries, at most once each.
//!
//! One round: expire deliveries left `sending` by a crash (→ `failed`, for a person); claim due
//! deliveries (`sending`, committed before anything is sent); fetch the petitioners' contact details
//! from intake with one call (in memory for this round only); send with bounded concurrency; then
//! one transaction records every outcome, serves the notices (送达) and enqueues the delivery
//! events. A failure is retried with doubling backoff until `max_attempts`, then `failed` with its
//! event, visible to operators who may retry it by hand.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use futures::StreamExt;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use uuid::Uuid;
use xinfang_contracts::Envelope;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{audit::AuditEntry, WorkerContext};

use crate::channels::{
    contacts::Contact, contacts::ContactSource, email::Mailer, sms::SmsGateway, ChannelError,
};
use crate::configuration::DeliverySettings;
use crate::domain::{delivery, Notice};
use crate::events::publish;
use crate::pdf::FontBook;
use crate::store;

/// What the dispatcher sends with.
pub struct Dispatcher {
    pub pool: PgPool,
    pub waker: OutboxWaker,
    pub sms: Option<Arc<SmsGateway>>,
    pub mailer: Option<Arc<Mailer>>,
    pub contacts: Arc<dyn ContactSource>,
    pub fonts: Option<FontBook>,
    pub settings: DeliverySettings,
}

/// The outcome of one claimed delivery.
enum Outcome {
    /// Sent on `channel` (an SMS delivery goes by e-mail when the petitioner prefers it).
    Sent {
        proof: String,
        channel: &'static str,
    },
    Failed(ChannelError),
}

/// What a round did (for tests and the benchmark).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

impl Round {
    pub fn claimed(&self) -> usize {
        self.sent + self.retrying + self.failed
    }
}

/// One notice served by one delivery (送达生效), to record and announce.
pub struct Served<'a> {
    pub notice: &'a Notice,
    pub channel: &'a str,
    pub on: NaiveDate,
    pub proof: Option<String>,
}

/// Mark the notices served (the first time only) and enqueue one `notice.delivered` event per
/// notice newly served, with its audit record.
pub async fn record_served(
    uow: &mut UnitOfWork<'_>,
    served: &[Served<'_>],
) -> Result<usize, sqlx::Error> {
    let ids: Vec<Uuid> = served.iter().map(|s| s.notice.id).collect();
    let newly = store::deliveries::serve_notices(uow.conn(), &ids).await?;
    let mut envelopes: Vec<Envelope> = Vec::new();
    let mut audits = Vec::new();
    for s in served {
        if !newly.contains(&s.notice.id)
            || envelopes
                .iter()
                .any(|e| e.payload["notice_id"] == s.notice.id.to_string())
        {
            continue;
        }
        envelopes.push(publish::delivered(
            s.notice,
            s.channel,
            s.on,
            s.proof.clone(),
        ));
        audits.push(AuditEntry::system(
            "notification",
            "notice.delivered",
            Some(s.notice.case_id),
            serde_json::json!({ "notice_id": s.notice.id, "channel": s.channel, "delivered_on": s.on }),
        ));
    }
    let refs: Vec<&Envelope> = envelopes.iter().collect();
    uow.enqueue_many(&refs).await?;
    xinfang_platform::audit::record_many(uow.conn(), &audits).await?;
    Ok(envelopes.len())
}

impl Dispatcher {
    /// Run rounds until stopped: at once again while there is work, else after the poll interval.
    pub async fn run(self, ctx: WorkerContext) {
        let idle = Duration::from_millis(self.settings.poll_interval_ms);
        loop {
            let wait = match self.round().await {
                Ok(r) if r.claimed() > 0 => Duration::ZERO,
                Ok(_) => idle,
                Err(e) => {
                    tracing::warn!(error = %e, "delivery round failed");
                    idle
                }
            };
            tokio::select! {
                _ = ctx.shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One round (see the module's documentation).
    #[tracing::instrument(skip_all)]
    pub async fn round(&self) -> Result<Round, sqlx::Error> {
        let mut round = Round::default();
        let expired =
            store::deliveries::expire_sending(&self.pool, self.settings.sending_lease_secs).await?;
        let claimed = store::deliveries::claim_due(&self.pool, self.settings.batch_size).await?;
        if claimed.is_empty() && expired.is_empty() {
            return Ok(round);
        }
        let mut notice_ids: Vec<Uuid> = claimed
            .iter()
            .chain(&expired)
            .map(|c| c.notice_id)
            .collect();
        notice_ids.sort();
        notice_ids.dedup();
        let notices: HashMap<Uuid, Notice> = {
            let mut conn = self.pool.acquire().await?;
            store::notices::many(&mut conn, &notice_ids)
                .await?
                .into_iter()
                .map(|n| (n.id, n))
                .collect()
        };
        // Contact details for this round only (one call to intake); dropped at the end of it.
        let mut petitions: Vec<Uuid> = claimed
            .iter()
            .filter_map(|c| notices.get(&c.notice_id))
            .filter(|n| n.recipient_kind == "petitioner")
            .map(|n| n.case_id)
            .collect();
        petitions.sort();
        petitions.dedup();
        let contacts = self.contacts.contacts(&petitions).await;
        let mut sends = Vec::with_capacity(claimed.len());
        for c in &claimed {
            let notice = notices.get(&c.notice_id);
            let contact = match (&contacts, notice) {
                (Ok(map), Some(n)) => Ok(map.get(&n.case_id)),
                (Err(e), _) => Err(e.clone()),
                (Ok(_), None) => Ok(None),
            };
            sends.push(self.attempt(c, notice, contact));
        }
        let outcomes: Vec<(Uuid, Outcome)> = futures::stream::iter(sends)
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect()
            .await;
        drop(contacts);

        let today = xinfang_platform::time::today_in_china();
        let by_id: HashMap<Uuid, &store::deliveries::Claimed> =
            claimed.iter().map(|c| (c.id, c)).collect();
        let (mut sent_ids, mut proofs, mut channels) = (Vec::new(), Vec::new(), Vec::new());
        let (mut failed_ids, mut errors, mut next) = (Vec::new(), Vec::new(), Vec::new());
        let mut served: Vec<Served<'_>> = Vec::new();
        let mut failures: Vec<(Uuid, String, i32, String)> = Vec::new();
        for (id, outcome) in &outcomes {
            let Some(c) = by_id.get(id) else { continue };
            match outcome {
                Outcome::Sent { proof, channel } => {
                    round.sent += 1;
                    sent_ids.push(*id);
                    proofs.push(proof.clone());
                    channels.push(channel.to_string());
                    if let Some(n) = notices.get(&c.notice_id) {
                        if delivery::serves(channel, n.needs_proof) {
                            served.push(Served {
                                notice: n,
                                channel,
                                on: today,
                                proof: Some(proof.clone()),
                            });
                        }
                    }
                }
                Outcome::Failed(e) => {
                    failed_ids.push(*id);
                    errors.push(e.to_string());
                    if e.retryable() && c.attempts < self.settings.max_attempts {
                        round.retrying += 1;
                        let wait = delivery::backoff(
                            c.attempts,
                            Duration::from_millis(self.settings.backoff_base_ms),
                            Duration::from_millis(self.settings.backoff_max_ms),
                        );
                        next.push(Some(
                            Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default(),
                        ));
                        tracing::info!(delivery = %id, channel = %c.channel, attempts = c.attempts, error = %e, "delivery will be retried");
                    } else {
                        round.failed += 1;
                        next.push(None);
                        failures.push((c.notice_id, c.channel.clone(), c.attempts, e.to_string()));
                        tracing::warn!(delivery = %id, channel = %c.channel, attempts = c.attempts, error = %e, "delivery failed");
                    }
                }
            }
        }
        for e in &expired {
            round.failed += 1;
            failures.push((
                e.notice_id,
                e.channel.clone(),
                e.attempts,
                "发送结果未知（发送中断）".into(),
            ));
        }

        let mut uow = UnitOfWork::begin(&self.pool, &self.waker).await?;
        store::deliveries::mark_sent(uow.conn(), &sent_ids, &proofs, &channels, today).await?;
        store::deliveries::mark_failed(uow.conn(), &failed_ids, &errors, &next).await?;
        record_served(&mut uow, &served).await?;
        let mut envelopes = Vec::new();
        let mut audits = Vec::new();
        for (notice_id, channel, attempts, reason) in &failures {
            if let Some(n) = notices.get(notice_id) {
                envelopes.push(publish::delivery_failed(n, channel, *attempts, reason));
                audits.push(AuditEntry::system(
                    "notification",
                    "delivery.failed",
                    Some(n.case_id),
                    serde_json::json!({ "notice_id": n.id, "channel": channel, "attempts": attempts, "reason": reason }),
                ));
            }
        }
        let refs: Vec<&Envelope> = envelopes.iter().collect();
        uow.enqueue_many(&refs).await?;
        xinfang_platform::audit::record_many(uow.conn(), &audits).await?;
        uow.commit().await?;
        Ok(round)
    }

    async fn attempt(
        &self,
        c: &store::deliveries::Claimed,
        notice: Option<&Notice>,
        contact: Result<Option<&Contact>, ChannelError>,
    ) -> (Uuid, Outcome) {
        let outcome = match (notice, contact) {
            (None, _) => Outcome::Failed(ChannelError::Failed("通知不存在".into())),
            (_, Err(e)) => Outcome::Failed(e),
            (Some(n), Ok(contact)) => self.send(c.id, &c.channel, n, contact).await,
        };
        (c.id, outcome)
    }

    /// Send one delivery on its channel.
    async fn send(
        &self,
        id: Uuid,
        channel: &str,
        n: &Notice,
        contact: Option<&Contact>,
    ) -> Outcome {
        // The electronic channel follows the petitioner's stated preference (送达方式偏好): e-mail
        // when they prefer it and gave an address, or gave an address and no phone; else SMS.
        let prefers_email = contact.is_some_and(|c| {
            c.email.is_some()
                && (c.preferred_channel.as_deref() == Some("email") || c.phone.is_none())
        }) && self.mailer.is_some();
        let (result, used) = match channel {
            "email" => (self.send_email(n, contact).await, "email"),
            "sms" if prefers_email => (self.send_email(n, contact).await, "email"),
            "sms" => (self.send_sms(id, n, contact).await, "sms"),
            _ => (
                Err(ChannelError::Failed(format!(
                    "渠道 {channel} 不由发送任务处理"
                ))),
                "sms",
            ),
        };
        match result {
            Ok(proof) => Outcome::Sent {
                proof,
                channel: used,
            },
            Err(e) => Outcome::Failed(e),
        }
    }

    async fn send_sms(
        &self,
        id: Uuid,
        n: &Notice,
        contact: Option<&Contact>,
    ) -> Result<String, ChannelError> {
        let sms = self
            .sms
            .as_ref()
            .ok_or(ChannelError::Unconfigured("短信网关"))?;
        let phone = contact
            .and_then(|c| c.phone.as_ref())
            .ok_or(ChannelError::NoAddress("手机号码"))?;
        let receipt = sms
            .send(
                id,
                phone.expose_secret(),
                &delivery::sms_text(&n.title, &n.case_number),
            )
            .await?;
        Ok(match receipt {
            Some(r) => format!("短信网关回执 {r}"),
            None => "短信网关已受理".to_string(),
        })
    }

    async fn send_email(
        &self,
        n: &Notice,
        contact: Option<&Contact>,
    ) -> Result<String, ChannelError> {
        let mailer = self
            .mailer
            .as_ref()
            .ok_or(ChannelError::Unconfigured("邮件服务器"))?;
        let to = contact
            .and_then(|c| c.email.as_ref())
            .ok_or(ChannelError::NoAddress("电子邮件"))?;
        let attachment = match &self.fonts {
            Some(fonts) => {
                let pdf = fonts
                    .render_blocking(n.document())
                    .await
                    .map_err(|e| ChannelError::Failed(e.to_string()))?;
                Some((format!("{}-{}.pdf", n.case_number, n.kind), pdf))
            }
            None => None,
        };
        let text = format!(
            "{}\n\n{}\n\n{}\n{}",
            n.addressee,
            n.body,
            n.organ_name,
            delivery_date_line(n)
        );
        mailer
            .send(
                to.expose_secret(),
                &format!("{}（{}）", n.title, n.case_number),
                &text,
                attachment,
            )
            .await
    }
}

fn delivery_date_line(n: &Notice) -> String {
    crate::domain::template::date_zh(n.dated_on)
}
