//! Who may see a case (查阅范围): the registering unit, units it was transferred or assigned to
//! (explicit, audited grants), and county-wide roles. Accusation cases (检举控告类) are never
//! visible to the accused (respondent) unit. Everything else answers 404, like a missing case.

use xinfang_platform::Actor;

/// The facts about a case that decide who sees it.
#[derive(Debug, Clone)]
pub struct Scope {
    pub registering_unit: String,
    pub category: Option<String>,
    pub respondent_unit: Option<String>,
    /// The actor's unit holds an explicit grant (转送、交办时授权).
    pub granted: bool,
}

/// What a caller without the right reads instead of an accusation's text (检举控告内容).
pub const ACCUSATION_WITHHELD: &str = "（检举控告内容，仅限办理检举控告的人员查阅）";

/// Whether the caller may read the text of a case of `category` (检举控告内容仅限办理人员).
pub fn may_read_text(actor: &Actor, category: Option<&str>) -> bool {
    category != Some("accusation") || actor.has(xinfang_platform::Permission::ReadAccusationText)
}

pub fn can_see(actor: &Actor, s: &Scope) -> bool {
    if s.category.as_deref() == Some("accusation")
        && s.respondent_unit.as_deref() == Some(actor.unit.as_str())
    {
        return false;
    }
    actor.county_wide() || s.registering_unit == actor.unit || s.granted
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinfang_platform::Role;

    fn actor(unit: &str, roles: &[Role], bureau: bool) -> Actor {
        Actor::person("u", unit, roles, bureau)
    }

    #[test]
    fn visibility_rules() {
        let s = Scope {
            registering_unit: "XFJ".into(),
            category: Some("accusation".into()),
            respondent_unit: Some("ZJJ".into()),
            granted: false,
        };
        assert!(can_see(&actor("XFJ", &[Role::Clerk], true), &s));
        assert!(!can_see(&actor("RSJ", &[Role::Handler], false), &s));
        assert!(can_see(&actor("RSJ", &[Role::Leader], false), &s));
        // The accused unit never sees it, whatever its roles or grants.
        assert!(!can_see(&actor("ZJJ", &[Role::Leader], false), &s));
        assert!(!can_see(
            &actor("ZJJ", &[Role::Handler], false),
            &Scope { granted: true, ..s }
        ));
    }
}
