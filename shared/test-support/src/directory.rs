//! The units directory in tests (测试用单位目录): every spawned service starts with the county's
//! seeded directory in its copy, exactly as if the console had published it, so that a test names
//! real units; a test adds or changes units with [`add_units`] or by publishing
//! `console.unit.changed.v1` itself.

use sqlx::PgPool;
use xinfang_contracts::events::UnitRecordV1;
use xinfang_platform::directory::{store, Directory};

/// The seed (same rows as the console's migration), tab-separated.
pub const SEED_UNITS: &str = include_str!("../data/units.tsv");

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// The seeded units, each at version 1 and active.
pub fn seed_units() -> Vec<UnitRecordV1> {
    SEED_UNITS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let get = |i: usize| f.get(i).copied().unwrap_or("");
            UnitRecordV1 {
                code: get(0).into(),
                division_code: get(1).into(),
                name: get(2).into(),
                short_name: get(3).into(),
                kind: get(4).into(),
                level: get(5).into(),
                parent_code: opt(get(6)),
                supervisor_code: opt(get(7)),
                township_code: opt(get(8)),
                active: true,
                version: 1,
            }
        })
        .collect()
}

/// A county department (县直部门) under the county government, for tests and benchmarks that need
/// units beyond the seed.
pub fn department(code: &str, name: &str) -> UnitRecordV1 {
    UnitRecordV1 {
        code: code.into(),
        division_code: code.split('-').next().unwrap_or("140423").into(),
        name: name.into(),
        short_name: name.into(),
        kind: "department".into(),
        level: "county".into(),
        parent_code: Some("140423-ZF".into()),
        supervisor_code: Some("140423-ZF".into()),
        township_code: None,
        active: true,
        version: 1,
    }
}

/// Put `units` into a service's directory copy and reload its snapshot.
pub async fn add_units(pool: &PgPool, directory: &Directory, units: &[UnitRecordV1]) {
    let mut conn = pool.acquire().await.expect("connection");
    for unit in units {
        store::upsert(&mut conn, unit).await.expect("unit stored");
    }
    drop(conn);
    directory.reload(pool).await.expect("directory reloaded");
}
