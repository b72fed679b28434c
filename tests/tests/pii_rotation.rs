//! PII key rotation (个人信息密钥轮换) while intake runs: petitions registered under key version 1,
//! intake restarted with version 2 (version 1 kept as a previous key), the rotation interrupted
//! once and resumed while registrations go on; afterwards every stored value opens with version 2
//! alone and equals what was registered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use secrecy::SecretString;
use serde_json::{json, Value};
use sqlx::Row;
use xinfang_e2e::Service;
use xinfang_messaging::ConsumerHooks;
use xinfang_platform::{
    pii::{Aad, PiiSettings, PiiVault, PreviousKey},
    pii_rotation::{rotate, RotationOptions, SealedTable},
};
use xinfang_test_support::{clerk_token, spawn_app, test_client, TestEnv};

const KEY_1: &str = "Iw9bAhrZe54Pr/oTzr7SAfCmyIWFizBvpo1kP43R9nA=";
const KEY_2: &str = "q1i6pO0ZbY3l6lq2mX8m0xQ1Gm9b7eZ4nS1mFv3m2kE=";
const BLIND: &str = "YcSIxTlnCtNqt6NbYxQYeBxLM3R8r/fJ7Yp+rTqctbU=";
const PETITIONERS: SealedTable = SealedTable {
    table: "petitioners",
    columns: &["id_number", "phone", "address"],
};

fn pii(version: i16, previous: &[(i16, &str)]) -> PiiSettings {
    let key = if version == 1 { KEY_1 } else { KEY_2 };
    PiiSettings {
        encryption_key: SecretString::from(key.to_string()),
        key_version: version,
        blind_index_key: SecretString::from(BLIND.to_string()),
        previous_keys: previous
            .iter()
            .map(|(v, k)| PreviousKey {
                version: *v,
                key: SecretString::from(k.to_string()),
            })
            .collect(),
    }
}

async fn start_intake(env: &TestEnv, pii: PiiSettings) -> Service {
    let mut options = intake::configuration::IntakeOptions::load().unwrap();
    options.pii = pii;
    let settings = intake::configuration::Settings {
        platform: env.settings("intake"),
        intake: intake::configuration::IntakeSettings {
            division_code: "140423".into(),
        },
    };
    Service {
        name: "intake",
        app: spawn_app(intake::startup::build_with_options(
            settings,
            options,
            ConsumerHooks::default(),
        ))
        .await,
    }
}

fn id_number(seq: u32) -> String {
    let first = format!("14042319850101{seq:03}");
    format!("{first}{}", intake::domain::petition::check_char(&first))
}

fn petition(seq: u32) -> (Value, [String; 3]) {
    let values = [
        id_number(seq),
        format!("138{:08}", seq),
        format!("城关镇东关村 {seq} 号"),
    ];
    let body = json!({
        "channel": "visit", "summary": format!("密钥轮换 {seq}"),
        "petitioners": [{ "name": "张三", "id_number": values[0], "phone": values[1], "address": values[2] }],
    });
    (body, values)
}

async fn register(client: &reqwest::Client, svc: &Service, seq: u32) {
    let (body, _) = petition(seq);
    let res = client
        .post(svc.url("/api/v1/petitions"))
        .bearer_auth(clerk_token())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn rotation_reseals_everything_resumably_while_intake_runs() {
    let env = TestEnv::new();
    let client = test_client();
    let v1 = start_intake(&env, pii(1, &[])).await;
    for seq in 1..=30 {
        register(&client, &v1, seq).await;
    }
    v1.stop().await;

    // Restarted with version 2, version 1 still opens.
    let v2 = start_intake(&env, pii(2, &[(1, KEY_1)])).await;
    // The operator's own connection to intake's database.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_with(env.settings("intake").database.with_db())
        .await
        .unwrap();
    let vault = PiiVault::new(&pii(2, &[(1, KEY_1)])).unwrap();

    // An interrupted run: two batches of 5, then stop.
    let first = rotate(
        &pool,
        &vault,
        &PETITIONERS,
        RotationOptions {
            batch_size: 5,
            max_batches: Some(2),
            locked_wait: Duration::from_secs(5),
        },
    )
    .await
    .unwrap();
    assert_eq!(first.resealed, 10);
    assert_eq!(first.remaining, 20);

    // Resume while intake keeps registering (new rows are sealed with version 2 already).
    let writer = {
        let client = client.clone();
        let url = v2.url("");
        tokio::spawn(async move {
            for seq in 31..=60 {
                let (body, _) = petition(seq);
                let res = client
                    .post(format!("{url}/api/v1/petitions"))
                    .bearer_auth(clerk_token())
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status().as_u16(), 201);
            }
        })
    };
    let rest = rotate(
        &pool,
        &vault,
        &PETITIONERS,
        RotationOptions {
            batch_size: 4,
            max_batches: None,
            locked_wait: Duration::from_secs(10),
        },
    )
    .await
    .unwrap();
    writer.await.unwrap();
    assert_eq!(rest.resealed, 20, "each row re-sealed once over both runs");
    assert_eq!(rest.remaining, 0);

    // A third run finds nothing to do.
    let again = rotate(&pool, &vault, &PETITIONERS, RotationOptions::default())
        .await
        .unwrap();
    assert_eq!((again.resealed, again.remaining), (0, 0));

    // Every value opens with version 2 alone and is what was registered.
    let only_v2 = PiiVault::new(&pii(2, &[])).unwrap();
    let rows = sqlx::query(
        "SELECT pr.id, pr.key_version, pr.id_number_enc, pr.phone_enc, pr.address_enc, p.summary \
         FROM petitioners pr JOIN petitions p ON p.id = pr.petition_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 60);
    for row in rows {
        let id: uuid::Uuid = row.get("id");
        assert_eq!(row.get::<i16, _>("key_version"), 2);
        let summary: String = row.get("summary");
        let seq: u32 = summary.rsplit(' ').next().unwrap().parse().unwrap();
        let (_, expected) = petition(seq);
        for (i, column) in ["id_number", "phone", "address"].into_iter().enumerate() {
            let bytes: Vec<u8> = row.get(format!("{column}_enc").as_str());
            let plain = only_v2
                .open(
                    2,
                    &bytes,
                    Aad {
                        table: "petitioners",
                        column,
                        row_id: id,
                    },
                )
                .unwrap_or_else(|e| panic!("{column} of petition {seq}: {e}"));
            assert_eq!(plain.expose(), expected[i], "{column} of petition {seq}");
        }
    }

    // The blind index still finds a petitioner registered before the rotation.
    let res = client
        .get(v2.url(&format!("/api/v1/petitions?id_number={}", id_number(7))))
        .bearer_auth(clerk_token())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let page: Value = res.json().await.unwrap();
    v2.stop().await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
}
