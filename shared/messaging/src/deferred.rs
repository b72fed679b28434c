//! Writes deferred to the end of a batch (批内延后写入).
//!
//! While [`crate::InboxProcessor`] applies a batch of events in one transaction, a handler's
//! repetitive writes (one audit row per event, say) can be collected and written with one statement
//! at the end of the batch, in the same transaction, by the processor's [`crate::BatchWriter`]s.
//! Outside a batch (one event, an HTTP request, a fallback after a failed batch) [`defer`] hands
//! the item back and the caller writes it at once, as always.
//!
//! The collection is scoped to the task that runs the batch (a tokio task-local), so nothing can
//! leak into another transaction: if the batch fails, its collected items are dropped with its
//! rolled-back transaction, and the one-by-one retry writes them itself.

use std::{
    any::Any,
    future::Future,
    sync::{Arc, Mutex},
};

/// Items collected during one batch, in the order they were deferred.
pub type Deferred = Vec<Box<dyn Any + Send>>;

tokio::task_local! {
    static BATCH: Arc<Mutex<Deferred>>;
}

/// Collect `item` for the end of the current batch; `Err(item)` when no batch is running.
pub fn defer(item: Box<dyn Any + Send>) -> Result<(), Box<dyn Any + Send>> {
    match BATCH.try_with(|b| b.clone()) {
        Ok(batch) => {
            batch.lock().expect("deferred list").push(item);
            Ok(())
        }
        Err(_) => Err(item),
    }
}

/// [`defer`] for a typed item: `None` when it was collected, `Some(item)` (to be written at once)
/// when no batch is running.
pub fn defer_or_keep<T: Any + Send>(item: T) -> Option<T> {
    match defer(Box::new(item)) {
        Ok(()) => None,
        Err(item) => Some(*item.downcast::<T>().expect("the item just offered")),
    }
}

/// Take the items of type `T` out of `deferred`, in order, leaving the others where they were.
pub fn take<T: Any>(deferred: &mut Deferred) -> Vec<T> {
    let mut taken = Vec::new();
    let mut rest = Vec::with_capacity(deferred.len());
    for item in deferred.drain(..) {
        match item.downcast::<T>() {
            Ok(t) => taken.push(*t),
            Err(other) => rest.push(other),
        }
    }
    *deferred = rest;
    taken
}

/// Run `f` as a batch: what it defers is returned beside its result.
pub async fn collecting<F: Future>(f: F) -> (F::Output, Deferred) {
    let batch = Arc::new(Mutex::new(Vec::new()));
    let out = BATCH.scope(batch.clone(), f).await;
    let items = std::mem::take(&mut *batch.lock().expect("deferred list"));
    (out, items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn items_are_collected_only_inside_a_batch() {
        assert!(defer(Box::new(1u8)).is_err());
        let (out, items) = collecting(async {
            defer(Box::new(2u8)).unwrap();
            defer(Box::new(3u8)).unwrap();
            "done"
        })
        .await;
        assert_eq!(out, "done");
        let values: Vec<u8> = items
            .into_iter()
            .map(|b| *b.downcast::<u8>().unwrap())
            .collect();
        assert_eq!(values, vec![2, 3]);
        assert!(defer(Box::new(4u8)).is_err());
    }

    #[tokio::test]
    async fn a_typed_item_is_kept_outside_a_batch_and_collected_inside() {
        assert_eq!(defer_or_keep(5u32), Some(5));
        let (kept, mut items) = collecting(async { defer_or_keep(6u32) }).await;
        assert_eq!(kept, None);
        assert_eq!(take::<u32>(&mut items), vec![6]);
    }

    #[test]
    fn take_removes_only_the_items_of_its_type() {
        let mut items: Deferred = vec![Box::new(1u8), Box::new("a"), Box::new(2u8), Box::new(3u16)];
        assert_eq!(take::<u8>(&mut items), vec![1, 2]);
        assert_eq!(items.len(), 2);
        assert_eq!(take::<&str>(&mut items), vec!["a"]);
        assert_eq!(take::<u16>(&mut items), vec![3]);
        assert!(items.is_empty());
        assert!(take::<u8>(&mut items).is_empty());
    }
}
