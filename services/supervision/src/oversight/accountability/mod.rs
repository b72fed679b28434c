//! Accountability (追责问责, 《信访工作条例》第四十二至四十六条): the ground, the people
//! responsible, the evidence (links into the case history) and the outcome; and misconduct reports
//! (双向规范) that an accountability case investigates.

pub mod api;
pub mod domain;
pub mod store;
