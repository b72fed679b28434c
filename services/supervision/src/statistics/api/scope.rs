//! The scope of a caller's figures (统计范围).

use xinfang_platform::Actor;

use crate::statistics::domain::indicators::Scope;

/// What the caller's figures cover: the county for county-wide staff, else its own unit.
pub fn scope_of(actor: &Actor) -> Scope {
    if actor.county_wide() {
        Scope::County
    } else {
        Scope::Unit(actor.unit.clone())
    }
}
