//! What every feature group of the service shares in its domain: the error enum.

pub mod error;
