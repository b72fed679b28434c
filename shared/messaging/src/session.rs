//! One live broker connection (消息代理会话) with its publish channel. Kept apart from
//! [`crate::broker`] (which builds and supervises sessions) and [`crate::consumer`] (which consumes
//! on one), so that neither of those two needs the other's types.

use lapin::{Channel, Connection};
use tokio::sync::Mutex;

/// One live connection with its publish channel.
pub struct Session {
    pub connection: Connection,
    /// Behind a lock: publisher confirms are matched to publishes in channel order.
    pub(crate) publish: Mutex<Channel>,
}
