//! Indicators, hot spots and reports checked against a hand-computed fixture of 20 cases built
//! from events with known dates and decisions.

use std::collections::BTreeMap;

use chrono::{Duration as Days, NaiveDate, Utc};
use serde_json::Value;
use supervision::findings::{
    domain::{NewFinding, Question},
    events::raise,
};
use uuid::Uuid;
use xinfang_contracts::{
    events::{
        Channel, PetitionAcceptedV1, PetitionAssignedV1, PetitionDeclinedV1, PetitionRegisteredV1,
        PetitionTransferredV1, RepeatLinkedV1,
    },
    Envelope, Event,
};
use xinfang_messaging::consumer::Outcome;
use xinfang_platform::Role;
use xinfang_test_support::{token, BUREAU};

use crate::helpers::app::{date, TestApp};

impl TestApp {
    async fn apply_event<E: Event>(&self, e: &E, case_id: Uuid) {
        let env = Envelope::new(e, Some(case_id), None, None);
        if let Some(collected) = self.collected.lock().unwrap().as_mut() {
            collected.push(env);
            return;
        }
        assert_eq!(self.inbox.apply(&env).await, Outcome::Applied);
        // Delivered twice: still counted once.
        assert_eq!(self.inbox.apply(&env).await, Outcome::Duplicate);
    }

    async fn register(
        &self,
        received: NaiveDate,
        field: &str,
        township: &str,
        channel: Channel,
        respondent: Option<&str>,
    ) -> Uuid {
        let id = Uuid::now_v7();
        self.apply_event(
            &PetitionRegisteredV1 {
                petition_id: id,
                case_number: format!("140423-2025-{}", &id.simple().to_string()[20..]),
                channel,
                received_on: received,
                registered_at: Utc::now(),
                registering_unit: BUREAU.into(),
                division_code: "140423".into(),
                field: Some(field.into()),
                township: Some(township.into()),
                respondent_unit: respondent.map(String::from),
                ..PetitionRegisteredV1::minimal_defaults()
            },
            id,
        )
        .await;
        id
    }
}

fn leader() -> String {
    token("leader-1", BUREAU, &[Role::Leader])
}

