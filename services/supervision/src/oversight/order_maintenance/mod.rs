//! Order maintenance at reception (维护秩序, 《信访工作条例》第二十六条、第四十七条): the incident,
//! the conduct, and the response (劝阻 / 批评 / 教育 / 移交公安), linked to a person reference and
//! the case. A person is referenced, never by a raw identity number.

pub mod api;
pub mod domain;
pub mod store;
