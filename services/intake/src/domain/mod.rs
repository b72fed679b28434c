//! Intake's rules (受理规则): validated registrations, case numbers, who sees a case, routing
//! rules, decisions and repeat detection. No database and no HTTP here.

pub mod access;
pub mod contact;
pub mod decision;
pub mod error;
pub mod petition;
pub mod repeat;
pub mod routing;
pub mod text;

pub use error::{FieldError, IntakeError};