/// The fixture (acceptance due = received + 15 日: 2025-03-03 → 03-18, 2025-03-10 → 03-25, both
/// working days, so no roll-forward):
///
/// | cases | received | field | township | channel | decision | unit after |
/// | 0–5   | 03-03 | labour  | T1 | visit  | 交办 RSJ on 03-13 (on time)  | RSJ |
/// | 6–7   | 03-03 | labour  | T1 | visit  | 交办 RSJ on 03-23 (late)     | RSJ |
/// | 8–9   | 03-03 | labour  | T1 | visit  | none                          | XFJ |
/// | 10–13 | 03-10 | urban   | T2 | letter | 受理, ZJJ on 03-15 (on time)  | ZJJ |
/// | 14    | 03-10 | urban   | T2 | letter | 转送 ZJJ on 03-26 (late)      | ZJJ |
/// | 15    | 03-10 | urban   | T2 | letter | 不予受理 on 03-11 (on time)   | XFJ |
/// | 16–17 | 03-10 | education | T1 | online | 受理, JYJ on 04-09 (late)   | JYJ |
/// | 18–19 | 03-10 | education | T1 | online | none                        | XFJ |
/// Repeats: 1, 11, 17. Respondent units: cases 0–4 name "140423-RSJ", 10–11 name "140423-ZJJ".
async fn fixture(app: &TestApp) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for i in 0..20usize {
        let (received, field, township, channel) = match i {
            0..=9 => (
                date(2025, 3, 3),
                "labour_social_security",
                "T1",
                Channel::Visit,
            ),
            10..=15 => (
                date(2025, 3, 10),
                "urban_rural_construction",
                "T2",
                Channel::Letter,
            ),
            _ => (date(2025, 3, 10), "education", "T1", Channel::Online),
        };
        let respondent = match i {
            0..=4 => Some("140423-RSJ"),
            10 | 11 => Some("140423-ZJJ"),
            _ => None,
        };
        ids.push(
            app.register(received, field, township, channel, respondent)
                .await,
        );
    }
    for (i, id) in ids.iter().copied().enumerate() {
        let assign = |on: NaiveDate| PetitionAssignedV1 {
            petition_id: id,
            case_number: "c".into(),
            decided_on: on,
            decided_by_unit: BUREAU.into(),
            to_unit: "140423-RSJ".into(),
            due_on: on + Days::days(60),
            instructions: "依法办理".into(),
        };
        let accept = |on: NaiveDate, unit: &str| PetitionAcceptedV1 {
            petition_id: id,
            case_number: "c".into(),
            accepted_on: on,
            decided_by_unit: BUREAU.into(),
            handling_unit: Some(unit.into()),
            category: None,
            simple_track: false,
            reason: "属于职责范围".into(),
        };
        match i {
            0..=5 => app.apply_event(&assign(date(2025, 3, 13)), id).await,
            6 | 7 => app.apply_event(&assign(date(2025, 3, 23)), id).await,
            10..=13 => {
                app.apply_event(&accept(date(2025, 3, 15), "140423-ZJJ"), id)
                    .await
            }
            14 => {
                app.apply_event(
                    &PetitionTransferredV1 {
                        petition_id: id,
                        case_number: "c".into(),
                        decided_on: date(2025, 3, 26),
                        decided_by_unit: BUREAU.into(),
                        to_unit: "140423-ZJJ".into(),
                        reason: "属其职责".into(),
                    },
                    id,
                )
                .await
            }
            15 => {
                app.apply_event(
                    &PetitionDeclinedV1 {
                        petition_id: id,
                        case_number: "c".into(),
                        decided_on: date(2025, 3, 11),
                        decided_by_unit: BUREAU.into(),
                        reason: "已进入诉讼程序".into(),
                        legal_channel: None,
                        guidance: "请向人民法院反映".into(),
                        ground: None,
                    },
                    id,
                )
                .await
            }
            16 | 17 => {
                app.apply_event(&accept(date(2025, 4, 9), "140423-JYJ"), id)
                    .await
            }
            _ => {}
        }
    }
    for i in [1, 11, 17] {
        app.apply_event(
            &RepeatLinkedV1 {
                petition_id: ids[i],
                case_number: "c".into(),
                earlier_petition_id: ids[0],
                earlier_case_number: "c".into(),
            },
            ids[i],
        )
        .await;
    }
    // Findings raised in March 2025: 应受理不受理 for cases 8 and 9 (XFJ), 应办理不办理 for case 6 (RSJ).
    let mut tx = app.service.pool.begin().await.unwrap();
    for (q, i, unit) in [
        (Question::Unaccepted, 8, BUREAU),
        (Question::Unaccepted, 9, BUREAU),
        (Question::Unhandled, 6, "140423-RSJ"),
    ] {
        let finding = NewFinding {
            question: q,
            case_id: Some(ids[i]),
            unit: unit.to_string(),
            subject_ref: format!("fixture:{i}"),
            detail: "fixture".into(),
        };
        raise(
            &mut xinfang_messaging::UnitOfWork::immediate(&mut tx),
            &finding,
        )
        .await
        .unwrap();
    }
    sqlx::query("UPDATE findings SET raised_at = '2025-03-26 10:00:00+08' WHERE subject_ref LIKE 'fixture:%'")
        .execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    ids
}

fn rate(v: &Value) -> (Option<f64>, i64, i64) {
    (
        v["value"].as_f64(),
        v["numerator"].as_i64().unwrap(),
        v["denominator"].as_i64().unwrap(),
    )
}

