//! The unit of work (工作单元): one transaction, what it wrote to the outbox, and the writes it
//! leaves to the end of a consumer batch (批内延后写入).
//!
//! Every state change runs in one: an HTTP handler begins its own ([`UnitOfWork::begin`]) and
//! commits it ([`UnitOfWork::commit`], which wakes the outbox relay only when an event was
//! enqueued); the consumer builds one over its inbox transaction and hands it to the
//! [`crate::EventHandler`].
//!
//! The mode is explicit because it decides where a repetitive write goes. In a *batch*
//! ([`UnitOfWork::batch`], built by [`crate::InboxProcessor`] for a batch of deliveries), an item
//! offered to [`UnitOfWork::defer_or_keep`] is collected and written, with the batch's other items
//! of its kind in one statement, by the processor's [`crate::BatchWriter`]s at the end of the
//! batch, in the same transaction. *Immediately* ([`UnitOfWork::begin`],
//! [`UnitOfWork::immediate`]: HTTP requests, one event applied alone, the one-by-one fallback of
//! a failed batch) the item is handed back and the caller writes it at once. Collected items live
//! in the unit, so if the batch fails they are dropped with its rolled-back transaction, and the
//! one-by-one retry writes them itself.
//!
//! Events enqueued ([`UnitOfWork::enqueue`]) by a unit that owns its transaction, or by the inbox
//! processor's batch unit, are written into the outbox with one statement just before the commit,
//! in the order they were enqueued: a request or a batch that emits several events pays one round
//! trip for them. A unit over a caller's connection otherwise writes each at once.

use std::any::Any;

use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use xinfang_contracts::Envelope;

use crate::outbox::{Outbox, OutboxWaker};

/// Items collected during one batch, in the order they were deferred; each [`crate::BatchWriter`]
/// takes out the items of its own kind ([`Deferred::take`]).
#[derive(Default)]
pub struct Deferred(Vec<Box<dyn Any + Send>>);

impl Deferred {
    /// Take the items of type `T` out, in order, leaving the others where they were.
    pub fn take<T: Any>(&mut self) -> Vec<T> {
        let mut taken = Vec::new();
        let mut rest = Vec::with_capacity(self.0.len());
        for item in self.0.drain(..) {
            match item.downcast::<T>() {
                Ok(t) => taken.push(*t),
                Err(other) => rest.push(other),
            }
        }
        self.0 = rest;
        taken
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn push<T: Any + Send>(&mut self, item: T) {
        self.0.push(Box::new(item));
    }
}

/// Whether deferrable writes are collected for the end of a batch or written at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Written by the caller at once (HTTP requests, events applied one by one).
    Immediate,
    /// Collected for the [`crate::BatchWriter`]s at the end of a consumer batch.
    Batch,
}

enum Conn<'c> {
    /// A transaction the unit began on a pool and commits itself.
    Owned(Transaction<'static, Postgres>),
    /// The caller's transaction (or savepoint), which the caller commits.
    Borrowed(&'c mut PgConnection),
}

/// One transaction's work: see the [module documentation](self).
pub struct UnitOfWork<'c> {
    conn: Conn<'c>,
    mode: Mode,
    deferred: Deferred,
    /// Events enqueued and not yet written ([`UnitOfWork::enqueue`]).
    outgoing: Vec<Envelope>,
    /// Whether enqueued events wait for [`UnitOfWork::flush_outbox`]: in a unit that owns its
    /// transaction (its commit writes them) and in the inbox processor's batches (it writes them
    /// before its commit); every other unit over a borrowed connection writes them at once, since
    /// nothing would write them later.
    collects_outbox: bool,
    enqueued: bool,
    waker: Option<OutboxWaker>,
}

impl UnitOfWork<'static> {
    /// Begin a transaction on `pool` (immediate mode), for an HTTP handler: [`UnitOfWork::commit`]
    /// commits it and wakes the relay through `waker` if an event was enqueued; dropping the unit
    /// without committing rolls it back.
    pub async fn begin(pool: &PgPool, waker: &OutboxWaker) -> Result<Self, sqlx::Error> {
        Ok(UnitOfWork {
            conn: Conn::Owned(pool.begin().await?),
            mode: Mode::Immediate,
            deferred: Deferred::default(),
            outgoing: Vec::new(),
            collects_outbox: true,
            enqueued: false,
            waker: Some(waker.clone()),
        })
    }
}

impl UnitOfWork<'static> {
    /// Begin a transaction on `pool` (immediate mode) for a caller that wakes the relay itself,
    /// such as a worker that commits several units and wakes it once: it reads
    /// [`UnitOfWork::enqueued`] before [`UnitOfWork::commit`].
    pub async fn begin_without_waker(pool: &PgPool) -> Result<Self, sqlx::Error> {
        Ok(UnitOfWork {
            conn: Conn::Owned(pool.begin().await?),
            mode: Mode::Immediate,
            deferred: Deferred::default(),
            outgoing: Vec::new(),
            collects_outbox: true,
            enqueued: false,
            waker: None,
        })
    }
}

