//! Assessment findings (考核发现): the five questions the county judges units by. Deadlines and the
//! sweep raise them through [`events::raise`]; statistics count them; `api` lists them.

pub mod api;
pub mod domain;
pub mod events;
pub mod store;
pub mod workers;
