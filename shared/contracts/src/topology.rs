//! Which service listens to which routing keys (订阅关系).
//!
//! Every service declares the whole platform topology at start-up (idempotently), so that no event
//! is ever unroutable because its consumer started later. Supervision binds `#`: it keeps the case
//! timeline of every event, which also guarantees every published event has at least one queue.

use crate::envelope::Producer;

/// Binding keys of the queue of `service`.
pub fn bindings(service: Producer) -> &'static [&'static str] {
    match service {
        Producer::Intake => &["administrative-review.#", "supervision.#", "console.unit.#"],
        Producer::Mediation => &["intake.petition.#", "console.unit.#"],
        Producer::AdministrativeReview => &[
            "intake.petition.#",
            "intake.assignment.#",
            "mediation.#",
            "notification.notice.#",
            "supervision.deadline.#",
            "console.unit.#",
        ],
        Producer::Supervision => &["#"],
        Producer::Notification => &[
            "intake.petition.#",
            "intake.assignment.#",
            "intake.notice.#",
            "mediation.#",
            "administrative-review.#",
            "supervision.#",
            "console.unit.#",
        ],
        // The console consumes nothing: it owns the units directory that the others copy from
        // `console.unit.changed.v1`. Its queue is declared (every service has one) and stays
        // unbound, so it never fills.
        Producer::Console => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_consuming_service_has_bindings_and_supervision_catches_all() {
        for p in Producer::ALL {
            assert_eq!(bindings(p).is_empty(), p == Producer::Console, "{p}");
        }
        assert_eq!(bindings(Producer::Supervision), &["#"]);
        // Every other service keeps a copy of the units directory.
        for p in Producer::ALL {
            if p != Producer::Console && p != Producer::Supervision {
                assert!(bindings(p).contains(&"console.unit.#"), "{p}");
            }
        }
    }
}
