//! The three recommendations (三项建议权, 《信访工作条例》第四十条): 改进工作建议, 完善政策建议,
//! 追究责任建议; the recipient answers in writing on adoption (书面反馈采纳情况) by a deadline.

pub mod api;
pub mod domain;
pub mod store;
