//! SQL of sessions (调解会): booking without double booking, attendance and record, adjournment.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{types::Json, PgConnection};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::session::{Attendance, Held, Schedule};

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct SessionRow {
    pub id: Uuid,
    pub mediation_id: Uuid,
    pub mediator_id: Uuid,
    pub place: String,
    pub room: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub participants: Vec<String>,
    /// `scheduled` | `held` | `adjourned` | `cancelled`
    pub status: String,
    #[schema(value_type = Option<Vec<Attendance>>)]
    pub attendance: Option<Json<Vec<Attendance>>>,
    /// 笔录
    pub record: Option<String>,
    pub adjourn_reason: Option<String>,
    pub adjourned_from: Option<Uuid>,
}

const SELECT: &str = "SELECT id, mediation_id, mediator_id, place, room, lower(during) AS starts_at,
        upper(during) AS ends_at, participants, status, attendance, record, adjourn_reason, adjourned_from
     FROM sessions";

/// A booked session that overlaps the one asked for.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Clash {
    pub id: Uuid,
    pub mediation_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub same_mediator: bool,
    pub room: Option<String>,
}

/// Lock the mediator's and the room's calendars for this transaction, then find a scheduled
/// session of either that overlaps `s` (other than `except`).
pub async fn clash(
    conn: &mut PgConnection,
    mediator_id: Uuid,
    s: &Schedule,
    except: Option<Uuid>,
) -> Result<Option<Clash>, sqlx::Error> {
    let mut keys = vec![format!("mediator:{mediator_id}")];
    if let Some(room) = &s.room {
        keys.push(format!("room:{room}"));
    }
    keys.sort();
    for k in &keys {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(k)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query_as::<_, Clash>(
        "SELECT id, mediation_id, lower(during) AS starts_at, upper(during) AS ends_at,
                mediator_id = $1 AS same_mediator, room
         FROM sessions
         WHERE status = 'scheduled' AND during && tstzrange($3, $4)
           AND (mediator_id = $1 OR ($2::text IS NOT NULL AND room = $2))
           AND ($5::uuid IS NULL OR id <> $5)
         ORDER BY lower(during) LIMIT 1",
    )
    .bind(mediator_id)
    .bind(&s.room)
    .bind(s.starts_at)
    .bind(s.ends_at)
    .bind(except)
    .fetch_optional(conn)
    .await
}

pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    mediation_id: Uuid,
    mediator_id: Uuid,
    s: &Schedule,
    adjourned_from: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (id, mediation_id, mediator_id, place, room, during, participants, status, adjourned_from)
         VALUES ($1, $2, $3, $4, $5, tstzrange($6, $7), $8, 'scheduled', $9)",
    )
    .bind(id)
    .bind(mediation_id)
    .bind(mediator_id)
    .bind(&s.place)
    .bind(&s.room)
    .bind(s.starts_at)
    .bind(s.ends_at)
    .bind(&s.participants)
    .bind(adjourned_from)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn load_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as::<_, SessionRow>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE id = $1 FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn of_mediation(
    conn: &mut PgConnection,
    mediation_id: Uuid,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    sqlx::query_as::<_, SessionRow>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE mediation_id = $1 ORDER BY lower(during)"
    )))
    .bind(mediation_id)
    .fetch_all(conn)
    .await
}

pub async fn held(conn: &mut PgConnection, id: Uuid, h: &Held) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET status = 'held', attendance = $2, record = $3 WHERE id = $1")
        .bind(id)
        .bind(Json(&h.attendance))
        .bind(&h.record)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn adjourned(conn: &mut PgConnection, id: Uuid, reason: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET status = 'adjourned', adjourn_reason = $2 WHERE id = $1")
        .bind(id)
        .bind(reason)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sessions starting in `[from, to)` of mediations whose body belongs to `unit` (all when
/// `county_wide`), only those of the mediator whose 登录账号 is `mine_account` when given; the
/// earliest first (调解日程).
pub async fn in_period(
    conn: &mut PgConnection,
    county_wide: bool,
    unit: &str,
    mine_account: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    sqlx::query_as::<_, SessionRow>(
        "SELECT s.id, s.mediation_id, s.mediator_id, s.place, s.room, lower(s.during) AS starts_at,
                upper(s.during) AS ends_at, s.participants, s.status, s.attendance, s.record,
                s.adjourn_reason, s.adjourned_from
         FROM sessions s
         JOIN mediations md ON md.id = s.mediation_id
         JOIN bodies b ON b.id = md.body_id
         JOIN mediators mr ON mr.id = s.mediator_id
         WHERE ($1 OR b.unit_code = $2)
           AND ($3::text IS NULL OR mr.account = $3)
           AND lower(s.during) >= $4 AND lower(s.during) < $5
         ORDER BY lower(s.during), s.id
         LIMIT 1000",
    )
    .bind(county_wide)
    .bind(unit)
    .bind(mine_account)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await
}
