//! SQL of notification: the case register it keeps from intake's registrations, and the notices.

pub mod cases;
pub mod notices;
