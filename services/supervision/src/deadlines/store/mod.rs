//! SQL of the deadlines: the deadlines themselves, their timer steps, logged visits, and the
//! published calendar years.

pub mod calendar_years;
pub mod deadlines;
pub mod steps;
pub mod visits;
