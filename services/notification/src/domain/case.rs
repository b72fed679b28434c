use chrono::NaiveDate;
use xinfang_contracts::events::PetitionRegisteredV1;

/// A case (信访事项) as notification knows it from its registration: whom to tell and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseContext {
    /// 信访件编号
    pub case_number: String,
    /// The registering unit (登记单位), which owns the case's notices.
    pub registering_unit: String,
    /// 收到日期
    pub received_on: NaiveDate,
    /// An anonymous petitioner (匿名信访) left no one to tell.
    pub anonymous: bool,
    /// The petitioner can be reached by phone (可联系), so notices go by SMS rather than in person.
    pub contactable: bool,
}

impl CaseContext {
    /// The case a registration makes known.
    pub fn registered(e: &PetitionRegisteredV1) -> CaseContext {
        CaseContext {
            case_number: e.case_number.clone(),
            registering_unit: e.registering_unit.clone(),
            received_on: e.received_on,
            anonymous: e.anonymous,
            contactable: e.contactable,
        }
    }
}