fn groups(report: &Value) -> BTreeMap<String, Value> {
    report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap().to_string(),
                g["indicators"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn indicators_and_reports_match_the_hand_computed_fixture() {
    let app = TestApp::spawn().await;
    fixture(&app).await;
    let q = "/api/v1/statistics/indicators?from=2025-03-01&to=2025-03-31";

    // Rights and validation.
    assert_eq!(app.get(q, &token("c", BUREAU, &[Role::Clerk])).await.0, 403);
    assert_eq!(
        app.get(
            "/api/v1/statistics/indicators?from=2025-03-31&to=2025-03-01",
            &leader()
        )
        .await
        .0,
        422
    );
    assert_eq!(
        app.get(
            "/api/v1/statistics/indicators?from=2025-03-01&to=2025-03-31&group_by=planet",
            &leader()
        )
        .await
        .0,
        422
    );

    let (s, r) = app.get(&format!("{q}&group_by=unit"), &leader()).await;
    assert_eq!(s, 200, "{r}");
    let t = &r["total"];
    assert_eq!(t["volume"]["value"].as_f64(), Some(20.0));
    // Decisions with a known limit: 6+2 交办, 4 受理, 1 转送, 1 不予受理, 2 受理 = 16; on time 6+4+1 = 11.
    assert_eq!(
        rate(&t["on_time_acceptance_rate"]),
        (Some(11.0 / 16.0), 11, 16)
    );
    assert_eq!(rate(&t["repeat_petition_rate"]), (Some(3.0 / 20.0), 3, 20));
    // Hot fields: 10 labour + 6 urban of 20 with a field.
    assert_eq!(rate(&t["hot_field_share"]), (Some(0.8), 16, 20));
    assert_eq!(t["transfers"]["value"].as_f64(), Some(1.0));
    assert_eq!(t["assignments"]["value"].as_f64(), Some(8.0));
    assert_eq!(t["findings"]["unaccepted"], 2);
    assert_eq!(t["findings"]["unhandled"], 1);
    assert_eq!(t["findings"]["unaccounted"], 0);
    // Not measured yet: absent, never zero.
    // Satisfaction is measured (notification's ratings) but nobody has rated yet.
    assert_eq!(t["satisfaction_rate"]["status"], "no_cases");
    assert!(t["satisfaction_rate"]["value"].is_null());
    // Mediation is measured (mediation publishes its outcome): no case was mediated.
    assert_eq!(t["mediation_success_rate"]["status"], "no_cases");
    // Closures are measured (administrative review's case.closed); the fixture has none.
    assert_eq!(t["on_time_closure_rate"]["status"], "no_cases");
    assert_eq!(t["substantive_closures"]["value"].as_f64(), Some(0.0));
    assert_eq!(t["procedural_closures"]["value"].as_f64(), Some(0.0));
    let by_unit = groups(&r);
    assert_eq!(
        by_unit.keys().cloned().collect::<Vec<_>>(),
        vec!["140423-JYJ", "140423-RSJ", BUREAU, "140423-ZJJ"]
    );
    assert_eq!(by_unit["140423-RSJ"]["volume"]["value"].as_f64(), Some(8.0));
    assert_eq!(
        rate(&by_unit["140423-RSJ"]["on_time_acceptance_rate"]),
        (Some(0.75), 6, 8)
    );
    assert_eq!(by_unit["140423-RSJ"]["findings"]["unhandled"], 1);
    assert_eq!(
        rate(&by_unit["140423-ZJJ"]["on_time_acceptance_rate"]),
        (Some(0.8), 4, 5)
    );
    assert_eq!(
        rate(&by_unit[BUREAU]["on_time_acceptance_rate"]),
        (Some(1.0), 1, 1)
    );
    assert_eq!(by_unit[BUREAU]["volume"]["value"].as_f64(), Some(5.0));
    assert_eq!(by_unit[BUREAU]["findings"]["unaccepted"], 2);
    assert_eq!(
        rate(&by_unit["140423-JYJ"]["on_time_acceptance_rate"]),
        (Some(0.0), 0, 2)
    );

    let (_, r) = app.get(&format!("{q}&group_by=township"), &leader()).await;
    let by_t = groups(&r);
    assert_eq!(
        (
            by_t["T1"]["volume"]["value"].as_f64(),
            by_t["T2"]["volume"]["value"].as_f64()
        ),
        (Some(14.0), Some(6.0))
    );
    // T1 decisions: 8 交办 (6 on time) + 2 受理 late = 6/10.
    assert_eq!(
        rate(&by_t["T1"]["on_time_acceptance_rate"]),
        (Some(0.6), 6, 10)
    );
    assert_eq!(by_t["T1"]["findings"]["unaccepted"], 2);
    let (_, r) = app.get(&format!("{q}&group_by=field"), &leader()).await;
    let by_f = groups(&r);
    assert_eq!(by_f["education"]["volume"]["value"].as_f64(), Some(4.0));
    assert_eq!(
        rate(&by_f["education"]["hot_field_share"]),
        (Some(0.0), 0, 4)
    );
    let (_, r) = app.get(&format!("{q}&group_by=channel"), &leader()).await;
    let by_c = groups(&r);
    assert_eq!(
        rate(&by_c["letter"]["on_time_acceptance_rate"]),
        (Some(5.0 / 6.0), 5, 6)
    );
    assert_eq!(
        rate(&by_c["online"]["repeat_petition_rate"]),
        (Some(0.25), 1, 4)
    );

    // A period with no cases: rates have no cases, not 0 %.
    let (_, empty) = app
        .get(
            "/api/v1/statistics/indicators?from=2024-03-01&to=2024-03-31",
            &leader(),
        )
        .await;
    assert_eq!(
        empty["total"]["on_time_acceptance_rate"]["status"],
        "no_cases"
    );
    assert!(empty["total"]["on_time_acceptance_rate"]["value"].is_null());

    // A unit sees itself.
    let rsj = token("h", "140423-RSJ", &[Role::UnitHead]);
    let (_, mine) = app.get(&format!("{q}&group_by=unit"), &rsj).await;
    assert_eq!(mine["scope"], "140423-RSJ");
    assert_eq!(mine["total"]["volume"]["value"].as_f64(), Some(8.0));
    assert_eq!(mine["total"]["findings"]["unaccepted"], 0);
    assert_eq!(
        groups(&mine).keys().cloned().collect::<Vec<_>>(),
        vec!["140423-RSJ"]
    );

    // The rollup maintained event by event equals one rebuilt from the facts.
    let snapshot = || async {
        // Shards summed (migration 0005), as every reader does.
        sqlx::query_as::<_, (String, String, NaiveDate, String, i64, i64, i64, i64, i64, i64, i64, i64)>(
            "SELECT scope_unit, dim, day, dim_value, sum(registered)::int8, sum(with_field)::int8, sum(hot_field)::int8,
                    sum(decided_known)::int8, sum(accepted_on_time)::int8, sum(repeat)::int8, sum(transferred)::int8, sum(assigned)::int8
             FROM indicator_rollup GROUP BY 1, 2, 3, 4
             HAVING sum(registered) <> 0 OR sum(decided_known) <> 0 ORDER BY 1, 2, 3, 4",
        )
        .fetch_all(&app.service.pool)
        .await
        .unwrap()
    };
    let incremental = snapshot().await;
    supervision::statistics::store::rollup::rebuild_rollup(&app.service.pool)
        .await
        .unwrap();
    assert_eq!(incremental, snapshot().await);

    // The annual report and the monthly 通报 carry the same figures.
    let (s, ct, md) = app.text("/api/v1/reports/annual/2025", &leader()).await;
    assert_eq!(s, 200);
    assert!(ct.starts_with("text/markdown"));
    assert!(md.starts_with("# 全县2025年度信访情况报告"), "{md}");
    assert!(md.contains("共登记信访事项20件"), "{md}");
    assert!(md.contains("按期受理率：68.8%（11/16）"), "{md}");
    assert!(md.contains("重复信访率：15.0%（3/20）"), "{md}");
    assert!(
        md.contains(
            "五大重点领域（城乡建设、劳动保障、农业农村、自然资源、涉法涉诉）占比：80.0%（16/20）"
        ),
        "{md}"
    );
    assert!(md.contains("群众满意率：无可统计件"), "{md}");
    assert!(md.contains("转送1件，交办8件"), "{md}");
    assert!(md.contains("| 劳动保障 | 10 |"), "{md}");
    assert!(
        md.contains("| 襄垣县人力资源和社会保障局 | 5 |")
            && md.contains("| 襄垣县住房和城乡建设局 | 2 |"),
        "most complained: {md}"
    );
    assert!(md.contains("| 襄垣县信访局 | 0 | 2 | 0 | 0 | 0 |"), "{md}");
    let (s, ct, html) = app
        .text("/api/v1/reports/monthly/2025-03?format=html", &leader())
        .await;
    assert_eq!(s, 200);
    assert!(ct.starts_with("text/html"));
    assert!(
        html.contains("<h1>全县2025年3月信访工作通报</h1>"),
        "{html}"
    );
    assert!(
        html.contains(
            "<td>襄垣县人力资源和社会保障局</td><td>0</td><td>0</td><td>1</td><td>0</td><td>0</td>"
        ),
        "{html}"
    );
    let (_, _, april) = app.text("/api/v1/reports/monthly/2025-04", &leader()).await;
    assert!(
        april.contains("共登记信访事项0件") && april.contains("本月无考核发现"),
        "{april}"
    );
    assert_eq!(
        app.text("/api/v1/reports/monthly/2025-13", &leader())
            .await
            .0,
        422
    );
    assert_eq!(
        app.text("/api/v1/reports/annual/2025?format=pdf", &leader())
            .await
            .0,
        422
    );
    assert_eq!(
        app.text(
            "/api/v1/reports/annual/2025",
            &token("c", BUREAU, &[Role::Clerk])
        )
        .await
        .0,
        403
    );
    app.stop().await;
}

async fn rollup(app: &TestApp) -> Vec<(String, String, NaiveDate, String, Vec<i64>)> {
    sqlx::query_as::<_, (String, String, NaiveDate, String, Vec<i64>)>(
        "SELECT scope_unit, dim, day, dim_value,
                ARRAY[sum(registered), sum(with_field), sum(hot_field), sum(decided_known),
                      sum(accepted_on_time), sum(repeat), sum(transferred), sum(assigned)]::int8[]
         FROM indicator_rollup GROUP BY 1, 2, 3, 4
         HAVING sum(registered) <> 0 OR sum(decided_known) <> 0 ORDER BY 1, 2, 3, 4",
    )
    .fetch_all(&app.service.pool)
    .await
    .unwrap()
}

/// Every deadline with its timer steps, without ids (two apps register with ids of their own).
async fn clocks(
    app: &TestApp,
) -> Vec<(
    String,
    String,
    NaiveDate,
    Option<NaiveDate>,
    String,
    Vec<String>,
)> {
    sqlx::query_as(
        "SELECT d.kind, d.unit_code, d.start_date, d.due_date, d.status,
                array_remove(array_agg(s.step || '@' || coalesce(s.fire_on::text, '-')
                                       || CASE WHEN s.cancelled_at IS NULL THEN '' ELSE ' cancelled' END
                                       ORDER BY s.seq), NULL)
         FROM deadlines d LEFT JOIN deadline_steps s ON s.deadline_id = d.id
         GROUP BY d.id ORDER BY 1, 2, 3, 4, 5, 6",
    )
    .fetch_all(&app.service.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn events_applied_in_batches_count_as_they_do_one_by_one() {
    let one_by_one = TestApp::spawn().await;
    fixture(&one_by_one).await;
    let expected = rollup(&one_by_one).await;
    assert!(!expected.is_empty());
    let shares = |app: &TestApp| {
        let pool = app.service.pool.clone();
        async move {
            sqlx::query_as::<_, (i64, i64, i64)>(
                // The fixture's own events (the findings it raises are published and come back too,
                // whenever the relay gets to them).
                "SELECT (SELECT count(*) FROM case_events WHERE producer <> 'supervision'),
                        (SELECT count(*) FROM case_units),
                        (SELECT count(DISTINCT unit_code) FROM case_units)",
            )
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let expected_shares = shares(&one_by_one).await;
    assert_eq!(expected_shares.0, 39);
    let expected_clocks = clocks(&one_by_one).await;
    assert!(expected_clocks.len() >= 20, "{expected_clocks:?}");
    one_by_one.stop().await;

    let batched = TestApp::spawn().await;
    *batched.collected.lock().unwrap() = Some(Vec::new());
    fixture(&batched).await;
    let events = batched.collected.lock().unwrap().take().unwrap();
    assert_eq!(events.len(), 39);
    // All in one batch (a case's registration, decision and repeat link among them, in order),
    // then again in small batches: every copy is a duplicate.
    let outcomes = batched.inbox.apply_together(&events).await.unwrap();
    assert!(
        outcomes.iter().all(|o| *o == Outcome::Applied),
        "{outcomes:?}"
    );
    for chunk in events.chunks(7) {
        let outcomes = batched.inbox.apply_together(chunk).await.unwrap();
        assert!(
            outcomes.iter().all(|o| *o == Outcome::Duplicate),
            "{outcomes:?}"
        );
    }
    let incremental = rollup(&batched).await;
    assert_eq!(incremental, expected);
    // Every event on the timeline, every unit the cases were handed to (written at the batch's end).
    assert_eq!(shares(&batched).await, expected_shares);
    // The 20 registrations ran set-wise (one statement for their clocks, one for their facts), and
    // the decisions after them in the batch found those clocks: the same deadlines, due dates,
    // states and timer steps as one by one.
    assert_eq!(clocks(&batched).await, expected_clocks);
    supervision::statistics::store::rollup::rebuild_rollup(&batched.service.pool)
        .await
        .unwrap();
    assert_eq!(rollup(&batched).await, expected);
    // One audit row per registration, written at the end of the batch; the chains verify.
    let opened: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'deadline.open'")
            .fetch_one(&batched.service.pool)
            .await
            .unwrap();
    assert_eq!(opened, 20);
    let verified = xinfang_platform::audit::verify(&batched.service.pool)
        .await
        .unwrap();
    assert!(verified.first_break.is_none(), "{verified:?}");
    batched.stop().await;
}

#[tokio::test]
async fn hotspots_flag_a_field_and_township_that_jumps_against_its_baseline() {
    let app = TestApp::spawn().await;
    // Period: June 2025 (30 days); baseline: the three preceding 30-day periods (2025-03-03 – 05-31).
    let jump = [
        (date(2025, 4, 10), 1),
        (date(2025, 5, 12), 1),
        (date(2025, 6, 5), 6),
    ];
    for (d, n) in jump {
        for _ in 0..n {
            app.register(d, "natural_resources", "T3", Channel::Visit, None)
                .await;
        }
    }
    // Steady: 3 per period before, 5 now (< 2 × 3) — no warning.
    for d in [date(2025, 3, 20), date(2025, 4, 20), date(2025, 5, 20)] {
        for _ in 0..3 {
            app.register(d, "labour_social_security", "T1", Channel::Letter, None)
                .await;
        }
    }
    for _ in 0..5 {
        app.register(
            date(2025, 6, 20),
            "labour_social_security",
            "T1",
            Channel::Letter,
            None,
        )
        .await;
    }
    // New but small: 3 now, none before (below the minimum of 5).
    for _ in 0..3 {
        app.register(
            date(2025, 6, 21),
            "urban_rural_construction",
            "T2",
            Channel::Phone,
            None,
        )
        .await;
    }
    let (s, r) = app
        .get(
            "/api/v1/statistics/hotspots?from=2025-06-01&to=2025-06-30",
            &leader(),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["baseline_from"], "2025-03-03");
    let hs = r["hotspots"].as_array().unwrap();
    assert_eq!(hs.len(), 1, "{r}");
    assert_eq!(
        (
            hs[0]["field"].as_str(),
            hs[0]["township"].as_str(),
            hs[0]["volume"].as_i64()
        ),
        (Some("natural_resources"), Some("T3"), Some(6))
    );
    assert_eq!(hs[0]["field_label"], "自然资源");
    assert!((hs[0]["baseline_mean"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    assert!((hs[0]["ratio"].as_f64().unwrap() - 9.0).abs() < 1e-9);
    assert_eq!(
        app.get(
            "/api/v1/statistics/hotspots?from=2025-06-01&to=2025-06-30",
            &token("c", BUREAU, &[Role::Clerk])
        )
        .await
        .0,
        403
    );
    app.stop().await;
}

#[tokio::test]
async fn satisfaction_ratings_from_the_self_service_are_counted_once_per_case() {
    let app = TestApp::spawn().await;
    let rated = |id: Uuid, rating: &str| xinfang_contracts::satisfaction::SatisfactionRatedV1 {
        petition_id: id,
        case_number: "c".into(),
        rating: rating.into(),
        rated_on: date(2025, 3, 20),
        registering_unit: BUREAU.into(),
        has_comment: false,
    };
    let a = app
        .register(
            date(2025, 3, 3),
            "labour_social_security",
            "城关镇",
            Channel::Visit,
            None,
        )
        .await;
    let b = app
        .register(
            date(2025, 3, 4),
            "labour_social_security",
            "城关镇",
            Channel::Visit,
            None,
        )
        .await;
    let c = app
        .register(
            date(2025, 3, 5),
            "labour_social_security",
            "城关镇",
            Channel::Visit,
            None,
        )
        .await;
    app.apply_event(&rated(a, "satisfied"), a).await;
    app.apply_event(&rated(b, "basically_satisfied"), b).await;
    app.apply_event(&rated(c, "dissatisfied"), c).await;
    // A second rating of the same case (another event) changes nothing.
    app.apply_event(&rated(c, "satisfied"), c).await;
    let auditor = token("au", BUREAU, &[Role::Auditor]);
    let (s, r) = app
        .get(
            "/api/v1/statistics/indicators?from=2025-03-01&to=2025-03-31",
            &auditor,
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let m = &r["total"]["satisfaction_rate"];
    assert_eq!(m["status"], "measured");
    assert_eq!(
        (m["numerator"].as_i64(), m["denominator"].as_i64()),
        (Some(2), Some(3))
    );
    app.stop().await;
}

#[tokio::test]
async fn legal_channel_overrides_are_counted_by_unit_channel_and_month() {
    let app = TestApp::spawn().await;
    let overridden = |id: Uuid, channel: &str, kind: &str, on: NaiveDate, unit: &str| {
        xinfang_contracts::intake_legal::LegalChannelOverriddenV1 {
            petition_id: id,
            case_number: "c".into(),
            suggested_channel: channel.into(),
            decision_kind: kind.into(),
            reason: "信访人坚持以信访形式反映，且不属于诉讼受理范围".into(),
            decided_on: on,
            decided_by_unit: unit.into(),
            decided_by: "clerk-1".into(),
        }
    };
    let mut ids = Vec::new();
    for (day, township) in [(3, "城关镇"), (4, "城关镇"), (5, "夏店镇")] {
        ids.push(
            app.register(
                date(2025, 3, day),
                "law_litigation",
                township,
                Channel::Visit,
                None,
            )
            .await,
        );
    }
    let (a, b, c) = (ids[0], ids[1], ids[2]);
    app.apply_event(
        &overridden(a, "political_legal", "accept", date(2025, 3, 10), BUREAU),
        a,
    )
    .await;
    app.apply_event(
        &overridden(b, "political_legal", "transfer", date(2025, 3, 12), BUREAU),
        b,
    )
    .await;
    app.apply_event(
        &overridden(
            c,
            "administrative_reconsideration",
            "assign",
            date(2025, 4, 2),
            BUREAU,
        ),
        c,
    )
    .await;
    let auditor = token("au", BUREAU, &[Role::Auditor]);
    // In the indicators: the total, and per group (here by township, from the case's facts).
    let (s, r) = app
        .get(
            "/api/v1/statistics/indicators?from=2025-03-01&to=2025-04-30&group_by=township",
            &auditor,
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["total"]["legal_channel_overrides"]["value"], 3.0);
    assert_eq!(r["total"]["legal_channel_overrides"]["status"], "measured");
    let group = |key: &str| {
        r["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == key)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        group("城关镇")["indicators"]["legal_channel_overrides"]["value"],
        2.0
    );
    assert_eq!(
        group("夏店镇")["indicators"]["legal_channel_overrides"]["value"],
        1.0
    );
    // March only: the April override is outside the period.
    let (_, r) = app
        .get(
            "/api/v1/statistics/indicators?from=2025-03-01&to=2025-03-31&group_by=unit",
            &auditor,
        )
        .await;
    assert_eq!(r["total"]["legal_channel_overrides"]["value"], 2.0);
    // By month, unit and channel.
    let (s, r) = app
        .get(
            "/api/v1/statistics/legal-channel-overrides?from=2025-03-01&to=2025-04-30",
            &auditor,
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["total"], 3);
    let cells: Vec<(String, String, String, i64)> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["month"].as_str().unwrap().to_string(),
                g["unit"].as_str().unwrap().to_string(),
                g["channel_label"].as_str().unwrap().to_string(),
                g["overrides"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        cells,
        vec![
            ("2025-03".into(), BUREAU.into(), "政法部门".into(), 2),
            ("2025-04".into(), BUREAU.into(), "行政复议".into(), 1),
        ]
    );
    // A unit sees only its own overrides.
    let rsj = token("head-rsj", "140423-RSJ", &[Role::UnitHead]);
    let (s, r) = app
        .get(
            "/api/v1/statistics/legal-channel-overrides?from=2025-03-01&to=2025-04-30",
            &rsj,
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["total"], 0);
    app.stop().await;
}
