//! Deadlines over HTTP: the public calculator, the calendar years, a case's deadlines, and the
//! changes to a deadline (延期, 中止计时).

pub mod calculator;
pub mod calendar_years;
pub mod case_deadlines;
pub mod changes;
