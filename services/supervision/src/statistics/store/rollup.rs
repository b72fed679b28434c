//! SQL of the daily rollup `indicator_rollup`: set-wise deltas (deferred to the end of a batch of
//! events), the rebuild from `case_facts`, and the sums the indicators read.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use xinfang_messaging::UnitOfWork;

use crate::statistics::domain::{
    indicators::{empty_findings, Dim, Scope},
    read_model::{merge, Counters, RollupKey, COUNTERS, HOT_FIELDS},
};

fn upsert_sql() -> String {
    let cols = COUNTERS.join(", ");
    let casts: Vec<String> = (0..COUNTERS.len())
        .map(|i| format!("${}::int8[]", i + 6))
        .collect();
    let sets: Vec<String> = COUNTERS
        .iter()
        .map(|c| format!("{c} = indicator_rollup.{c} + EXCLUDED.{c}"))
        .collect();
    format!(
        "INSERT INTO indicator_rollup (scope_unit, dim, day, dim_value, shard, {cols})
         SELECT u.scope_unit, u.dim, u.day, u.dim_value, $5::int2, {cols}
         FROM UNNEST($1::text[], $2::text[], $3::date[], $4::text[], {}) AS u(scope_unit, dim, day, dim_value, {cols})
         ON CONFLICT (scope_unit, dim, day, dim_value, shard) DO UPDATE SET {}",
        casts.join(", "),
        sets.join(", ")
    )
}

/// Shards per rollup key (migration 0005): writers side by side rarely add to the same row.
pub const ROLLUP_SHARDS: usize = 8;

fn next_shard() -> i16 {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    (NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % ROLLUP_SHARDS) as i16
}

/// A rollup delta waiting for the end of its batch of events.
struct DeferredDelta(BTreeMap<RollupKey, Counters>);

/// Add `delta` to the rollup: at once outside a batch of events; inside one, summed with the
/// batch's other deltas and written by [`RollupBatchWriter`] with one statement before the commit.
/// The county's rows are shared by every event, so this keeps them locked only from there to the
/// commit, once per batch.
pub async fn add_delta(
    uow: &mut UnitOfWork<'_>,
    delta: BTreeMap<RollupKey, Counters>,
) -> Result<(), sqlx::Error> {
    match uow.defer_or_keep(DeferredDelta(delta)) {
        None => Ok(()),
        Some(delta) => apply_delta(uow.conn(), &delta.0).await,
    }
}

/// Writes a batch's rollup deltas, summed, with one statement; runs after the audit rows, last
/// before the commit.
pub struct RollupBatchWriter;

#[async_trait::async_trait]
impl xinfang_messaging::BatchWriter for RollupBatchWriter {
    async fn after_batch(
        &self,
        conn: &mut PgConnection,
        deferred: &mut xinfang_messaging::Deferred,
    ) -> Result<(), sqlx::Error> {
        let deltas = deferred.take::<DeferredDelta>();
        apply_delta(conn, &merge(deltas.into_iter().map(|d| d.0))).await
    }
}

/// Apply a rollup delta in one statement (keys sorted, so concurrent writers lock in one order).
pub async fn apply_delta(
    conn: &mut PgConnection,
    delta: &BTreeMap<RollupKey, Counters>,
) -> Result<(), sqlx::Error> {
    if delta.is_empty() {
        return Ok(());
    }
    let mut q = sqlx::query(sqlx::AssertSqlSafe(upsert_sql()))
        .bind(
            delta
                .keys()
                .map(|k| k.scope_unit.clone())
                .collect::<Vec<_>>(),
        )
        .bind(delta.keys().map(|k| k.dim.clone()).collect::<Vec<_>>())
        .bind(delta.keys().map(|k| k.day).collect::<Vec<_>>())
        .bind(
            delta
                .keys()
                .map(|k| k.dim_value.clone())
                .collect::<Vec<_>>(),
        )
        .bind(next_shard());
    for i in 0..COUNTERS.len() {
        q = q.bind(delta.values().map(|c| c[i]).collect::<Vec<i64>>());
    }
    q.execute(conn).await?;
    Ok(())
}

