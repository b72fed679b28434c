//! SQL of notification: the case register it keeps from intake's registrations, the notices and
//! their deliveries, the printed documents, template versions and the self-service's rows.

pub mod cases;
pub mod deliveries;
pub mod documents;
pub mod notices;
pub mod self_service;
pub mod templates;
