//! Mediation in supervision (调解的督查与统计): the judicial-confirmation window (司法确认申请期限,
//! 人民调解法 art 33) as a clock, the warning when a mediation is about to outlast the handling
//! period (调解临近办理期限预警), and the figures by body, mediator, field and township, with the
//! disputes resolved before they became petitions (源头化解).

pub mod api;
pub mod domain;
pub mod events;
pub mod store;
