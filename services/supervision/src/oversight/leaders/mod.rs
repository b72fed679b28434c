//! Case-owning leaders (领导包案): a named leader owns a hard case until it is resolved, and what
//! the leader does is recorded.

pub mod api;
pub mod domain;
pub mod store;
