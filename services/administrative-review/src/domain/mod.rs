//! Administrative review's domain: the ladder's state machine and rules (`ladder`), validated inputs
//! (`inputs`), the organ above (`organs`) and the service's error (`error`). No SQL, no HTTP.

pub mod error;
pub mod inputs;
pub mod ladder;
pub mod organs;

pub use error::ReviewError;
