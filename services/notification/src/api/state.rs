//! What the handlers share (接口共享状态).

use std::sync::Arc;

use xinfang_calendar::HolidayCalendar;

use crate::channels::contacts::ContactSource;
use crate::configuration::SelfServiceSettings;
use crate::domain::names::OrganNames;
use crate::pdf::FontBook;

pub struct AppState {
    pub fonts: FontBook,
    pub contacts: Arc<dyn ContactSource>,
    pub names: Arc<dyn OrganNames>,
    pub calendar: Arc<HolidayCalendar>,
    pub self_service: SelfServiceSettings,
}
