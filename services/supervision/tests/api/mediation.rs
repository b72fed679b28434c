//! Mediation in supervision: the judicial-confirmation window as a clock, the warning when a
//! mediation outlasts the handling period, the figures by body, mediator, field and township, and
//! the mediation outcomes in the indicators.

use crate::helpers::replica::*;
use supervision::deadlines::domain::calendar::ManualClock;
use uuid::Uuid;
use xinfang_contracts::{
    events::{Category, PetitionAcceptedV1},
    mediation::{
        AgreementNotPerformedV1, AgreementPerformedV1, DisputeRegisteredV1, DisputeResolvedV1,
        JudicialConfirmationAppliedV1, MediationAgreementReachedV1, MediationEndedV1,
        MediationReferredV1, MediatorAssignedV1,
    },
    notices::MediationConcludedV1,
};
use xinfang_platform::Role;
use xinfang_test_support::{token, TestEnv};

const TOWN: &str = "140423-GHZ";

struct Seen {
    body: Uuid,
    mediator: Uuid,
}

async fn referred(
    r: &Replica,
    case: Option<Uuid>,
    dispute: Option<Uuid>,
    s: &Seen,
    on: &str,
) -> Uuid {
    let id = Uuid::now_v7();
    r.apply(
        &MediationReferredV1 {
            mediation_id: id,
            petition_id: case,
            case_number: case.map(|_| "140423-2025-000009".to_string()),
            dispute_id: dispute,
            stage: if case.is_some() {
                "acceptance"
            } else {
                "pre_petition"
            }
            .into(),
            body_id: s.body,
            body_unit: TOWN.into(),
            field: "agriculture_rural".into(),
            township: "古韩镇".into(),
            referred_on: d(on),
        },
        case,
    )
    .await;
    r.apply(
        &MediatorAssignedV1 {
            mediation_id: id,
            petition_id: case,
            mediator_id: s.mediator,
            replaced_mediator_id: None,
            reason: "推荐".into(),
            assigned_on: d(on),
        },
        case,
    )
    .await;
    id
}

fn ended(
    id: Uuid,
    case: Option<Uuid>,
    dispute: Option<Uuid>,
    s: &Seen,
    outcome: &str,
    from: &str,
    on: &str,
) -> MediationEndedV1 {
    MediationEndedV1 {
        mediation_id: id,
        petition_id: case,
        dispute_id: dispute,
        outcome: outcome.into(),
        referred_on: d(from),
        ended_on: d(on),
        reason: "x".into(),
        body_id: s.body,
        body_unit: TOWN.into(),
        mediator_id: Some(s.mediator),
        field: "agriculture_rural".into(),
        township: "古韩镇".into(),
    }
}

