//! The authorization matrix (权限矩阵), role × unit × endpoint, in one table: every right is a
//! function of the caller's role and unit (issue 12 item 10). Accountability material is for the
//! county's supervision staff only: not the bureau's clerks or mediators, not a department's staff.

use xinfang_platform::Role;
use xinfang_test_support::{token, BUREAU};

use crate::helpers::app::TestApp;

const DEPT: &str = "140423-ZJJ";

#[tokio::test]
async fn the_role_unit_endpoint_matrix_holds() {
    let app = TestApp::spawn().await;
    let endpoints = [
        "/api/v1/accountability-cases",
        "/api/v1/misconduct-reports",
        "/api/v1/orders",
        "/api/v1/statistics/indicators?from=2025-01-01&to=2025-12-31",
    ];
    // (role, unit, expected status per endpoint, in the order above)
    let matrix: &[(Role, &str, [u16; 4])] = &[
        (Role::Clerk, BUREAU, [403, 403, 200, 403]),
        (Role::Clerk, DEPT, [403, 403, 200, 403]),
        (Role::Mediator, BUREAU, [403, 403, 200, 403]),
        (Role::Mediator, DEPT, [403, 403, 200, 403]),
        (Role::Handler, BUREAU, [403, 403, 200, 403]),
        (Role::Handler, DEPT, [403, 403, 200, 403]),
        (Role::UnitHead, BUREAU, [403, 403, 200, 200]),
        (Role::UnitHead, DEPT, [403, 403, 200, 200]),
        (Role::Supervisor, BUREAU, [200, 200, 200, 200]),
        (Role::Supervisor, DEPT, [403, 403, 200, 200]),
        (Role::Leader, BUREAU, [200, 200, 200, 200]),
        (Role::Leader, DEPT, [200, 200, 200, 200]),
        (Role::Auditor, BUREAU, [403, 403, 200, 200]),
        (Role::Auditor, DEPT, [403, 403, 200, 200]),
        (Role::PiiViewer, BUREAU, [403, 403, 403, 403]),
    ];
    let mut wrong = Vec::new();
    for (role, unit, expected) in matrix {
        let tok = token("u", unit, &[*role]);
        for (path, want) in endpoints.iter().zip(expected) {
            let (got, body) = app.get(path, &tok).await;
            if got != *want {
                wrong.push(format!(
                    "{role:?}@{unit} GET {path}: {got} (want {want}) {body}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    app.stop().await;
}
