//! What notification knows and decides, free of SQL and HTTP: which notices (告知文书) each event
//! asks for and their Chinese text, who receives them and by which channel, and the inbox's paging.

pub mod case;
pub mod catalog;
pub mod delivery;
pub mod document;
pub mod error;
pub mod inbox;
pub mod names;
pub mod notice;
pub mod recipient;
pub mod template;
pub mod templates;

pub use case::CaseContext;
pub use error::NotificationError;
pub use inbox::InboxPage;
pub use notice::{NewNotice, Notice};
pub use recipient::Recipient;
pub use templates::NoticeDraft;