#[tokio::test]
async fn mediation_clocks_warnings_and_figures() {
    let env = TestEnv::new();
    let r = start(
        &env,
        &ManualClock::new(d("2024-01-01")),
        serde_json::json!({}),
    )
    .await;
    let s = Seen {
        body: Uuid::now_v7(),
        mediator: Uuid::now_v7(),
    };
    let bureau = token("sup", BUREAU, &[Role::Supervisor]);

    // Case A: accepted, referred, still mediating while its handling period ran out: warned.
    let a = new_case(&r, d("2025-10-01")).await;
    r.apply(
        &PetitionAcceptedV1 {
            petition_id: a,
            case_number: "140423-2025-000009".into(),
            accepted_on: d("2025-10-09"),
            decided_by_unit: BUREAU.into(),
            handling_unit: Some(BUREAU.into()),
            category: Some(Category::Claim),
            simple_track: false,
            reason: "受理".into(),
        },
        Some(a),
    )
    .await;
    let ma = referred(&r, Some(a), None, &s, "2025-10-10").await;
    let res = r
        .client
        .get(r.url("/api/v1/mediation/handling-warnings?within_days=10"))
        .bearer_auth(&bureau)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let warnings: serde_json::Value = res.json().await.unwrap();
    assert_eq!(warnings.as_array().unwrap().len(), 1, "{warnings}");
    assert_eq!(warnings[0]["mediation_id"], ma.to_string());
    assert!(warnings[0]["days_left"].as_i64().unwrap() < 0);
    assert!(warnings[0]["message"]
        .as_str()
        .unwrap()
        .contains("办理期限"));

    // The agreement ends it: no warning; the judicial-confirmation window opens (30 日), and the
    // parties' application meets it.
    let agreement = Uuid::now_v7();
    r.apply(
        &MediationAgreementReachedV1 {
            agreement_id: agreement,
            mediation_id: ma,
            petition_id: Some(a),
            case_number: Some("140423-2025-000009".into()),
            dispute_id: None,
            form: "written".into(),
            agreed_on: d("2025-10-20"),
            effective_on: d("2025-10-20"),
            perform_by: Some(d("2025-10-31")),
            body_id: s.body,
            body_unit: TOWN.into(),
            mediator_id: s.mediator,
            field: "agriculture_rural".into(),
            township: "古韩镇".into(),
            referred_on: d("2025-10-10"),
        },
        Some(a),
    )
    .await;
    r.apply(
        &ended(
            ma,
            Some(a),
            None,
            &s,
            "agreement",
            "2025-10-10",
            "2025-10-20",
        ),
        Some(a),
    )
    .await;
    r.apply(
        &MediationConcludedV1 {
            mediation_id: ma,
            petition_id: a,
            case_number: "140423-2025-000009".into(),
            outcome: "agreement".into(),
            resolves_petition: true,
            concluded_on: d("2025-10-20"),
            reason: "达成协议".into(),
            body_unit: TOWN.into(),
        },
        Some(a),
    )
    .await;
    let (window, status, due) = r.deadline(a, "judicial_confirmation").await;
    assert_eq!(status, "open");
    assert!(due.unwrap() >= d("2025-11-19"), "{due:?}");
    let steps = r.steps(window).await;
    assert_eq!(
        steps.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        vec!["warning", "due"]
    );
    r.apply(
        &JudicialConfirmationAppliedV1 {
            agreement_id: agreement,
            mediation_id: ma,
            petition_id: Some(a),
            dispute_id: None,
            court: "襄垣县人民法院".into(),
            applied_on: d("2025-11-01"),
        },
        Some(a),
    )
    .await;
    assert_eq!(r.deadline(a, "judicial_confirmation").await.1, "met");
    r.apply(
        &AgreementPerformedV1 {
            agreement_id: agreement,
            mediation_id: ma,
            petition_id: Some(a),
            performed_on: d("2025-10-30"),
            body_id: s.body,
            mediator_id: s.mediator,
        },
        Some(a),
    )
    .await;
    let warnings: serde_json::Value = r
        .client
        .get(r.url("/api/v1/mediation/handling-warnings"))
        .bearer_auth(&bureau)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(warnings.as_array().unwrap().is_empty(), "{warnings}");

    // Case B: failed. Case C: agreed, not performed. A dispute resolved before any petition.
    let b = new_case(&r, d("2025-10-02")).await;
    let mb = referred(&r, Some(b), None, &s, "2025-10-12").await;
    r.apply(
        &ended(mb, Some(b), None, &s, "failed", "2025-10-12", "2025-10-15"),
        Some(b),
    )
    .await;
    r.apply(
        &MediationConcludedV1 {
            mediation_id: mb,
            petition_id: b,
            case_number: "140423-2025-000010".into(),
            outcome: "failed".into(),
            resolves_petition: false,
            concluded_on: d("2025-10-15"),
            reason: "调解不成".into(),
            body_unit: TOWN.into(),
        },
        Some(b),
    )
    .await;
    let c = new_case(&r, d("2025-10-03")).await;
    let mc = referred(&r, Some(c), None, &s, "2025-10-13").await;
    let agreement_c = Uuid::now_v7();
    r.apply(
        &MediationAgreementReachedV1 {
            agreement_id: agreement_c,
            mediation_id: mc,
            petition_id: Some(c),
            case_number: Some("140423-2025-000011".into()),
            dispute_id: None,
            form: "oral".into(),
            agreed_on: d("2025-10-19"),
            effective_on: d("2025-10-19"),
            perform_by: Some(d("2025-10-25")),
            body_id: s.body,
            body_unit: TOWN.into(),
            mediator_id: s.mediator,
            field: "agriculture_rural".into(),
            township: "古韩镇".into(),
            referred_on: d("2025-10-13"),
        },
        Some(c),
    )
    .await;
    r.apply(
        &ended(
            mc,
            Some(c),
            None,
            &s,
            "oral_agreement",
            "2025-10-13",
            "2025-10-19",
        ),
        Some(c),
    )
    .await;
    r.apply(
        &AgreementNotPerformedV1 {
            agreement_id: agreement_c,
            mediation_id: mc,
            petition_id: Some(c),
            case_number: None,
            perform_by: Some(d("2025-10-25")),
            flagged_on: d("2025-10-26"),
            returned_to: "handling".into(),
            reason: "未履行".into(),
            body_id: s.body,
            body_unit: TOWN.into(),
            mediator_id: s.mediator,
        },
        Some(c),
    )
    .await;
    let dispute = Uuid::now_v7();
    r.apply(
        &DisputeRegisteredV1 {
            dispute_id: dispute,
            unit: TOWN.into(),
            township: "古韩镇".into(),
            field: "agriculture_rural".into(),
            registered_on: d("2025-10-05"),
        },
        None,
    )
    .await;
    let md = referred(&r, None, Some(dispute), &s, "2025-10-06").await;
    let agreement_d = Uuid::now_v7();
    r.apply(
        &MediationAgreementReachedV1 {
            agreement_id: agreement_d,
            mediation_id: md,
            petition_id: None,
            case_number: None,
            dispute_id: Some(dispute),
            form: "oral".into(),
            agreed_on: d("2025-10-08"),
            effective_on: d("2025-10-08"),
            perform_by: None,
            body_id: s.body,
            body_unit: TOWN.into(),
            mediator_id: s.mediator,
            field: "agriculture_rural".into(),
            township: "古韩镇".into(),
            referred_on: d("2025-10-06"),
        },
        None,
    )
    .await;
    r.apply(
        &ended(
            md,
            None,
            Some(dispute),
            &s,
            "oral_agreement",
            "2025-10-06",
            "2025-10-08",
        ),
        None,
    )
    .await;
    // The dispute's agreement opens its own 30-day window, under the dispute, kept by the body's
    // unit; the parties' application closes it.
    let (window_d, status, due) = r.deadline(dispute, "judicial_confirmation").await;
    assert_eq!(status, "open");
    assert!(due.unwrap() >= d("2025-11-07"), "{due:?}");
    let (number, unit): (String, String) =
        sqlx::query_as("SELECT case_number, unit_code FROM deadlines WHERE id = $1")
            .bind(window_d)
            .fetch_one(r.pool())
            .await
            .unwrap();
    assert_eq!((number, unit.as_str()), (format!("纠纷-{dispute}"), TOWN));
    r.apply(
        &JudicialConfirmationAppliedV1 {
            agreement_id: agreement_d,
            mediation_id: md,
            petition_id: None,
            dispute_id: Some(dispute),
            court: "襄垣县人民法院".into(),
            applied_on: d("2025-10-20"),
        },
        None,
    )
    .await;
    assert_eq!(r.deadline(dispute, "judicial_confirmation").await.1, "met");
    r.apply(
        &DisputeResolvedV1 {
            dispute_id: dispute,
            mediation_id: md,
            unit: TOWN.into(),
            township: "古韩镇".into(),
            field: "agriculture_rural".into(),
            resolved_on: d("2025-10-08"),
        },
        None,
    )
    .await;

    let report: serde_json::Value = r
        .client
        .get(r.url("/api/v1/statistics/mediation?from=2025-10-01&to=2025-10-31&group_by=mediator"))
        .bearer_auth(&bureau)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let t = &report["total"];
    assert_eq!(t["referrals"], 4, "{report}");
    assert_eq!(t["ended"], 4);
    assert_eq!(t["agreements"], 3);
    assert_eq!(t["success_rate"].as_f64(), Some(0.75));
    // (10 + 6 + 2) days over three agreements.
    assert_eq!(t["mean_days_to_agreement"].as_f64(), Some(6.0));
    assert_eq!(t["performance_rate"].as_f64(), Some(0.5));
    assert_eq!(report["groups"][0]["key"], s.mediator.to_string());
    assert_eq!(report["disputes"]["registered"], 1);
    assert_eq!(report["disputes"]["resolved_before_petition"], 1);
    // The body's own unit sees its figures; another unit sees none.
    let mine: serde_json::Value = r
        .client
        .get(r.url("/api/v1/statistics/mediation?from=2025-10-01&to=2025-10-31&group_by=township"))
        .bearer_auth(token("h", TOWN, &[Role::UnitHead]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["total"]["referrals"], 4);
    assert_eq!(mine["groups"][0]["key"], "古韩镇");
    let other: serde_json::Value = r
        .client
        .get(r.url("/api/v1/statistics/mediation?from=2025-10-01&to=2025-10-31"))
        .bearer_auth(token("h", "140423-XHZ", &[Role::UnitHead]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(other["total"]["referrals"], 0);
    assert!(other["total"]["success_rate"].is_null());
    let bad = r
        .client
        .get(r.url("/api/v1/statistics/mediation?from=2025-10-01&to=2025-10-31&group_by=planet"))
        .bearer_auth(&bureau)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);

    // The indicators: mediation measured (A success, B failure); A closed substantively.
    let ind: serde_json::Value = r
        .client
        .get(r.url("/api/v1/statistics/indicators?from=2025-10-01&to=2025-10-31"))
        .bearer_auth(&bureau)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let m = &ind["total"]["mediation_success_rate"];
    assert_eq!(m["status"], "measured", "{ind}");
    assert_eq!(
        (m["numerator"].as_i64(), m["denominator"].as_i64()),
        (Some(1), Some(2))
    );
    let outcomes: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT mediation_outcome FROM case_facts WHERE case_id = ANY($1) ORDER BY case_id",
    )
    .bind(vec![a, b])
    .fetch_all(r.pool())
    .await
    .unwrap();
    assert_eq!(
        outcomes,
        vec![Some("success".to_string()), Some("failure".to_string())]
    );
    r.stop().await;
}
