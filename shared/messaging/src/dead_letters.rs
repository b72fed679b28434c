//! Dead letters (死信): drained from the service's dead-letter queue into its database, where
//! operators list them and replay them.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use lapin::{
    message::Delivery,
    types::{AMQPValue, FieldTable},
};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::{
    broker::{Broker, OutboundMessage},
    consumer::{DeliveryProcessor, Outcome},
    headers,
};

/// Stores each dead letter once (keyed by message id and death count) and acks it.
pub struct DeadLetterStore {
    pub pool: PgPool,
}

pub fn message_id_of(delivery: &Delivery) -> String {
    delivery
        .properties
        .message_id()
        .as_ref()
        .map(|m| m.to_string())
        .unwrap_or_else(|| format!("sha256:{}", hex::encode(Sha256::digest(&delivery.data))))
}

#[async_trait::async_trait]
impl DeliveryProcessor for DeadLetterStore {
    async fn process(&self, delivery: &Delivery) -> Outcome {
        let message_id = message_id_of(delivery);
        let (reason, queue, count) = headers::first_death(delivery.properties.headers())
            .unwrap_or_else(|| ("unknown".into(), None, 1));
        let r = sqlx::query(
            "INSERT INTO dead_letters (message_id, death_count, routing_key, source_queue, reason, detail, payload, headers)
             VALUES ($1, $2, $3, $4, $5, (SELECT reason FROM rejection_notes WHERE message_id = $1), $6, $7)
             ON CONFLICT (message_id, death_count) DO NOTHING",
        )
        .bind(&message_id)
        .bind(count)
        .bind(delivery.routing_key.as_str())
        .bind(queue)
        .bind(&reason)
        .bind(&delivery.data)
        .bind(headers::to_json(delivery.properties.headers()))
        .execute(&self.pool)
        .await;
        match r {
            Ok(_) => {
                tracing::warn!(message_id = %message_id, reason = %reason, routing_key = %delivery.routing_key, "dead letter stored");
                Outcome::Applied
            }
            Err(e) if crate::availability::is_unavailable(&e) => {
                Outcome::Unavailable(e.to_string())
            }
            Err(e) => Outcome::Retry(format!("could not store dead letter: {e}")),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DeadLetter {
    pub id: i64,
    pub message_id: String,
    pub death_count: i64,
    pub routing_key: String,
    pub source_queue: Option<String>,
    pub reason: String,
    pub detail: Option<String>,
    pub received_at: DateTime<Utc>,
    pub replayed_at: Option<DateTime<Utc>>,
    pub payload_preview: String,
}

/// A stored dead letter as `list` reads it.
#[derive(sqlx::FromRow)]
struct DeadLetterRow {
    id: i64,
    message_id: String,
    death_count: i64,
    routing_key: String,
    source_queue: Option<String>,
    reason: String,
    detail: Option<String>,
    received_at: DateTime<Utc>,
    replayed_at: Option<DateTime<Utc>>,
    payload: Vec<u8>,
}

impl From<DeadLetterRow> for DeadLetter {
    fn from(r: DeadLetterRow) -> DeadLetter {
        let mut preview = String::from_utf8_lossy(&r.payload).into_owned();
        if preview.chars().count() > 200 {
            preview = preview.chars().take(200).collect::<String>() + "…";
        }
        DeadLetter {
            id: r.id,
            message_id: r.message_id,
            death_count: r.death_count,
            routing_key: r.routing_key,
            source_queue: r.source_queue,
            reason: r.reason,
            detail: r.detail,
            received_at: r.received_at,
            replayed_at: r.replayed_at,
            payload_preview: preview,
        }
    }
}

pub async fn list(pool: &PgPool, include_replayed: bool) -> Result<Vec<DeadLetter>, sqlx::Error> {
    let rows = sqlx::query_as::<_, DeadLetterRow>(
        "SELECT id, message_id, death_count, routing_key, source_queue, reason, detail, received_at, replayed_at, payload
         FROM dead_letters WHERE $1 OR replayed_at IS NULL ORDER BY id",
    )
    .bind(include_replayed)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(DeadLetter::from).collect())
}

pub async fn count_unreplayed(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL")
        .fetch_one(pool)
        .await
}

/// A stored dead letter as `replay` reads it.
#[derive(sqlx::FromRow)]
struct ReplayRow {
    id: i64,
    message_id: String,
    routing_key: String,
    payload: Vec<u8>,
    headers: serde_json::Value,
}

/// Publish stored dead letters back onto the service's own queue (through the default exchange),
/// with confirms, and mark them replayed. `ids = None` replays every unreplayed one.
pub async fn replay(
    pool: &PgPool,
    broker: &Arc<Broker>,
    ids: Option<&[i64]>,
) -> anyhow::Result<usize> {
    let rows = sqlx::query_as::<_, ReplayRow>(
        "SELECT id, message_id, routing_key, payload, headers FROM dead_letters
         WHERE replayed_at IS NULL AND ($1::BIGINT[] IS NULL OR id = ANY($1)) ORDER BY id",
    )
    .bind(ids.map(|s| s.to_vec()))
    .fetch_all(pool)
    .await?;
    let queue = broker.topology.queue(broker.service);
    let mut n = 0;
    for r in rows {
        let id = r.id;
        let headers_json = r.headers;
        let msg = OutboundMessage {
            exchange: String::new(),
            routing_key: queue.clone(),
            message_id: r.message_id,
            payload: r.payload,
            headers: json_to_table(&headers_json),
            kind: r.routing_key,
            correlation_id: headers_json
                .get(headers::CORRELATION_ID)
                .and_then(|v| v.as_str())
                .map(str::to_string),
        };
        let result = broker
            .publish_batch(std::slice::from_ref(&msg))
            .await
            .remove(0);
        result.map_err(|e| anyhow::anyhow!("replay of dead letter {id} failed: {e}"))?;
        sqlx::query("UPDATE dead_letters SET replayed_at = now() WHERE id = $1")
            .bind(id)
            .execute(pool)
            .await?;
        n += 1;
    }
    Ok(n)
}

/// Rebuild the headers that matter for redelivery (our own `x-` headers; `x-death` is kept so that a
/// second death counts up instead of colliding with the first).
fn json_to_table(v: &serde_json::Value) -> FieldTable {
    let mut t = FieldTable::default();
    if let Some(map) = v.as_object() {
        for (k, v) in map {
            if let Some(val) = json_to_amqp(v) {
                t.insert(k.clone().into(), val);
            }
        }
    }
    t
}

fn json_to_amqp(v: &serde_json::Value) -> Option<AMQPValue> {
    Some(match v {
        serde_json::Value::String(s) => headers::text(s),
        serde_json::Value::Number(n) => AMQPValue::LongLongInt(n.as_i64()?),
        serde_json::Value::Bool(b) => AMQPValue::Boolean(*b),
        serde_json::Value::Array(a) => {
            let mut arr = lapin::types::FieldArray::default();
            for x in a {
                if let Some(v) = json_to_amqp(x) {
                    arr.push(v);
                }
            }
            AMQPValue::FieldArray(arr)
        }
        serde_json::Value::Object(_) => AMQPValue::FieldTable(json_to_table(v)),
        serde_json::Value::Null => return None,
    })
}
