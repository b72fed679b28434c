//! Documents: every template renders as text and as an A4 PDF whose extracted text (pdftotext)
//! names the case and the issuing organ in Chinese; the same notice prints the same bytes; a
//! template is checked when it is saved, and later notices use the new version.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{json, Value};
use uuid::Uuid;
use xinfang_contracts::{
    events::PetitionAcceptedV1,
    notices::{NoticeRecipient, NoticeRequest, ReviewNoticeRequestedV1},
    Envelope, Producer,
};
use xinfang_platform::Role;
use xinfang_test_support::{
    clerk_token, publish, publisher, spawn_app, token, wait_for, TestEnv, BUREAU,
};

use notification::domain::{
    catalog::{self, Audience},
    names::{InForce, NameTable},
    notice::notices_for,
    CaseContext, NoticeDraft, Recipient,
};
use notification::pdf::{self, FontBook};

use crate::helpers::{build, names, registered};

const CASE: &str = "140423-2025-000042";

/// The text of a PDF as `pdftotext` (poppler-utils) extracts it.
pub fn pdf_text(pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("xf-notice-{}.pdf", Uuid::now_v7()));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-enc")
        .arg("UTF-8")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, installed by .ci/run)");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout).unwrap()
}

fn sample(field: &str) -> String {
    if field.ends_with("_on") {
        return "2025-12-01".into();
    }
    if catalog::is_unit_field(field) {
        return "140400-XFJ".into();
    }
    match field {
        "channel" => "走访".into(),
        "prior_case_number" => "140423-2024-000001".into(),
        "level" => "复查".into(),
        _ => format!("示例{field}内容"),
    }
}

#[test]
fn every_template_renders_as_text_and_as_a_pdf_naming_the_case_and_the_organ() {
    let fonts = FontBook::load(
        Path::new("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
        2,
    )
    .unwrap();
    let table: NameTable = names();
    let composer = InForce {
        stored: Default::default(),
        names: &table,
    };
    let case = CaseContext {
        case_number: CASE.into(),
        registering_unit: BUREAU.into(),
        received_on: NaiveDate::from_ymd_opt(2025, 9, 26).unwrap(),
        anonymous: false,
        contactable: true,
    };
    let e = PetitionAcceptedV1 {
        petition_id: Uuid::now_v7(),
        case_number: CASE.into(),
        accepted_on: NaiveDate::from_ymd_opt(2025, 10, 9).unwrap(),
        decided_by_unit: BUREAU.into(),
        handling_unit: None,
        category: None,
        simple_track: false,
        reason: String::new(),
    };
    let envelope = Envelope::new(&e, Some(e.petition_id), None, None);
    for spec in catalog::ALL {
        let recipient = match spec.audience {
            Audience::Petitioner => Recipient::Petitioner,
            Audience::Unit => Recipient::Unit("140423-ZJJ".into()),
        };
        let draft = NoticeDraft {
            kind: spec.code,
            recipient,
            fields: spec
                .fields
                .iter()
                .map(|f| (f.name.to_string(), sample(f.name)))
                .collect::<BTreeMap<_, _>>(),
            issuing_unit: Some("140423-RSJ".into()),
            document_number: Some("襄人社〔2025〕9号".into()),
            dated_on: NaiveDate::from_ymd_opt(2025, 12, 1).unwrap(),
            request_id: None,
        };
        let notices = notices_for(&envelope, Some(&case), vec![draft], &composer)
            .unwrap_or_else(|err| panic!("{}: {err}", spec.code));
        let n = &notices[0];
        assert!(!n.title.is_empty() && !n.body.is_empty(), "{}", spec.code);
        for text in [&n.title, &n.body] {
            assert!(!text.contains("{{"), "{}: {text}", spec.code);
            assert!(
                !text.contains("140400-XFJ"),
                "{}: a unit code in {text}",
                spec.code
            );
        }
        assert_eq!(n.organ_name, "襄垣县人力资源和社会保障局");
        let doc = notification::domain::document::FormalDocument {
            organ_name: n.organ_name.clone(),
            document_number: n.document_number.clone(),
            case_number: n.case_number.clone(),
            title: n.title.clone(),
            addressee: n.addressee.clone(),
            body: n.body.clone(),
            dated_on: n.dated_on,
        };
        let bytes = pdf::render(&fonts, &doc).unwrap();
        let text = pdf_text(&bytes);
        assert!(text.contains(CASE), "{}: {text}", spec.code);
        assert!(
            text.contains("襄垣县人力资源和社会保障局"),
            "{}: {text}",
            spec.code
        );
        assert!(
            text.contains("二〇二五年十二月一日"),
            "{}: {text}",
            spec.code
        );
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            compact.contains("—1—"),
            "{}: page number in {text:?}",
            spec.code
        );
        if let Ok(dir) = std::env::var("XF_SAMPLE_PDF_DIR") {
            std::fs::write(Path::new(&dir).join(format!("{}.pdf", spec.code)), &bytes).unwrap();
        }
        assert_eq!(bytes, pdf::render(&fonts, &doc).unwrap(), "{}", spec.code);
    }
}

