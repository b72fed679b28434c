//! Who may do what (权限与范围): every step needs its permission and a unit the caller answers for.
//! Bureau staff (信访局) act county-wide; a body's head (单位负责人) and its mediators act for the
//! bodies their unit runs; handlers refer the cases of their unit.

use xinfang_platform::{Actor, Permission, Role};

use super::error::{MediationError, Result};

fn has_any(actor: &Actor, permissions: &[Permission]) -> bool {
    permissions.iter().any(|p| actor.has(*p))
}

fn forbidden(what: &str) -> MediationError {
    MediationError::OutOfScope(format!("当前账号无权{what}"))
}

/// Maintain a body or its mediators: an administrator, bureau staff with the mediation right, or
/// the head of the unit that runs the body.
pub fn may_maintain(actor: &Actor, body_unit: &str) -> Result<()> {
    let bureau = actor.bureau && actor.has(Permission::Mediate);
    let head = actor.roles.contains(&Role::UnitHead)
        && actor.unit == body_unit
        && actor.has(Permission::Mediate);
    if actor.has(Permission::Administer) || bureau || head {
        Ok(())
    } else {
        Err(forbidden("维护该调解组织或其调解员"))
    }
}

/// Refer a case or a dispute of `unit` to mediation: whoever handles, decides on or mediates it,
/// within their unit (the bureau: the county).
pub fn may_refer(actor: &Actor, unit: &str) -> Result<()> {
    if !has_any(
        actor,
        &[
            Permission::HandleCase,
            Permission::DecidePetition,
            Permission::Mediate,
        ],
    ) {
        return Err(forbidden("引导当事人调解"));
    }
    if actor.can_see_unit(unit) {
        Ok(())
    } else {
        Err(MediationError::NotFound("信访件或纠纷不存在或无权查看"))
    }
}

/// Take a step of a mediation run by a body of `body_unit`: the mediation right, and the body's
/// unit or the bureau.
pub fn may_mediate(actor: &Actor, body_unit: &str) -> Result<()> {
    if !actor.has(Permission::Mediate) {
        return Err(forbidden("组织调解"));
    }
    if actor.bureau || actor.unit == body_unit {
        Ok(())
    } else {
        Err(forbidden("办理其他单位调解组织的调解"))
    }
}

/// See a mediation: the body's unit, the case's unit, or county-wide readers.
pub fn may_read(actor: &Actor, units: &[&str]) -> Result<()> {
    if !has_any(actor, &[Permission::ReadCases, Permission::Mediate]) {
        return Err(forbidden("查阅调解"));
    }
    if units.iter().any(|u| actor.can_see_unit(u)) {
        Ok(())
    } else {
        Err(MediationError::NotFound("调解不存在或无权查看"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        let head = Actor::person("h", "140423-GHZ", &[Role::UnitHead], false);
        assert!(may_maintain(&head, "140423-GHZ").is_ok());
        assert!(may_maintain(&head, "140423-XHZ").is_err());
        let mediator = Actor::person("m", "140423-GHZ", &[Role::Mediator], false);
        assert!(may_maintain(&mediator, "140423-GHZ").is_err());
        assert!(may_mediate(&mediator, "140423-GHZ").is_ok());
        assert!(may_mediate(&mediator, "140423-XHZ").is_err());
        let clerk = Actor::person("c", "140423-XFJ", &[Role::Clerk], true);
        assert!(may_refer(&clerk, "140423-RSJ").is_ok());
        assert!(may_mediate(&clerk, "140423-GHZ").is_err());
        let handler = Actor::person("x", "140423-RSJ", &[Role::Handler], false);
        assert!(may_refer(&handler, "140423-GHZ").is_err());
    }
}
