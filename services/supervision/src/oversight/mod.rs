//! Oversight (督查督办, 监督追责, 维护秩序): supervision orders, case-owning leaders, backlog
//! campaigns, the three recommendations, accountability and order maintenance, each a feature with
//! its own api, domain and store. What they share is here: the case as the read model knows it and
//! working-day due dates.

pub mod accountability;
pub mod campaigns;
pub mod domain;
pub mod leaders;
pub mod order_maintenance;
pub mod orders;
pub mod recommendations;
pub mod store;
