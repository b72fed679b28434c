//! Exchange and queue names and their idempotent declaration (拓扑).

use lapin::{
    options::{
        ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
        QueueDeleteOptions,
    },
    protocol::{AMQPErrorKind, AMQPSoftError},
    types::{AMQPValue, FieldTable, LongString, ShortString},
    Channel, ExchangeKind,
};
use xinfang_contracts::{topology::bindings, Producer};

/// Names of the platform's exchanges and queues under one prefix.
#[derive(Debug, Clone)]
pub struct Topology {
    pub prefix: String,
    pub delivery_limit: u32,
    /// Each service's queue is declared with `x-single-active-consumer` (单一活跃消费者): of the
    /// replicas consuming it, the broker delivers to one at a time and hands over to the next when
    /// that one's channel closes. See [`crate::BrokerSettings::single_active_consumer`].
    pub single_active_consumer: bool,
}

impl Topology {
    /// The topology with the default consumer mode (single active consumer).
    pub fn new(prefix: &str, delivery_limit: u32) -> Topology {
        Topology {
            prefix: prefix.to_string(),
            delivery_limit,
            single_active_consumer: crate::settings::SINGLE_ACTIVE_CONSUMER_BY_DEFAULT,
        }
    }

    /// The same names with the given consumer mode.
    pub fn with_single_active_consumer(mut self, single_active_consumer: bool) -> Topology {
        self.single_active_consumer = single_active_consumer;
        self
    }

    /// The durable topic exchange of domain events.
    pub fn exchange(&self) -> String {
        format!("{}xinfang.events", self.prefix)
    }
    /// `<service>.events`: the service's quorum queue.
    pub fn queue(&self, service: Producer) -> String {
        format!("{}{}.events", self.prefix, service.as_str())
    }
    pub fn dead_letter_exchange(&self, service: Producer) -> String {
        format!("{}{}.dlx", self.prefix, service.as_str())
    }
    pub fn dead_letter_queue(&self, service: Producer) -> String {
        format!("{}{}.dlq", self.prefix, service.as_str())
    }

    /// Declare everything for every service. Idempotent; every service calls it at start-up and after
    /// each reconnection, so the start-up order of services never makes an event unroutable.
    pub async fn declare(&self, channel: &Channel) -> lapin::Result<()> {
        channel
            .exchange_declare(
                self.exchange().into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await?;
        for service in Producer::ALL {
            self.declare_service(channel, service).await?;
        }
        Ok(())
    }

    async fn declare_service(&self, channel: &Channel, service: Producer) -> lapin::Result<()> {
        let dlx = self.dead_letter_exchange(service);
        let dlq = self.dead_letter_queue(service);
        let queue = self.queue(service);
        channel
            .exchange_declare(
                dlx.clone().into(),
                ExchangeKind::Fanout,
                ExchangeDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await?;
        let mut dlq_args = FieldTable::default();
        dlq_args.insert("x-queue-type".into(), long_string("quorum"));
        channel
            .queue_declare(
                dlq.clone().into(),
                QueueDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                dlq_args,
            )
            .await?;
        channel
            .queue_bind(
                dlq.into(),
                dlx.clone().into(),
                "".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;

        let mut args = FieldTable::default();
        args.insert("x-queue-type".into(), long_string("quorum"));
        args.insert(
            "x-delivery-limit".into(),
            AMQPValue::LongInt(self.delivery_limit as i32),
        );
        args.insert("x-dead-letter-exchange".into(), long_string(&dlx));
        // At-least-once dead-lettering needs both of these (RabbitMQ >= 3.10, quorum queues).
        args.insert(
            "x-dead-letter-strategy".into(),
            long_string("at-least-once"),
        );
        args.insert("x-overflow".into(), long_string("reject-publish"));
        if self.single_active_consumer {
            args.insert("x-single-active-consumer".into(), AMQPValue::Boolean(true));
        }
        channel
            .queue_declare(
                queue.clone().into(),
                QueueDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                args,
            )
            .await?;
        for key in bindings(service) {
            channel
                .queue_bind(
                    queue.clone().into(),
                    self.exchange().into(),
                    ShortString::from(*key),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        Ok(())
    }

    /// Whether `error` is the broker's refusal to redeclare a queue with other arguments than it has
    /// (406 PRECONDITION_FAILED): a queue declared by an earlier version in the other consumer mode.
    pub fn is_mismatch(error: &lapin::Error) -> bool {
        matches!(
            error.kind(),
            lapin::ErrorKind::ProtocolError(e)
                if matches!(e.kind(), AMQPErrorKind::Soft(AMQPSoftError::PRECONDITIONFAILED))
        )
    }

    /// Delete everything under this prefix (tests clean up with it).
    pub async fn delete(&self, channel: &Channel) -> lapin::Result<()> {
        for service in Producer::ALL {
            for q in [self.queue(service), self.dead_letter_queue(service)] {
                channel
                    .queue_delete(q.into(), QueueDeleteOptions::default())
                    .await?;
            }
            channel
                .exchange_delete(
                    self.dead_letter_exchange(service).into(),
                    ExchangeDeleteOptions::default(),
                )
                .await?;
        }
        channel
            .exchange_delete(self.exchange().into(), ExchangeDeleteOptions::default())
            .await?;
        Ok(())
    }
}

fn long_string(s: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(s.as_bytes().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_prefix() {
        let t = Topology::new("t1.", 5);
        assert_eq!(t.exchange(), "t1.xinfang.events");
        assert_eq!(t.queue(Producer::Intake), "t1.intake.events");
        assert_eq!(
            t.dead_letter_queue(Producer::AdministrativeReview),
            "t1.administrative-review.dlq"
        );
    }
}
