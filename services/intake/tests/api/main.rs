//! Intake service tests, one binary: each test spawns the service with its own database and
//! queue prefix.
//!
//! The modules are `cfg(test)` so that the helpers they share may unwrap like the tests do
//! (clippy allows it only in test code).

#[cfg(test)]
mod flows;
#[cfg(test)]
mod helpers;
#[cfg(test)]
mod legal;
#[cfg(test)]
mod registration;
