//! Case numbering (编号): a per-county, per-year counter, gap-free because the numbers commit or
//! roll back with their petitions.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{petition::format_case_number, IntakeError};

/// Reserve the next `count` numbers of the year's counter for petitions about to be written in this
/// transaction (so that they are written with their numbers, not rewritten afterwards). The
/// counter's row lock is held from here to the commit: if the petitions are not all written, the
/// caller must roll back (to a savepoint taken before this call, or the whole transaction) so that
/// no number is lost. Returns the numbers in order.
#[tracing::instrument(skip_all, fields(petitions = count))]
pub async fn reserve(
    conn: &mut PgConnection,
    division: &str,
    year: i32,
    count: usize,
) -> Result<Vec<String>, IntakeError> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let count = count as i64;
    let last: i64 = sqlx::query_scalar(
        "INSERT INTO case_number_counters (division_code, year, last_value) VALUES ($1, $2, $3)
         ON CONFLICT (division_code, year) DO UPDATE SET last_value = case_number_counters.last_value + $3
         RETURNING last_value",
    )
    .bind(division)
    .bind(year)
    .bind(count)
    .fetch_one(&mut *conn)
    .await?;
    let first = last - count + 1;
    Ok((0..count)
        .map(|i| format_case_number(division, year, first + i))
        .collect())
}

/// Number the petitions `ids`, written in this transaction under placeholders, in order: one
/// statement moves the year's counter by their count and writes each number into its petition.
/// Returns the numbers, in the order of `ids`. The counter's row lock is held from here to the
/// commit, once per group of registrations instead of once per petition, so callers number last,
/// just before they enqueue the events that carry the numbers and commit.
#[tracing::instrument(skip_all, fields(petitions = ids.len()))]
pub async fn number(
    conn: &mut PgConnection,
    division: &str,
    year: i32,
    ids: &[Uuid],
) -> Result<Vec<String>, IntakeError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let count = ids.len() as i64;
    let numbered = sqlx::query!(
        r#"WITH counter AS (
               INSERT INTO case_number_counters (division_code, year, last_value) VALUES ($1, $2, $3)
               ON CONFLICT (division_code, year) DO UPDATE SET last_value = case_number_counters.last_value + $3
               RETURNING last_value),
           numbers AS (
               SELECT t.id,
                      $1 || '-' || $2::text || '-' || lpad((counter.last_value - $3 + t.ordinal)::text,
                          greatest(6, length((counter.last_value - $3 + t.ordinal)::text)), '0') AS case_number
               FROM counter, unnest($4::uuid[]) WITH ORDINALITY AS t(id, ordinal)),
           written AS (
               UPDATE petitions SET case_number = numbers.case_number FROM numbers
               WHERE petitions.id = numbers.id RETURNING 1)
           SELECT counter.last_value AS "last_value!", (SELECT count(*) FROM written) AS "written!"
           FROM counter"#,
        division,
        year,
        count,
        ids,
    )
    .fetch_one(&mut *conn)
    .await?;
    if numbered.written != count {
        return Err(IntakeError::NumberingIncomplete {
            numbered: numbered.written,
            expected: count,
        });
    }
    let first = numbered.last_value - count + 1;
    Ok((0..count)
        .map(|i| format_case_number(division, year, first + i))
        .collect())
}
