//! The case timeline (办理轨迹): every event of every service about a case, in order, and the units
//! that may see the case.

pub mod api;
pub mod events;
pub mod store;