fn request(case_id: Uuid, fields: &[(&str, &str)]) -> NoticeRequest {
    NoticeRequest {
        request_id: Uuid::now_v7(),
        petition_id: case_id,
        case_number: CASE.into(),
        template: "extension_notice".into(),
        issuing_unit: "140423-RSJ".into(),
        recipient: NoticeRecipient::Petitioner,
        recipient_unit: None,
        document_number: Some("襄人社延〔2025〕3号".into()),
        dated_on: NaiveDate::from_ymd_opt(2025, 11, 1).unwrap(),
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

#[tokio::test]
async fn documents_download_as_the_same_pdf_and_templates_are_checked_when_saved() {
    let env = TestEnv::new();
    let app = spawn_app(build(&env)).await;
    app.wait_connected().await;
    let base = app.address.clone();
    let client = reqwest::Client::new();
    let (intake, stop_intake) = publisher(&env, Producer::Intake).await;
    let reg = registered(false);
    publish(
        &intake,
        &[Envelope::new(&reg, Some(reg.petition_id), None, None)],
    )
    .await;
    let (review, stop_review) = publisher(&env, Producer::AdministrativeReview).await;
    let fields = [
        ("reason", "案情复杂，需进一步调查核实"),
        ("original_due_on", "2025-12-08"),
        ("extended_due_on", "2026-01-07"),
    ];
    let first = request(reg.petition_id, &fields);
    publish(
        &review,
        &[Envelope::new(
            &ReviewNoticeRequestedV1 { request: first },
            Some(reg.petition_id),
            None,
            None,
        )],
    )
    .await;

    let url = format!("{base}/api/v1/cases/{}/notices", reg.petition_id);
    let notices: Vec<Value> = wait_for("the extension notice", Duration::from_secs(20), || {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let list: Vec<Value> = client
                .get(url)
                .bearer_auth(clerk_token())
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (list.len() == 2).then_some(list)
        }
    })
    .await;
    let ext = &notices[1];
    assert_eq!(ext["kind"], "extension_notice");
    assert_eq!(ext["template_version"], 1);
    assert_eq!(ext["organ_name"], "襄垣县人力资源和社会保障局");
    assert!(ext["body"].as_str().unwrap().contains("2026年1月7日"));
    let doc_url = format!("{base}{}", ext["document_url"].as_str().unwrap());
    let get_pdf = || async {
        let r = client
            .get(&doc_url)
            .bearer_auth(clerk_token())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        r.bytes().await.unwrap().to_vec()
    };
    let a = get_pdf().await;
    let b = get_pdf().await;
    assert_eq!(a, b, "the same document, the same bytes");
    let text = pdf_text(&a);
    assert!(
        text.contains(CASE) && text.contains("襄垣县人力资源和社会保障局"),
        "{text}"
    );
    assert!(text.contains("襄人社延〔2025〕3号"), "{text}");
    // Another unit sees no document of the case.
    let other = token("h2", "140423-ZJJ", &[Role::Handler]);
    let r = client
        .get(&doc_url)
        .bearer_auth(other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);

    // Templates: checked when saved.
    let admin = token("a1", BUREAU, &[Role::Admin]);
    let put = |body: Value| {
        let (client, admin, base) = (client.clone(), admin.clone(), base.clone());
        async move {
            let r = client
                .put(format!("{base}/api/v1/templates/extension_notice"))
                .bearer_auth(admin)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, e) = put(json!({ "title": "延期告知书", "body": "因{{reason}}延期至{{extended_due_on}}，原期限{{original_due_on}}，{{shoe_size}}" })).await;
    assert_eq!(
        (s, e["details"]["field"].as_str()),
        (422, Some("body")),
        "{e}"
    );
    assert!(e["message"].as_str().unwrap().contains("shoe_size"));
    let (s, e) =
        put(json!({ "title": "延期告知书", "body": "因{{reason}}延期至{{extended_due_on}}" }))
            .await;
    assert_eq!(s, 422);
    assert!(
        e["message"].as_str().unwrap().contains("original_due_on"),
        "{e}"
    );
    let clerk = client
        .put(format!("{base}/api/v1/templates/extension_notice"))
        .bearer_auth(clerk_token())
        .json(&json!({ "title": "x", "body": "{{reason}}{{original_due_on}}{{extended_due_on}}" }))
        .send()
        .await
        .unwrap();
    assert_eq!(clerk.status().as_u16(), 403);
    let (s, v) = put(json!({
        "title": "延期办理告知书",
        "body": "您的信访事项（{{case_number}}）原应于{{original_due_on}}前办结，因{{reason}}，延长至{{extended_due_on}}（第二版）。"
    }))
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["version"], 2);

    let second = request(reg.petition_id, &fields);
    publish(
        &review,
        &[Envelope::new(
            &ReviewNoticeRequestedV1 { request: second },
            Some(reg.petition_id),
            None,
            None,
        )],
    )
    .await;
    let notices: Vec<Value> = wait_for(
        "the second extension notice",
        Duration::from_secs(20),
        || {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let list: Vec<Value> = client
                    .get(url)
                    .bearer_auth(clerk_token())
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                (list.len() == 3).then_some(list)
            }
        },
    )
    .await;
    assert_eq!(notices[2]["template_version"], 2);
    assert_eq!(notices[2]["title"], "延期办理告知书");
    assert!(notices[2]["body"].as_str().unwrap().contains("（第二版）"));
    // The first notice keeps its text and its document.
    assert_eq!(get_pdf().await, a);
    let versions: Vec<Value> = client
        .get(format!("{base}/api/v1/templates/extension_notice"))
        .bearer_auth(clerk_token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| v["version"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [2, 1]
    );
    stop_intake.cancel();
    stop_review.cancel();
    app.stop().await;
}
