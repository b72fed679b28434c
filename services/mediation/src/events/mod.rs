//! Events mediation reacts to. For now only the case register: a registered petition (登记)
//! becomes a case it may be asked to mediate. Referrals and the parties' consent come with the
//! mediation workflow.

use xinfang_platform::case_registry::CaseRegisterEvents;

/// The handler of mediation's queue.
pub fn handler() -> CaseRegisterEvents {
    CaseRegisterEvents { name: "mediation" }
}
