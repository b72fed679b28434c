//! The rules of the statutory clocks: kinds and their limits, a deadline's projection and the
//! changes allowed to it, the timer plan, and the holiday calendars in use.

pub mod calendar;
pub mod deadline;
pub mod kind;
pub mod projection;
pub mod timers;
