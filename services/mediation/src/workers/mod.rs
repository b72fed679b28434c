//! Mediation's background work: the performance watch (履行监督).

pub mod performance;
