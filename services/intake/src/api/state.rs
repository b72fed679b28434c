//! What the handlers share: settings, personal-data keys, holiday calendars.

use std::sync::Arc;
use xinfang_platform::directory::Directory;

use xinfang_calendar::HolidayCalendar;
use xinfang_platform::pii::PiiVault;

use crate::{
    configuration::{IntakeOptions, IntakeSettings},
    domain::decision::WorkingDayLimits,
};

pub struct IntakeState {
    pub settings: IntakeSettings,
    pub options: IntakeOptions,
    pub vault: Arc<PiiVault>,
    pub calendar: HolidayCalendar,
    /// The units directory copy (单位目录副本).
    pub directory: Directory,
}

impl IntakeState {
    pub fn working_day_limits(&self) -> WorkingDayLimits {
        let limits = &self.options.limits;
        WorkingDayLimits {
            objection: limits.objection_working_days,
            simple_accept: limits.simple_accept_working_days,
            simple_opinion: limits.simple_opinion_working_days,
        }
    }
}
