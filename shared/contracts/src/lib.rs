//! Event contracts (事件契约) shared by every xinfang service.
//!
//! Every message on the bus is an [`Envelope`] whose `payload` is one typed event. The routing key is
//! `<producer>.<aggregate>.<event>.v<N>`, e.g. `intake.petition.registered.v1`. Fields are added
//! compatibly (consumers ignore unknown fields); a breaking change is a new version, and consumers
//! accept both versions during a rollout.

pub mod archive;
pub mod deadline_changes;
pub mod envelope;
pub mod events;
pub mod intake_legal;
pub mod mediation;
pub mod notices;
pub mod review;
pub mod satisfaction;
pub mod topology;

pub use envelope::{ContractError, Envelope, Event, Producer};
pub use events::DomainEvent;
