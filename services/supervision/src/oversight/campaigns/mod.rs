//! Backlog campaigns (专项攻坚, e.g. 百日百件): a set of backlog cases with a target date and a
//! progress board.

pub mod api;
pub mod domain;
pub mod store;
