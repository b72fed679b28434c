//! The public calculator on the worked examples and more, and publishing a new calendar year at
//! run time: validated, stored for every replica, deadlines re-projected and their timers moved.

use std::time::Duration;

use crate::helpers::replica::*;
use serde_json::{json, Value};
use supervision::deadlines::domain::calendar::ManualClock;
use xinfang_platform::Role;
use xinfang_test_support::{clerk_token, token, wait_for, TestEnv};

async fn due(r: &Replica, start: &str, days: u32, unit: &str) -> (u16, Value) {
    let res = r
        .client
        .get(r.url(&format!(
            "/api/v1/calendar/due?start={start}&days={days}&unit={unit}"
        )))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn the_public_calculator_answers_the_worked_examples_and_the_corner_cases() {
    let env = TestEnv::new();
    let r = start(&env, &ManualClock::new(d("2024-01-01")), json!({})).await;
    let cases = [
        // calendar-cn.md worked examples
        ("2025-09-26", 60, "calendar", "2025-11-25"),
        ("2025-09-08", 30, "calendar", "2025-10-09"),
        ("2025-09-26", 5, "working", "2025-10-10"),
        // 15 日 landing on a make-up working day (2025-10-11, Sat) stays there
        ("2025-09-26", 15, "calendar", "2025-10-11"),
        // across the year end into 元旦 2025, rolled to the next working day
        ("2024-12-17", 15, "calendar", "2025-01-02"),
        // across the year end onto 2026's make-up Sunday 01-04
        ("2025-12-20", 15, "calendar", "2026-01-04"),
        // inside the nine-day 春节 2026 → the first working day after it
        ("2026-02-01", 15, "calendar", "2026-02-24"),
        // working days over 春节 2026, counting the make-up Saturday 02-14
        ("2026-02-12", 3, "working", "2026-02-24"),
        // 国庆 2024 with make-up days 09-29 (Sun) and 10-12 (Sat)
        ("2024-09-27", 3, "working", "2024-10-08"),
    ];
    for (start_on, days, unit, expected) in cases {
        let (status, body) = due(&r, start_on, days, unit).await;
        assert_eq!(status, 200, "{start_on} + {days} {unit}: {body}");
        assert_eq!(body["due"], expected, "{start_on} + {days} {unit}: {body}");
        assert!(!body["explanation"].as_array().unwrap().is_empty());
    }
    let (_, body) = due(&r, "2026-02-12", 3, "working").await;
    assert_eq!(body["provisional"], false, "{body}");
    // A year whose arrangement is not published: a provisional answer (暂定) from the statutory
    // holidays and weekends, marked so, with the reason in the explanation.
    let (status, body) = due(&r, "2026-12-20", 15, "calendar").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["due"], "2027-01-04");
    assert_eq!(body["provisional"], true);
    assert!(body["explanation"].to_string().contains("暂定"), "{body}");
    // Beyond the provisional years: a clear 4xx naming the loaded years, not a guess.
    let (status, body) = due(&r, "2035-12-20", 15, "calendar").await;
    assert_eq!(status, 422);
    assert_eq!(body["code"], "outside_calendar");
    let (status, _) = due(&r, "2025-01-01", 5, "fortnights").await;
    assert_eq!(status, 400);
    r.stop().await;
}

fn year_2027() -> Value {
    json!({
        "year": 2027,
        "source": "测试用：虚构的 2027 年节假日安排",
        "holidays": [
            { "name": "元旦", "from": "2027-01-01", "to": "2027-01-03" },
            { "name": "春节", "from": "2027-02-05", "to": "2027-02-11" }
        ],
        "make_up_working_days": [ { "date": "2027-02-13", "for": "春节" } ]
    })
}

