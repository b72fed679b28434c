//! Statistics (统计): the read model fed by events, the indicators and hot-spot warning read from
//! it, and the reports (年度报告, 月度通报) built on them; findings are counted with them.

pub mod api;
pub mod domain;
pub mod events;
pub mod satisfaction;
pub mod store;
