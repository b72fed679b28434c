//! Mediation's rules (调解规则): the directory, referral with consent, the choice of mediator and
//! recusal, sessions, agreements with judicial confirmation and performance, the dispute register,
//! and who may do what. No database and no HTTP here.

pub mod access;
pub mod agreement;
pub mod directory;
pub mod dispute;
pub mod error;
pub mod mediator_choice;
pub mod referral;
pub mod session;
pub mod text;

pub use error::MediationError;