/// Rebuild `indicator_rollup` from `case_facts` (after a new event type is added, or for the
/// benchmark). The counters here are the SQL twin of [`CaseFacts::counters`]; a test checks that
/// both agree.
pub async fn rebuild_rollup(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!("TRUNCATE indicator_rollup")
        .execute(&mut *tx)
        .await?;
    let hot = HOT_FIELDS
        .iter()
        .map(|f| format!("'{f}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let cols = COUNTERS.join(", ");
    let sql = format!(
        "INSERT INTO indicator_rollup (scope_unit, dim, day, dim_value, {cols})
         SELECT s.scope, d.dim, f.registered_on, d.val,
                count(*),
                count(*) FILTER (WHERE f.field <> ''),
                count(*) FILTER (WHERE f.field IN ({hot})),
                count(*) FILTER (WHERE f.accepted_on_time IS NOT NULL),
                count(*) FILTER (WHERE f.accepted_on_time),
                count(*) FILTER (WHERE f.repeat),
                count(*) FILTER (WHERE f.transferred),
                count(*) FILTER (WHERE f.assigned),
                count(*) FILTER (WHERE f.closed_on_time IS NOT NULL),
                count(*) FILTER (WHERE f.closed_on_time),
                count(*) FILTER (WHERE f.closure_kind = 'substantive'),
                count(*) FILTER (WHERE f.closure_kind = 'procedural'),
                count(*) FILTER (WHERE f.satisfaction IS NOT NULL),
                count(*) FILTER (WHERE f.satisfaction IN ('satisfied', 'basically_satisfied')),
                count(*) FILTER (WHERE f.mediation_outcome IS NOT NULL),
                count(*) FILTER (WHERE f.mediation_outcome = 'success')
         FROM case_facts f
         CROSS JOIN LATERAL (VALUES (f.unit_code), ('*')) s(scope)
         CROSS JOIN LATERAL (VALUES ('all', ''), ('unit', f.unit_code), ('township', f.township),
                                    ('field', f.field), ('channel', f.channel)) d(dim, val)
         GROUP BY 1, 2, 3, 4"
    );
    let n = sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(n)
}

/// One group's summed counters, a field per name in [`COUNTERS`].
#[derive(Debug, sqlx::FromRow)]
pub struct RollupSumRow {
    pub dim_value: String,
    pub registered: i64,
    pub with_field: i64,
    pub hot_field: i64,
    pub decided_known: i64,
    pub accepted_on_time: i64,
    pub repeat: i64,
    pub transferred: i64,
    pub assigned: i64,
    pub closed_known: i64,
    pub closed_on_time: i64,
    pub substantive: i64,
    pub procedural: i64,
    pub rated: i64,
    pub satisfied: i64,
    pub mediated: i64,
    pub mediation_success: i64,
}

impl RollupSumRow {
    /// The sums in the order of [`COUNTERS`].
    pub fn counters(&self) -> Counters {
        [
            self.registered,
            self.with_field,
            self.hot_field,
            self.decided_known,
            self.accepted_on_time,
            self.repeat,
            self.transferred,
            self.assigned,
            self.closed_known,
            self.closed_on_time,
            self.substantive,
            self.procedural,
            self.rated,
            self.satisfied,
            self.mediated,
            self.mediation_success,
        ]
    }
}

/// Findings of one question in one group.
#[derive(Debug, sqlx::FromRow)]
pub struct FindingCountRow {
    pub question: String,
    pub k: String,
    pub n: i64,
}

pub async fn rollup_sums(
    pool: &PgPool,
    scope: &Scope,
    dim: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, [i64; 16])>, sqlx::Error> {
    let sums: Vec<String> = COUNTERS
        .iter()
        .map(|c| format!("sum({c})::int8 AS {c}"))
        .collect();
    let sql = format!(
        "SELECT dim_value, {} FROM indicator_rollup
         WHERE scope_unit = $1 AND dim = $2 AND day BETWEEN $3 AND $4
         GROUP BY dim_value ORDER BY sum(registered) DESC, dim_value",
        sums.join(", ")
    );
    let rows = sqlx::query_as::<_, RollupSumRow>(sqlx::AssertSqlSafe(sql))
        .bind(scope.rollup_key())
        .bind(dim)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let counters = r.counters();
            (r.dim_value, counters)
        })
        .collect())
}

/// Findings raised in the period, per group key (or "" for the total).
pub async fn findings_by(
    pool: &PgPool,
    scope: &Scope,
    dim: Option<Dim>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<String, BTreeMap<String, i64>>, sqlx::Error> {
    let key = dim.map(|d| d.findings_key()).unwrap_or("''");
    let sql = format!(
        "SELECT f.question, {key} AS k, count(*)::int8 AS n FROM findings f
         LEFT JOIN case_facts c ON c.case_id = f.case_id
         WHERE (f.raised_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN $1 AND $2
           AND ($3::text IS NULL OR f.unit_code = $3)
         GROUP BY 1, 2"
    );
    let rows = sqlx::query_as::<_, FindingCountRow>(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .bind(scope.unit())
        .fetch_all(pool)
        .await?;
    let mut out: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for r in rows {
        *out.entry(r.k)
            .or_insert_with(empty_findings)
            .entry(r.question)
            .or_insert(0) += r.n;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sum_row_names_every_counter_in_order() {
        // The SQL selects `sum(c) AS c` for each name of COUNTERS; the row's fields must match.
        let row = RollupSumRow {
            dim_value: String::new(),
            registered: 0,
            with_field: 1,
            hot_field: 2,
            decided_known: 3,
            accepted_on_time: 4,
            repeat: 5,
            transferred: 6,
            assigned: 7,
            closed_known: 8,
            closed_on_time: 9,
            substantive: 10,
            procedural: 11,
            rated: 12,
            satisfied: 13,
            mediated: 14,
            mediation_success: 15,
        };
        let expected: Vec<i64> = (0..16).collect();
        assert_eq!(row.counters().to_vec(), expected);
        assert_eq!(COUNTERS.len(), 16);
    }
}
