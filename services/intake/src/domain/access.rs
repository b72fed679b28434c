//! Who may see a case (查阅范围): the registering unit, units it was transferred or assigned to
//! (explicit, audited grants), and county-wide roles. Accusation cases (检举控告类) are never
//! visible to the accused (respondent) unit. Everything else answers 404, like a missing case.

use sqlx::{PgConnection, Row};
use uuid::Uuid;
use xinfang_platform::{Actor, ApiError};

/// The facts about a case that decide who sees it.
pub struct Scope {
    pub registering_unit: String,
    pub category: Option<String>,
    pub respondent_unit: Option<String>,
    pub granted: bool,
}

pub fn can_see(actor: &Actor, s: &Scope) -> bool {
    if s.category.as_deref() == Some("accusation")
        && s.respondent_unit.as_deref() == Some(actor.unit.as_str())
    {
        return false;
    }
    actor.county_wide() || s.registering_unit == actor.unit || s.granted
}

pub fn hidden() -> ApiError {
    ApiError::not_found("信访件不存在或无权查看")
}

/// Load the scope of a case, optionally locking its row; 404 when the actor may not see it.
pub async fn check(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    lock: bool,
) -> Result<(), ApiError> {
    let sql = if lock {
        "SELECT registering_unit, category, respondent_unit,
                EXISTS (SELECT 1 FROM case_access a WHERE a.petition_id = p.id AND a.unit = $2) AS granted
         FROM petitions p WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT registering_unit, category, respondent_unit,
                EXISTS (SELECT 1 FROM case_access a WHERE a.petition_id = p.id AND a.unit = $2) AS granted
         FROM petitions p WHERE id = $1"
    };
    let row = sqlx::query(sql)
        .bind(id)
        .bind(&actor.unit)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(hidden)?;
    let scope = Scope {
        registering_unit: row.try_get("registering_unit")?,
        category: row.try_get("category")?,
        respondent_unit: row.try_get("respondent_unit")?,
        granted: row.try_get("granted")?,
    };
    if can_see(actor, &scope) {
        Ok(())
    } else {
        Err(hidden())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinfang_platform::Role;

    fn actor(unit: &str, roles: &[Role], bureau: bool) -> Actor {
        Actor {
            user_id: "u".into(),
            unit: unit.into(),
            roles: roles.to_vec(),
            bureau,
        }
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
