//! Supervision orders (督办令, 《信访工作条例》第四十条): 催办, 督办, 挂牌督办, 约谈, 通报 to a unit
//! about a case or a pattern. Each needs a written response by its deadline; unanswered, it
//! escalates (催办 → 督办 → 挂牌督办) exactly once per order and level.

pub mod api;
pub mod domain;
pub mod store;
pub mod workers;
