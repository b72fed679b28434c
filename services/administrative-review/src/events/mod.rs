//! Events administrative review reacts to. For now only the case register: a registered petition
//! (登记) becomes a case it may handle, review (复查) or re-review (复核). The handling workflow
//! reacts to acceptance and hand-off events when it lands.

use xinfang_platform::case_registry::CaseRegisterEvents;

/// The handler of administrative review's queue.
pub fn handler() -> CaseRegisterEvents {
    CaseRegisterEvents {
        name: "administrative-review",
    }
}
