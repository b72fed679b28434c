//! The subcommands (子命令).

pub mod archive;
pub mod audit;
pub mod backup;
pub mod deliveries;
pub mod directory;
pub mod dlq;
pub mod migrate;
pub mod outbox;
pub mod pii;
pub mod token;
