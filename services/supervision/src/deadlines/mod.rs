//! Deadlines (法定期限): the statutory clocks every case runs on, their timers (期限提醒), and the
//! holiday calendars they are computed with, reloaded at run time when a year is published.

pub mod api;
pub mod domain;
pub mod events;
pub mod review;
pub mod store;
pub mod workers;
