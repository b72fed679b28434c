//! SQL of the statistics: case facts, the rollup, and the read queries of indicators and reports.

pub mod case_facts;
pub mod overrides;
pub mod queries;
pub mod review;
pub mod rollup;
