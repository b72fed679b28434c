//! The channel follows what the petitioner stated at registration (issue 15): intake records the
//! e-mail address (sealed, masked in views) and the preference; notification reads both from
//! intake's internal contact endpoint at send time and sends the receipt by e-mail through a real
//! SMTP server the test starts, not by SMS (the gateway is configured and receives nothing).

use std::time::Duration;

use serde_json::{json, Value};
use uuid::Uuid;
use xinfang_platform::Role;
use xinfang_test_support::{
    clerk_token, service_token, spawn_app, token, wait_for, TestEnv, BUREAU,
};

use notification::startup::{self, Options};

use crate::helpers::{channel_settings, names};
use crate::servers::{start_gateway, Gateway, Smtp};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_petitioner_who_prefers_e_mail_gets_the_notice_by_e_mail() {
    let env = TestEnv::new();
    let intake = spawn_app(intake::startup::build(intake::configuration::Settings {
        platform: env.settings("intake"),
        intake: intake::configuration::IntakeSettings {
            division_code: "140423".into(),
        },
    }))
    .await;
    intake.wait_connected().await;
    let smtp = Smtp::default();
    let port = smtp.start().await;
    let gw = Gateway::default();
    let url = start_gateway(gw.clone());
    let mut settings = channel_settings(&env, Some(&url), Some(port), 3);
    settings.notification.contacts.intake_url = intake.address.clone();
    settings.notification.contacts.token =
        Some(service_token("notification", &["intake.contact.read"]).into());
    let app = spawn_app(startup::build_with(
        settings,
        Options {
            names: Some(std::sync::Arc::new(names())),
            ..Options::default()
        },
    ))
    .await;
    app.wait_connected().await;
    let client = reqwest::Client::new();
    let register = |petitioner: Value| {
        let (client, base) = (client.clone(), intake.address.clone());
        async move {
            let r = client
                .post(format!("{base}/api/v1/petitions"))
                .bearer_auth(clerk_token())
                .json(&json!({
                    "channel": "letter", "summary": "小区物业多收取费用", "category": "claim",
                    "field": "urban_rural_construction", "petitioners": [petitioner],
                }))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };

    // A preference needs the address it names; a bad address is named.
    let (s, e) =
        register(json!({ "name": "李四", "phone": "13812345678", "preferred_channel": "email" }))
            .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["details"]["field"], "petitioners[0].preferred_channel");
    let (s, e) =
        register(json!({ "name": "李四", "email": "lisi@", "preferred_channel": "email" })).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["details"]["field"], "petitioners[0].email");

    let (s, reg) = register(json!({
        "name": "李四", "phone": "13812345678", "email": "LiSi@Example.CN", "preferred_channel": "email",
    }))
    .await;
    assert_eq!(s, 201, "{reg}");
    let case_id: Uuid = reg["id"].as_str().unwrap().parse().unwrap();
    let case_number = reg["case_number"].as_str().unwrap().to_string();

    // Sealed at rest, masked for a clerk, in full for a holder of the right (audited).
    let sealed: Vec<u8> =
        sqlx::query_scalar("SELECT email_enc FROM petitioner_contacts WHERE petition_id = $1")
            .bind(case_id)
            .fetch_one(&intake.pool)
            .await
            .unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains("lisi"));
    let view: Value = client
        .get(format!("{}/api/v1/petitions/{case_id}", intake.address))
        .bearer_auth(clerk_token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["petitioners"][0]["email"], "L***@example.cn");
    assert_eq!(view["petitioners"][0]["preferred_channel"], "email");
    let full: Value = client
        .get(format!("{}/api/v1/petitions/{case_id}", intake.address))
        .bearer_auth(token("pii-1", BUREAU, &[Role::Clerk, Role::PiiViewer]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(full["petitioners"][0]["email"], "LiSi@example.cn");

    // The registration receipt goes by e-mail, to the address intake holds.
    let message = wait_for("the receipt by e-mail", WAIT, || {
        let smtp = smtp.clone();
        async move { smtp.messages.lock().unwrap().first().cloned() }
    })
    .await;
    assert!(message.contains("To: LiSi@example.cn"), "{message}");
    assert!(message.contains("application/pdf"));
    assert!(message.contains(&format!("{case_number}-registration_receipt.pdf")));
    let delivered = wait_for("the delivery recorded as e-mail", WAIT, || {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT channel FROM deliveries WHERE case_id = $1 AND status = 'delivered' AND channel <> 'online'",
            )
            .bind(case_id)
            .fetch_optional(&pool)
            .await
            .unwrap()
        }
    })
    .await;
    assert_eq!(delivered, "email");
    assert!(
        gw.received().is_empty(),
        "no SMS when e-mail is preferred: {:?}",
        gw.received()
    );
    let fields: Value = sqlx::query_scalar(
        "SELECT details -> 'fields' FROM audit_log WHERE action = 'petition.contact.read' AND case_id = $1",
    )
    .bind(case_id)
    .fetch_one(&intake.pool)
    .await
    .unwrap();
    assert_eq!(fields, json!(["name", "phone", "email"]));
    app.stop().await;
    intake.stop().await;
}
