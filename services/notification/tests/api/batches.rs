use std::sync::Arc;

use chrono::NaiveDate;
use uuid::Uuid;
use xinfang_contracts::{
    events::{PetitionRegisteredV1, PetitionTransferredV1},
    Envelope,
};
use xinfang_messaging::{InboxProcessor, Outcome};
use xinfang_test_support::{TestEnv, BUREAU};

use crate::helpers::{build, registered};

/// What a notice says, whichever way it was written.
#[derive(Debug, PartialEq, sqlx::FromRow)]
struct NoticeRow {
    kind: String,
    recipient_kind: String,
    recipient_unit: Option<String>,
    channel: String,
    title: String,
    body: String,
    status: String,
}

/// Whom a transfer told, about which case.
#[derive(Debug, PartialEq, sqlx::FromRow)]
struct TransferNotice {
    recipient_kind: String,
    recipient_unit: Option<String>,
    case_number: String,
}

#[tokio::test]
async fn registrations_applied_as_one_batch_leave_the_notices_one_by_one_leaves() {
    let env = TestEnv::new();
    let app = build(&env).await.unwrap().without_signal_handling();
    let pool = app.pool().clone();
    let names: Arc<dyn notification::domain::names::OrganNames> = Arc::new(crate::helpers::names());
    let mut inbox = InboxProcessor::new(
        pool.clone(),
        Arc::new(notification::events::NotificationEvents {
            names: names.clone(),
        }),
        None,
    )
    .with_writer(Arc::new(xinfang_platform::audit::AuditBatchWriter));
    // As the service does: the drafts of a batch's other events are stored at its end.
    for writer in notification::startup::batch_writers(names) {
        inbox = inbox.with_writer(writer);
    }
    // The same six registrations (anonymous or not, reachable by phone or not), twice.
    let kinds = [
        (false, true),
        (true, false),
        (false, false),
        (true, true),
        (false, true),
        (false, false),
    ];
    let make = || -> Vec<(PetitionRegisteredV1, Envelope)> {
        kinds
            .iter()
            .map(|&(anonymous, contactable)| {
                let e = PetitionRegisteredV1 {
                    contactable,
                    ..registered(anonymous)
                };
                let envelope = Envelope::new(&e, Some(e.petition_id), None, None);
                (e, envelope)
            })
            .collect()
    };
    let one_by_one = make();
    for (_, envelope) in &one_by_one {
        assert_eq!(inbox.apply(envelope).await, Outcome::Applied);
    }
    let transfer_of = |e: &PetitionRegisteredV1| PetitionTransferredV1 {
        petition_id: e.petition_id,
        case_number: e.case_number.clone(),
        decided_on: NaiveDate::from_ymd_opt(2025, 9, 29).unwrap(),
        decided_by_unit: BUREAU.into(),
        to_unit: "140423-RSJ".into(),
        reason: "属于人社部门职责".into(),
    };
    // The first case is transferred after its registration, one event at a time as well.
    assert_eq!(
        inbox
            .apply(&Envelope::caused_by(
                &transfer_of(&one_by_one[0].0),
                &one_by_one[0].1
            ))
            .await,
        Outcome::Applied
    );
    let together = make();
    let transferred = transfer_of(&together[0].0);
    let mut envelopes: Vec<Envelope> = together.iter().map(|(_, e)| e.clone()).collect();
    // A transfer of the first case amid the registrations (it must find the case registered just
    // before it in the batch), and a second copy of a registration.
    envelopes.insert(3, Envelope::caused_by(&transferred, &together[0].1));
    envelopes.push(together[4].1.clone());
    let outcomes = inbox.apply_together(&envelopes).await.unwrap();
    let mut expected = vec![Outcome::Applied; 7];
    expected.push(Outcome::Duplicate);
    assert_eq!(outcomes, expected);

    // Each case's notices (and its audit record) as one by one, case for case.
    let notices = |case_id: Uuid| {
        let pool = pool.clone();
        async move {
            let rows: Vec<NoticeRow> =
                sqlx::query_as(
                    "SELECT kind, recipient_kind, recipient_unit, channel, title, body, status FROM notices
                     WHERE case_id = $1 AND kind = 'registration_receipt' ORDER BY recipient_kind, kind",
                )
                .bind(case_id)
                .fetch_all(&pool)
                .await
                .unwrap();
            let audited: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM audit_log WHERE case_id = $1 AND action = 'notice.create'
                 AND details->>'event' LIKE 'intake.petition.registered%'",
            )
            .bind(case_id)
            .fetch_one(&pool)
            .await
            .unwrap();
            (rows, audited)
        }
    };
    let mut with_receipt = 0;
    for ((a, _), (b, _)) in one_by_one.iter().zip(&together) {
        let expected = notices(a.petition_id).await;
        // An anonymous petitioner gets no receipt, and no notice means no audit record.
        assert_eq!(expected.0.is_empty(), a.anonymous);
        assert_eq!(expected.1, i64::from(!a.anonymous));
        with_receipt += usize::from(!a.anonymous);
        assert_eq!(notices(b.petition_id).await, expected);
    }
    assert_eq!(with_receipt, 4);
    // The transfer told the petitioner and the receiving unit, with the case's number.
    let transfer: Vec<TransferNotice> = sqlx::query_as(
        "SELECT recipient_kind, recipient_unit, case_number FROM notices
         WHERE case_id = $1 AND kind <> 'registration_receipt' ORDER BY recipient_kind",
    )
    .bind(together[0].0.petition_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        transfer,
        vec![
            TransferNotice {
                recipient_kind: "petitioner".to_string(),
                recipient_unit: None,
                case_number: together[0].0.case_number.clone()
            },
            TransferNotice {
                recipient_kind: "unit".to_string(),
                recipient_unit: Some("140423-RSJ".to_string()),
                case_number: together[0].0.case_number.clone()
            },
        ]
    );
    // Stored at the end of the batch, the transfer's notices and their audit record are those of
    // the transfer applied on its own.
    let transfer_notices = |case_id: Uuid| {
        let pool = pool.clone();
        async move {
            let rows: Vec<NoticeRow> = sqlx::query_as(
                "SELECT kind, recipient_kind, recipient_unit, channel, title, body, status FROM notices
                 WHERE case_id = $1 AND kind <> 'registration_receipt' ORDER BY recipient_kind, kind",
            )
            .bind(case_id)
            .fetch_all(&pool)
            .await
            .unwrap();
            let audited: Vec<serde_json::Value> = sqlx::query_scalar(
                "SELECT details FROM audit_log WHERE case_id = $1 AND action = 'notice.create'
                 AND details->>'event' LIKE 'intake.petition.transferred%'",
            )
            .bind(case_id)
            .fetch_all(&pool)
            .await
            .unwrap();
            (rows, audited)
        }
    };
    let alone = transfer_notices(one_by_one[0].0.petition_id).await;
    assert_eq!(alone.0.len(), 2);
    assert_eq!(alone.1.len(), 1);
    assert_eq!(alone.1[0]["notices"], 2);
    assert_eq!(transfer_notices(together[0].0.petition_id).await, alone);
    let verified = xinfang_platform::audit::verify(&pool).await.unwrap();
    assert_eq!(verified.first_break, None);
    pool.close().await;
}
