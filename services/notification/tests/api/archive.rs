//! The archive (信访档案) against the real intake: a petition registered at intake becomes final
//! (`administrative-review.case.finalized.v1` on the bus); the archiver packages it; every file
//! matches the manifest's SHA-256 and both audit trails' chain proofs verify; the package is found
//! by case number and by petitioner (identity number, phone) through intake's blind index, only
//! within the caller's unit; a legal hold blocks destruction; destruction needs a second person
//! with the approval right and leaves a record with the manifest and hashes, content gone.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use xinfang_contracts::{events::CaseFinalizedV1, Envelope, Producer};
use xinfang_platform::audit_trail::{verify_trail, CaseTrail};
use xinfang_platform::auth::Role;
use xinfang_test_support::{
    clerk_token, publish, publisher, service_token, spawn_app, token, wait_for, TestEnv, BUREAU,
};

use notification::startup::{self, Options};

use crate::helpers::{names, outbox, settings};

const WAIT: Duration = Duration::from_secs(30);
const ID_NUMBER: &str = "140423199001011237";
const PHONE: &str = "13812345678";

#[tokio::test]
async fn a_final_case_is_archived_found_held_and_destroyed_only_with_a_second_approval() {
    let env = TestEnv::new();
    let intake = spawn_app(intake::startup::build(intake::configuration::Settings {
        platform: env.settings("intake"),
        intake: intake::configuration::IntakeSettings {
            division_code: "140423".into(),
        },
    }))
    .await;
    intake.wait_connected().await;
    let mut s = settings(&env);
    s.notification.contacts.intake_url = intake.address.clone();
    s.notification.contacts.token = Some(
        service_token(
            "notification",
            &["intake.contact.read", "intake.archive.read"],
        )
        .into(),
    );
    s.notification.archive.delay_secs = 0;
    s.notification.archive.poll_interval_ms = 100;
    // A class whose period has already run, so that destruction can be tried today.
    s.notification.archive.default_class = "test".into();
    s.notification
        .archive
        .classes
        .push(notification::configuration::RetentionClassSettings {
            code: "test".into(),
            name: "测试（零年）".into(),
            years: Some(0),
        });
    let app = spawn_app(startup::build_with(
        s,
        Options {
            names: Some(Arc::new(names())),
            ..Options::default()
        },
    ))
    .await;
    app.wait_connected().await;
    let client = reqwest::Client::new();

    let reg: Value = client
        .post(format!("{}/api/v1/petitions", intake.address))
        .bearer_auth(clerk_token())
        .json(&json!({
            "channel": "visit", "summary": "工资被拖欠三个月", "category": "claim",
            "field": "labour_social_security",
            "petitioners": [{ "name": "张三", "id_number": ID_NUMBER, "phone": PHONE }],
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let case_number = reg["case_number"].as_str().unwrap().to_string();
    let case_id: Uuid = reg["id"].as_str().unwrap().parse().unwrap();
    wait_for("the registration receipt", WAIT, || {
        let pool = app.pool.clone();
        async move {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM notices WHERE case_id = $1")
                .bind(case_id)
                .fetch_one(&pool)
                .await
                .unwrap();
            (n > 0).then_some(())
        }
    })
    .await;

    // Final: administrative review publishes it.
    let (broker, _stop) = publisher(&env, Producer::AdministrativeReview).await;
    let finalized = CaseFinalizedV1 {
        petition_id: case_id,
        case_number: case_number.clone(),
        concluded_on: xinfang_platform::time::today_in_china(),
        level: "re_review".into(),
        final_opinion: None,
    };
    let envelope = Envelope::new(&finalized, Some(case_id), None, None);
    publish(&broker, &[envelope.clone(), envelope]).await;

    let archivist = token("archivist-1", BUREAU, &[Role::Archivist]);
    let get = |path: String, who: String| {
        let (client, base) = (client.clone(), app.address.clone());
        async move {
            let r = client
                .get(format!("{base}{path}"))
                .bearer_auth(who)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.bytes().await.unwrap().to_vec())
        }
    };
    let post = |path: String, who: String, body: Value| {
        let (client, base) = (client.clone(), app.address.clone());
        async move {
            let r = client
                .post(format!("{base}{path}"))
                .bearer_auth(who)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let package: Value = wait_for("the archive package", WAIT, || {
        let archivist = archivist.clone();
        async move {
            let (status, body) = get(format!("/api/v1/archive/{case_id}"), archivist).await;
            (status == 200).then(|| serde_json::from_slice(&body).unwrap())
        }
    })
    .await;
    assert_eq!(package["case_number"], case_number.as_str());
    assert_eq!(package["unit"], BUREAU);
    assert_eq!(package["retention_class"], "test");
    assert_eq!(package["retention_name"], "测试（零年）");
    assert_eq!(package["on_hold"], false);

    // Contents: every file matches its checksum; the manifest matches its own.
    let manifest = &package["manifest"];
    let paths: Vec<String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert!(paths.contains(&"case.json".to_string()), "{paths:?}");
    assert!(paths.contains(&"audit/intake.json".to_string()));
    assert!(paths.contains(&"audit/notification.json".to_string()));
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("documents/registration_receipt-") && p.ends_with(".pdf")),
        "{paths:?}"
    );
    for f in manifest["files"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap();
        let (status, bytes) = get(
            format!("/api/v1/archive/{case_id}/files/{path}"),
            archivist.clone(),
        )
        .await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(hex::encode(Sha256::digest(&bytes)), f["sha256"], "{path}");
        assert_eq!(bytes.len() as u64, f["size_bytes"].as_u64().unwrap());
        if path.ends_with(".pdf") {
            assert!(bytes.starts_with(b"%PDF"), "{path}");
        }
    }
    let (_, manifest_file) = get(
        format!("/api/v1/archive/{case_id}/files/manifest.json"),
        archivist.clone(),
    )
    .await;
    assert_eq!(
        hex::encode(Sha256::digest(&manifest_file)),
        package["manifest_sha256"]
    );
    let (_, case_json) = get(
        format!("/api/v1/archive/{case_id}/files/case.json"),
        archivist.clone(),
    )
    .await;
    let case_json: Value = serde_json::from_slice(&case_json).unwrap();
    assert_eq!(
        case_json["intake"]["petition"]["case_number"],
        case_number.as_str()
    );
    assert_eq!(case_json["finality"]["level"], "re_review");
    let person = &case_json["intake"]["petitioners"][0];
    assert_eq!(person["name"], "张三");
    assert_ne!(person["id_number"], ID_NUMBER, "personal data stays masked");
    assert!(!String::from_utf8_lossy(&serde_json::to_vec(&case_json).unwrap()).contains(ID_NUMBER));
    for service in ["intake", "notification"] {
        let (_, trail) = get(
            format!("/api/v1/archive/{case_id}/files/audit/{service}.json"),
            archivist.clone(),
        )
        .await;
        let trail: CaseTrail = serde_json::from_slice(&trail).unwrap();
        assert!(verify_trail(&trail).unwrap() > 0, "{service}");
        assert_eq!(trail.case_id, case_id);
    }
    let (_, trail) = get(
        format!("/api/v1/archive/{case_id}/files/audit/intake.json"),
        archivist.clone(),
    )
    .await;
    let mut trail: CaseTrail = serde_json::from_slice(&trail).unwrap();
    assert!(trail.rows.iter().any(|r| r.action == "petition.register"));
    trail.rows[0].details = json!({ "altered": true });
    assert!(verify_trail(&trail).is_err(), "an altered row is found");

    // The offline check (`xinfangctl archive verify`) finds a changed byte.
    use notification::archive::store::check_package;
    assert!(check_package(&app.pool, case_id).await.unwrap().is_ok());
    sqlx::query(
        "UPDATE archive_files SET content = content || '\\x20'::bytea WHERE case_id = $1 AND path = 'case.json'",
    )
    .bind(case_id)
    .execute(&app.pool)
    .await
    .unwrap();
    let broken = check_package(&app.pool, case_id).await.unwrap();
    assert!(broken.unwrap_err().contains("case.json"));
    sqlx::query(
        "UPDATE archive_files SET content = substring(content from 1 for length(content) - 1) WHERE case_id = $1 AND path = 'case.json'",
    )
    .bind(case_id)
    .execute(&app.pool)
    .await
    .unwrap();
    assert!(check_package(&app.pool, case_id).await.unwrap().is_ok());

    // Found by case number and by petitioner, only within the caller's unit.
    let search = |who: String, body: Value| async move {
        post("/api/v1/archive/search".into(), who, body).await
    };
    for criteria in [
        json!({ "case_number": case_number }),
        json!({ "id_number": ID_NUMBER }),
        json!({ "phone": PHONE }),
    ] {
        let (status, found) = search(archivist.clone(), criteria.clone()).await;
        assert_eq!(status, 200, "{found}");
        assert_eq!(found["items"].as_array().unwrap().len(), 1, "{criteria}");
        assert_eq!(found["items"][0]["case_id"], case_id.to_string());
    }
    let (_, none) = search(
        archivist.clone(),
        json!({ "id_number": "11010519491231002X" }),
    )
    .await;
    assert_eq!(none["items"], json!([]));
    let other_unit = token("archivist-rsj", "140423-RSJ", &[Role::Archivist]);
    let (_, none) = search(other_unit.clone(), json!({ "case_number": case_number })).await;
    assert_eq!(
        none["items"],
        json!([]),
        "another unit's archivist sees nothing"
    );
    let (status, _) = get(format!("/api/v1/archive/{case_id}"), other_unit.clone()).await;
    assert_eq!(status, 404);
    let (status, _) = search(clerk_token(), json!({ "case_number": case_number })).await;
    assert_eq!(status, 403, "a clerk is not an archivist");
    let (status, bad) = search(archivist.clone(), json!({ "id_number": "123" })).await;
    assert_eq!(status, 422);
    assert_eq!(bad["details"]["field"], "id_number");
    let (status, bad) = search(archivist.clone(), json!({})).await;
    assert_eq!(status, 422);
    assert_eq!(bad["details"]["field"], "case_number");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'archive.search_by_petitioner' AND actor = 'archivist-1'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(audited >= 2);

    // A legal hold blocks destruction.
    let (status, held) = post(
        format!("/api/v1/archive/{case_id}/hold"),
        archivist.clone(),
        json!({ "reason": "行政诉讼进行中" }),
    )
    .await;
    assert_eq!(status, 200, "{held}");
    assert_eq!(held["hold"]["reason"], "行政诉讼进行中");
    let (status, refused) = post(
        format!("/api/v1/archive/{case_id}/destruction-requests"),
        archivist.clone(),
        json!({ "reason": "保管期满" }),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(refused["code"], "on_hold");
    let (status, _) = post(
        format!("/api/v1/archive/{case_id}/hold/release"),
        archivist.clone(),
        json!({ "reason": "诉讼终结" }),
    )
    .await;
    assert_eq!(status, 200);

    // Requested by one person; the same person, or one without the right, cannot approve.
    let (status, request) = post(
        format!("/api/v1/archive/{case_id}/destruction-requests"),
        archivist.clone(),
        json!({ "reason": "保管期满" }),
    )
    .await;
    assert_eq!(status, 201, "{request}");
    let request_id = request["id"].as_str().unwrap().to_string();
    let approve = format!("/api/v1/archive/destruction-requests/{request_id}/approve");
    let (status, same) = post(approve.clone(), archivist.clone(), json!({})).await;
    assert_eq!(status, 403);
    assert!(same["message"].as_str().unwrap().contains("申请人以外"));
    let (status, _) = post(approve.clone(), other_unit.clone(), json!({})).await;
    assert_eq!(status, 403, "a unit's archivist may not approve");
    let (status, _) = post(
        approve.clone(),
        token("clerk-2", BUREAU, &[Role::Clerk]),
        json!({}),
    )
    .await;
    assert_eq!(status, 403);
    // A hold placed after the request still blocks the approval.
    post(
        format!("/api/v1/archive/{case_id}/hold"),
        archivist.clone(),
        json!({ "reason": "新的信访事项涉及本案" }),
    )
    .await;
    let second = token("archivist-2", BUREAU, &[Role::Archivist]);
    let (status, _) = post(approve.clone(), second.clone(), json!({})).await;
    assert_eq!(status, 409);
    post(
        format!("/api/v1/archive/{case_id}/hold/release"),
        archivist.clone(),
        json!({ "reason": "已核实无关" }),
    )
    .await;
    let (status, record) = post(
        approve.clone(),
        second.clone(),
        json!({ "comment": "同意销毁" }),
    )
    .await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["status"], "approved");
    assert_eq!(record["requested_by"], "archivist-1");
    assert_eq!(record["approved_by"], "archivist-2");
    assert_eq!(record["manifest_sha256"], package["manifest_sha256"]);
    let destroyed = record["destroyed_files"].as_array().unwrap();
    assert_eq!(
        destroyed.len(),
        paths.len() + 1,
        "every file and the manifest"
    );
    for f in manifest["files"].as_array().unwrap() {
        assert!(destroyed
            .iter()
            .any(|d| d["path"] == f["path"] && d["sha256"] == f["sha256"]));
    }

    // Content gone; manifest, hashes and the record stay; still found by number, not by person.
    let (status, _) = get(
        format!("/api/v1/archive/{case_id}/files/case.json"),
        archivist.clone(),
    )
    .await;
    assert_eq!(status, 410);
    let remaining: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM archive_files WHERE case_id = $1 AND content IS NOT NULL",
    )
    .bind(case_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(remaining, 0);
    let printed: i64 = sqlx::query_scalar("SELECT count(*) FROM documents WHERE case_id = $1")
        .bind(case_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(printed, 0);
    let (_, after) = get(format!("/api/v1/archive/{case_id}"), archivist.clone()).await;
    let after: Value = serde_json::from_slice(&after).unwrap();
    assert!(after["destroyed_at"].is_string());
    assert_eq!(after["manifest"], *manifest);
    assert_eq!(after["destructions"][0]["approved_by"], "archivist-2");
    let (_, found) = search(archivist.clone(), json!({ "case_number": case_number })).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let (_, found) = search(archivist.clone(), json!({ "id_number": ID_NUMBER })).await;
    assert_eq!(found["items"], json!([]));
    let (status, again) = post(approve, second, json!({})).await;
    assert_eq!(status, 409, "{again}");

    assert!(
        check_package(&app.pool, case_id).await.unwrap().is_ok(),
        "a destroyed package checks as destroyed"
    );

    // Published once each, audited.
    let events = outbox(&app.pool).await;
    let keys: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys.iter()
            .filter(|k| **k == "notification.archive.packaged.v1")
            .count(),
        1
    );
    assert_eq!(
        keys.iter()
            .filter(|k| **k == "notification.archive.destroyed.v1")
            .count(),
        1
    );
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE case_id = $1 AND action LIKE 'archive.%' ORDER BY seq",
    )
    .bind(case_id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for a in [
        "archive.package",
        "archive.hold.place",
        "archive.hold.release",
        "archive.destruction.request",
        "archive.destroy",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    let read: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'petition.archive.read' AND case_id = $1 AND actor = 'service:notification'",
    )
    .bind(case_id)
    .fetch_one(&intake.pool)
    .await
    .unwrap();
    assert_eq!(read, 1, "intake audits the archive's read once");
}

#[tokio::test]
async fn intakes_archive_endpoints_admit_only_the_archive_scope() {
    let env = TestEnv::new();
    let intake = spawn_app(intake::startup::build(intake::configuration::Settings {
        platform: env.settings("intake"),
        intake: intake::configuration::IntakeSettings {
            division_code: "140423".into(),
        },
    }))
    .await;
    let client = reqwest::Client::new();
    let call = |who: String| {
        let (client, base) = (client.clone(), intake.address.clone());
        async move {
            client
                .post(format!("{base}/internal/v1/archive/petitioner-indexes"))
                .bearer_auth(who)
                .json(&json!({ "phone": PHONE }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        call(service_token("notification", &["intake.archive.read"])).await,
        200
    );
    assert_eq!(
        call(service_token("notification", &["intake.contact.read"])).await,
        403
    );
    assert_eq!(call(clerk_token()).await, 403);
}
