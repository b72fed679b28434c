//! AMQP headers carried with every event: correlation id (关联标识) and friends.

use lapin::types::{AMQPValue, FieldTable, LongString};
use xinfang_contracts::Envelope;

pub const CORRELATION_ID: &str = "x-correlation-id";
pub const CAUSATION_ID: &str = "x-causation-id";
pub const CASE_ID: &str = "x-case-id";
pub const EVENT_TYPE: &str = "x-event-type";

pub fn for_envelope(envelope: &Envelope) -> FieldTable {
    let mut t = FieldTable::default();
    t.insert(
        CORRELATION_ID.into(),
        text(&envelope.correlation_id.to_string()),
    );
    if let Some(c) = envelope.causation_id {
        t.insert(CAUSATION_ID.into(), text(&c.to_string()));
    }
    if let Some(c) = envelope.case_id {
        t.insert(CASE_ID.into(), text(&c.to_string()));
    }
    t.insert(EVENT_TYPE.into(), text(&envelope.routing_key()));
    t
}

pub fn text(s: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(s.as_bytes().to_vec()))
}

/// A header as a string, whatever string type the broker used.
pub fn get_str(headers: &Option<FieldTable>, key: &str) -> Option<String> {
    let v = headers.as_ref()?.inner().get(key)?;
    value_as_string(v)
}

/// A header as an integer, whatever integer type the broker used.
pub fn get_i64(headers: &Option<FieldTable>, key: &str) -> Option<i64> {
    let v = headers.as_ref()?.inner().get(key)?;
    value_as_i64(v)
}

pub fn value_as_i64(v: &AMQPValue) -> Option<i64> {
    Some(match v {
        AMQPValue::ShortShortInt(x) => *x as i64,
        AMQPValue::ShortShortUInt(x) => *x as i64,
        AMQPValue::ShortInt(x) => *x as i64,
        AMQPValue::ShortUInt(x) => *x as i64,
        AMQPValue::LongInt(x) => *x as i64,
        AMQPValue::LongUInt(x) => *x as i64,
        AMQPValue::LongLongInt(x) => *x,
        AMQPValue::Timestamp(x) => *x as i64,
        _ => return None,
    })
}

pub fn value_as_string(v: &AMQPValue) -> Option<String> {
    match v {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_string()),
        _ => None,
    }
}

/// Headers as JSON, for storing dead letters where operators can read them.
pub fn to_json(headers: &Option<FieldTable>) -> serde_json::Value {
    match headers {
        None => serde_json::json!({}),
        Some(t) => table_to_json(t),
    }
}

fn table_to_json(t: &FieldTable) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (k, v) in t.inner() {
        map.insert(k.as_str().to_string(), value_to_json(v));
    }
    serde_json::Value::Object(map)
}

fn value_to_json(v: &AMQPValue) -> serde_json::Value {
    if let Some(i) = value_as_i64(v) {
        return serde_json::json!(i);
    }
    if let Some(s) = value_as_string(v) {
        return serde_json::json!(s);
    }
    match v {
        AMQPValue::Boolean(b) => serde_json::json!(b),
        AMQPValue::FieldTable(t) => table_to_json(t),
        AMQPValue::FieldArray(a) => {
            serde_json::Value::Array(a.as_slice().iter().map(value_to_json).collect())
        }
        AMQPValue::Float(f) => serde_json::json!(f),
        AMQPValue::Double(f) => serde_json::json!(f),
        other => serde_json::json!(format!("{other:?}")),
    }
}

/// The first `x-death` entry: (reason, queue, count). RabbitMQ puts the most recent death first.
pub fn first_death(headers: &Option<FieldTable>) -> Option<(String, Option<String>, i64)> {
    let deaths = headers.as_ref()?.inner().get("x-death")?;
    let AMQPValue::FieldArray(arr) = deaths else {
        return None;
    };
    let AMQPValue::FieldTable(first) = arr.as_slice().first()? else {
        return None;
    };
    let reason = first
        .inner()
        .get("reason")
        .and_then(value_as_string)
        .unwrap_or_else(|| "unknown".into());
    let queue = first.inner().get("queue").and_then(value_as_string);
    let count = first
        .inner()
        .get("count")
        .and_then(value_as_i64)
        .unwrap_or(1);
    Some((reason, queue, count))
}
