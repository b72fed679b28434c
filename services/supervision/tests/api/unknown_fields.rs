//! Unknown query keys are refused on every list (issue 12 item 1: "unknown fields are refused
//! everywhere, consistently"): the page (`after`, `limit`) and the filter are one query string, so
//! a misspelt filter is a 400 naming it, never a silently unfiltered page.

use xinfang_platform::Role;
use xinfang_test_support::{token, BUREAU};

use crate::helpers::app::TestApp;

#[tokio::test]
async fn lists_refuse_unknown_query_keys_and_still_page_and_filter() {
    let app = TestApp::spawn().await;
    let supervisor = token("s-1", BUREAU, &[Role::Supervisor, Role::Leader]);
    for (list, filter) in [
        ("/api/v1/orders", "status=open"),
        ("/api/v1/order-incidents", "person_ref=p-1"),
        ("/api/v1/misconduct-reports", "uninvestigated=true"),
        ("/api/v1/recommendations", "overdue=false"),
        ("/api/v1/leader-assignments", "leader_id=l-1"),
        ("/api/v1/accountability-cases", ""),
    ] {
        let sep = if filter.is_empty() { "" } else { "&" };
        let (s, page) = app
            .get(&format!("{list}?limit=5{sep}{filter}"), &supervisor)
            .await;
        assert_eq!(s, 200, "{list}: {page}");
        let (s, e) = app
            .get(
                &format!("{list}?limit=5{sep}{filter}&colour=red"),
                &supervisor,
            )
            .await;
        assert_eq!(s, 400, "{list}: {e}");
        assert_eq!(e["details"]["field"], "colour", "{list}: {e}");
        let (s, e) = app.get(&format!("{list}?limit=0"), &supervisor).await;
        assert!(s == 200 || s == 422, "{list}: {s} {e}");
    }
    app.stop().await;
}
