//! Background tasks (后台任务).

pub mod announce;
pub mod cleanup;
