//! What the handlers share: settings, personal-data keys, holiday calendars.

use xinfang_calendar::HolidayCalendar;
use xinfang_platform::pii::PiiVault;

use crate::configuration::{IntakeOptions, IntakeSettings};

pub struct IntakeState {
    pub settings: IntakeSettings,
    pub options: IntakeOptions,
    pub vault: PiiVault,
    pub calendar: HolidayCalendar,
}