impl<'c> UnitOfWork<'c> {
    /// Work inside the caller's transaction, writing everything at once. The caller commits and,
    /// if [`UnitOfWork::enqueued`], wakes the relay.
    pub fn immediate(conn: &'c mut PgConnection) -> Self {
        UnitOfWork::over(conn, Mode::Immediate)
    }

    /// Work inside the caller's batch transaction, collecting deferrable items for the caller's
    /// writers ([`UnitOfWork::into_deferred`]). [`crate::InboxProcessor`] builds these; a caller
    /// elsewhere that batches its own writes (intake's group registration) may too.
    pub fn batch(conn: &'c mut PgConnection) -> Self {
        UnitOfWork::over(conn, Mode::Batch)
    }

    fn over(conn: &'c mut PgConnection, mode: Mode) -> Self {
        UnitOfWork {
            conn: Conn::Borrowed(conn),
            mode,
            deferred: Deferred::default(),
            outgoing: Vec::new(),
            collects_outbox: false,
            enqueued: false,
            waker: None,
        }
    }

    /// The inbox processor's batch unit: deferrable items collected, and its events written with
    /// one statement when it ends ([`UnitOfWork::finish`]).
    pub(crate) fn consumer_batch(conn: &'c mut PgConnection) -> Self {
        UnitOfWork {
            collects_outbox: true,
            ..UnitOfWork::over(conn, Mode::Batch)
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The transaction's connection, for the caller's own statements.
    pub fn conn(&mut self) -> &mut PgConnection {
        match &mut self.conn {
            Conn::Owned(tx) => tx,
            Conn::Borrowed(conn) => conn,
        }
    }

    /// Write an event into the outbox (发件箱), inside this transaction: in a unit that owns its
    /// transaction and in a consumer batch, with the unit's other events in one statement just
    /// before the commit (in the order they were enqueued); in any other unit at once.
    pub async fn enqueue(&mut self, envelope: &Envelope) -> Result<(), sqlx::Error> {
        self.enqueued = true;
        if self.writes_at_once() {
            Outbox::enqueue(self.conn(), envelope).await
        } else {
            self.outgoing.push(envelope.clone());
            Ok(())
        }
    }

    /// Write several events into the outbox, in order (as [`UnitOfWork::enqueue`]).
    pub async fn enqueue_many(&mut self, envelopes: &[&Envelope]) -> Result<(), sqlx::Error> {
        if envelopes.is_empty() {
            return Ok(());
        }
        self.enqueued = true;
        if self.writes_at_once() {
            Outbox::enqueue_many(self.conn(), envelopes).await
        } else {
            self.outgoing.extend(envelopes.iter().map(|e| (*e).clone()));
            Ok(())
        }
    }

    fn writes_at_once(&self) -> bool {
        !self.collects_outbox
    }

    /// Write the events enqueued so far into the outbox with one statement (done by
    /// [`UnitOfWork::commit`] and by [`UnitOfWork::finish`]).
    async fn flush_outbox(&mut self) -> Result<(), sqlx::Error> {
        if self.outgoing.is_empty() {
            return Ok(());
        }
        let outgoing = std::mem::take(&mut self.outgoing);
        let refs: Vec<&Envelope> = outgoing.iter().collect();
        Outbox::enqueue_many(self.conn(), &refs).await
    }

    /// Whether this unit wrote outbox rows, so the relay has something to publish after the commit.
    pub fn enqueued(&self) -> bool {
        self.enqueued
    }

    /// Offer a write that may wait for the end of the batch: `None` when it was collected (a
    /// [`crate::BatchWriter`] writes it), `Some(item)` when the caller must write it now.
    pub fn defer_or_keep<T: Any + Send>(&mut self, item: T) -> Option<T> {
        match self.mode {
            Mode::Batch => {
                self.deferred.push(item);
                None
            }
            Mode::Immediate => Some(item),
        }
    }

    /// End a unit over a borrowed connection: the items it collected, for the caller's writers.
    pub fn into_deferred(self) -> Deferred {
        debug_assert!(self.outgoing.is_empty());
        self.deferred
    }

    /// End a unit over a borrowed connection, writing its enqueued events first: the items it
    /// collected and whether it enqueued.
    pub(crate) async fn finish(mut self) -> Result<(Deferred, bool), sqlx::Error> {
        self.flush_outbox().await?;
        Ok((self.deferred, self.enqueued))
    }

    /// Commit a unit begun with [`UnitOfWork::begin`] and wake the relay if an event was enqueued.
    /// A unit over a borrowed connection is committed by its owner, so this refuses it.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        self.flush_outbox().await?;
        let UnitOfWork {
            conn,
            enqueued,
            waker,
            ..
        } = self;
        match conn {
            Conn::Owned(tx) => tx.commit().await?,
            Conn::Borrowed(_) => {
                return Err(sqlx::Error::Protocol(
                    "a unit of work over a borrowed connection is committed by its owner".into(),
                ))
            }
        }
        if let (true, Some(waker)) = (enqueued, waker) {
            waker.wake();
        }
        Ok(())
    }
}

impl UnitOfWork<'static> {
    /// Roll back a unit begun with [`UnitOfWork::begin`] (dropping it does too, later).
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self.conn {
            Conn::Owned(tx) => tx.rollback().await,
            Conn::Borrowed(_) => Err(sqlx::Error::Protocol(
                "a unit of work over a borrowed connection is rolled back by its owner".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_removes_only_the_items_of_its_type() {
        let mut items = Deferred::default();
        items.push(1u8);
        items.push("a");
        items.push(2u8);
        items.push(3u16);
        assert_eq!(items.take::<u8>(), vec![1, 2]);
        assert_eq!(items.len(), 2);
        assert_eq!(items.take::<&str>(), vec!["a"]);
        assert_eq!(items.take::<u16>(), vec![3]);
        assert!(items.is_empty());
        assert!(items.take::<u8>().is_empty());
    }
}

#[cfg(test)]
mod database_tests {
    use sqlx::Connection;

    use super::*;

    /// A transaction on the test server with a temporary `outbox` (shadowing none: the
    /// `postgres` database has no outbox), so that enqueueing can be observed and leaves nothing.
    async fn transaction() -> sqlx::PgConnection {
        let mut conn = PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres")
            .await
            .expect("test database");
        sqlx::raw_sql(
            "BEGIN; CREATE TEMP TABLE outbox (event_id uuid, case_id uuid, routing_key text, envelope jsonb) ON COMMIT DROP",
        )
        .execute(&mut conn)
        .await
        .expect("temporary outbox");
        conn
    }

    fn envelope() -> Envelope {
        let event = xinfang_contracts::events::CaseFinalizedV1 {
            petition_id: uuid::Uuid::now_v7(),
            case_number: "140423-2025-000001".into(),
            level: "review".into(),
            final_opinion: None,
            concluded_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 2).expect("date"),
        };
        Envelope::new(&event, Some(event.petition_id), None, None)
    }

    #[tokio::test]
    async fn items_are_collected_only_in_a_batch() {
        let mut conn = transaction().await;
        let mut now = UnitOfWork::immediate(&mut conn);
        assert_eq!(now.defer_or_keep(5u32), Some(5));
        assert!(now.into_deferred().is_empty());

        let mut batch = UnitOfWork::batch(&mut conn);
        assert_eq!(batch.defer_or_keep(6u32), None);
        assert_eq!(batch.defer_or_keep("a"), None);
        assert_eq!(batch.defer_or_keep(7u32), None);
        let mut items = batch.into_deferred();
        assert_eq!(items.take::<u32>(), vec![6, 7]);
        assert_eq!(items.take::<&str>(), vec!["a"]);
        assert!(items.is_empty());
    }

    #[tokio::test]
    async fn only_a_unit_that_enqueues_is_reported() {
        let mut conn = transaction().await;
        let mut uow = UnitOfWork::batch(&mut conn);
        assert!(!uow.enqueued());
        uow.enqueue_many(&[]).await.expect("nothing to enqueue");
        assert!(!uow.enqueued());
        let e = envelope();
        uow.enqueue(&e).await.expect("enqueue");
        assert!(uow.enqueued());

        let mut uow = UnitOfWork::immediate(&mut conn);
        let (a, b) = (envelope(), envelope());
        uow.enqueue_many(&[&a, &b]).await.expect("enqueue many");
        assert!(uow.enqueued());
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
            .fetch_one(uow.conn())
            .await
            .expect("count");
        assert_eq!(rows, 3);
    }

    #[tokio::test]
    async fn a_consumer_batch_writes_its_events_in_order_when_it_ends() {
        let mut conn = transaction().await;
        let (a, b, c) = (envelope(), envelope(), envelope());
        let mut uow = UnitOfWork::consumer_batch(&mut conn);
        uow.enqueue(&a).await.expect("enqueue");
        uow.enqueue_many(&[&b, &c]).await.expect("enqueue many");
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
            .fetch_one(uow.conn())
            .await
            .expect("count");
        assert_eq!(rows, 0, "nothing is written before the batch ends");
        let (_, enqueued) = uow.finish().await.expect("finish");
        assert!(enqueued);
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT event_id FROM outbox ORDER BY ctid")
            .fetch_all(&mut conn)
            .await
            .expect("rows");
        assert_eq!(ids, vec![a.event_id, b.event_id, c.event_id]);
    }

    #[tokio::test]
    async fn a_borrowed_unit_is_not_committed_by_itself() {
        let mut conn = transaction().await;
        assert!(UnitOfWork::immediate(&mut conn).commit().await.is_err());
    }
}