#[tokio::test]
async fn a_published_year_is_loaded_everywhere_and_reprojects_the_deadlines_it_affects() {
    let env = TestEnv::new();
    let clock = ManualClock::new(d("2026-12-18"));
    let limits = json!({ "calendar_rescan_secs": 1, "timer_interval_ms": 50 });
    let a = start(&env, &clock, limits.clone()).await;
    let b = start(&env, &clock, limits.clone()).await;

    // Received 2026-12-17: + 15 = 2027-01-01, in a year not yet published: a provisional due
    // date (元旦 is statutory: Friday 01-01, then the weekend), with its reminders dated.
    let case = new_case(&a, d("2026-12-17")).await;
    let (id, status, due_date) = a.deadline(case, "acceptance").await;
    assert_eq!((status.as_str(), due_date), ("open", Some(d("2027-01-04"))));
    assert!(a
        .steps(id)
        .await
        .iter()
        .all(|(_, on, state)| on.is_some() && state == "pending"));
    let view: Value = a
        .client
        .get(a.url(&format!("/api/v1/cases/{case}/deadlines")))
        .bearer_auth(clerk_token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        view[0]["explanation"].to_string().contains("暂定"),
        "{view}"
    );

    let post = |r: &Replica, tok: Option<String>, body: Value| {
        let mut req = r.client.post(r.url("/api/v1/calendar/years")).json(&body);
        if let Some(t) = tok {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let admin = token("admin-1", BUREAU, &[Role::Admin]);
    assert_eq!(
        post(&a, None, year_2027()).await.unwrap().status().as_u16(),
        401
    );
    assert_eq!(
        post(&a, Some(clerk_token()), year_2027())
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    let mut bad = year_2027();
    bad["make_up_working_days"] = json!([{ "date": "2027-02-10", "for": "春节" }]);
    let res = post(&a, Some(admin.clone()), bad).await.unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("节假日安排有误"),
        "{body}"
    );

    let res = post(&a, Some(admin.clone()), year_2027()).await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["changed"], true);
    assert_eq!(body["reprojected"], 1);

    // 2027-01-01..03 is 元旦: the period ends on Monday 2027-01-04; the timers move with it.
    let (_, _, due_date) = a.deadline(case, "acceptance").await;
    assert_eq!(due_date, Some(d("2027-01-04")));
    let steps = a.steps(id).await;
    assert_eq!(
        steps,
        vec![
            ("warning".into(), Some(d("2026-12-29")), "pending".into()),
            ("due".into(), Some(d("2027-01-04")), "pending".into()),
            ("overdue".into(), Some(d("2027-01-05")), "pending".into()),
            (
                "long_overdue".into(),
                Some(d("2027-02-03")),
                "pending".into()
            ),
        ]
    );
    let view: Value = a
        .client
        .get(a.url(&format!("/api/v1/cases/{case}/deadlines")))
        .bearer_auth(clerk_token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let explanation = view[0]["explanation"].to_string();
    assert!(explanation.contains("重新计算"), "{explanation}");
    assert!(
        !explanation.contains("暂定："),
        "confirmed, no longer provisional: {explanation}"
    );
    assert!(explanation.contains("2027"), "{explanation}");
    assert_eq!(view[0]["steps"].as_array().unwrap().len(), 4);

    // The same file again is accepted without change; a different one for a loaded year is refused.
    let res = post(&a, Some(admin.clone()), year_2027()).await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["changed"], false);
    let mut other = year_2027();
    other["holidays"][1]["to"] = json!("2027-02-12");
    assert_eq!(
        post(&a, Some(admin.clone()), other)
            .await
            .unwrap()
            .status()
            .as_u16(),
        409
    );

    // The other running replica picks the year up on its rescan; a new one at start-up.
    wait_for("replica b loads 2027", Duration::from_secs(15), || async {
        let (status, body) = due(&b, "2026-12-17", 15, "calendar").await;
        (status == 200 && body["due"] == "2027-01-04" && body["provisional"] == false).then_some(())
    })
    .await;
    let c = start(&env, &clock, limits).await;
    let (status, body) = due(&c, "2027-02-01", 5, "working").await;
    assert_eq!(status, 200, "{body}");
    // 02-02,03,04 = 3, 02-05..11 春节, 02-12 = 4, 02-13 (make-up Saturday) = 5
    assert_eq!(body["due"], "2027-02-13");
    let years: Value = c
        .client
        .get(c.url("/api/v1/calendar/years"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let y2027 = years
        .as_array()
        .unwrap()
        .iter()
        .find(|y| y["year"] == 2027)
        .expect("2027 listed");
    assert_eq!(y2027["origin"], "published");
    assert!(years
        .as_array()
        .unwrap()
        .iter()
        .any(|y| y["year"] == 2025 && y["origin"] == "file"));

    // Re-projection happened once: the other replicas found nothing to change.
    let notes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deadlines, jsonb_array_elements_text(explanation) e WHERE e LIKE '重新计算%'",
    )
    .fetch_one(a.pool())
    .await
    .unwrap();
    assert_eq!(notes, 1);
    c.stop().await;
    b.stop().await;
    a.stop().await;
}
