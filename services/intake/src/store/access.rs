//! Who may see a case (查阅范围), read from the case and its access grants.

use std::collections::HashSet;

use sqlx::PgConnection;
use uuid::Uuid;
use xinfang_platform::Actor;

use crate::domain::{
    access::{can_see, Scope},
    IntakeError,
};

#[derive(sqlx::FromRow)]
struct ScopeRow {
    id: Uuid,
    registering_unit: String,
    category: Option<String>,
    respondent_unit: Option<String>,
    granted: bool,
}

impl ScopeRow {
    fn into_scope(self) -> Scope {
        Scope {
            registering_unit: self.registering_unit,
            category: self.category,
            respondent_unit: self.respondent_unit,
            granted: self.granted,
        }
    }
}

/// Load the scope of a case, optionally locking its row (for a decision on it):
/// [`IntakeError::CaseHidden`] when the actor may not see it, as when it does not exist.
pub async fn check(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    lock: bool,
) -> Result<(), IntakeError> {
    let row = if lock {
        sqlx::query_as!(
            ScopeRow,
            r#"SELECT id, registering_unit, category, respondent_unit,
                      EXISTS (SELECT 1 FROM case_access a WHERE a.petition_id = p.id AND a.unit = $2) AS "granted!"
               FROM petitions p WHERE id = $1 FOR UPDATE"#,
            id,
            actor.unit,
        )
        .fetch_optional(&mut *conn)
        .await?
    } else {
        sqlx::query_as!(
            ScopeRow,
            r#"SELECT id, registering_unit, category, respondent_unit,
                      EXISTS (SELECT 1 FROM case_access a WHERE a.petition_id = p.id AND a.unit = $2) AS "granted!"
               FROM petitions p WHERE id = $1"#,
            id,
            actor.unit,
        )
        .fetch_optional(&mut *conn)
        .await?
    };
    match row.map(ScopeRow::into_scope) {
        Some(scope) if can_see(actor, &scope) => Ok(()),
        _ => Err(IntakeError::CaseHidden),
    }
}

/// Of `ids`, the cases the actor may see.
pub async fn visible(
    conn: &mut PgConnection,
    actor: &Actor,
    ids: &[Uuid],
) -> Result<HashSet<Uuid>, sqlx::Error> {
    let rows = sqlx::query_as!(
        ScopeRow,
        r#"SELECT p.id, p.registering_unit, p.category, p.respondent_unit,
                  EXISTS (SELECT 1 FROM case_access a WHERE a.petition_id = p.id AND a.unit = $2) AS "granted!"
           FROM petitions p WHERE p.id = ANY($1)"#,
        ids,
        actor.unit,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let id = row.id;
            can_see(actor, &row.into_scope()).then_some(id)
        })
        .collect())
}
