//! Routing rules in the administrator's pages (分类规则): the rules intake applies in force, and an
//! editor that publishes a new version (`PUT /api/v1/routing-rules`; earlier versions are kept and
//! the publication is audited by intake). One row per rule, first match wins; rows are reordered by
//! their number, removed by a tick, added in the blank rows at the end. A unit code must be in the
//! units directory (the console owns it); intake checks the rest, and each of its errors appears on
//! the row it concerns.

use std::collections::BTreeMap;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::PgPool;
use xinfang_contracts::events::PETITION_FIELDS;
use xinfang_messaging::OutboxWaker;
use xinfang_platform::ApiError;

use super::{
    admin::{admin_or_page, errors_of, unit_choices},
    clerk::{legal_channel_zh, LEGAL_CHANNELS},
    client::{ok_or_message, Services},
    intake::join_into,
    nav::staff_ctx,
    security::see_other,
    staff::{csrf_ok_for, field, form_pairs, Staff},
    view::render,
};
use crate::api::state::AppState;

type Data<T> = web::Data<T>;

/// The routing rules' routes (under `/console`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/rules", web::get().to(rules))
        .route("/admin/rules", web::post().to(publish));
}

/// Blank rows offered for new rules (新增规则的空行).
const BLANK_ROWS: usize = 3;
/// At most this many rows in one form (intake's own limit is 2000 rules).
const MAX_ROWS: usize = 2000;

/// The three categories (信访事项类别) with their Chinese names.
const CATEGORIES: [(&str, &str); 3] = [
    ("suggestion", "建议意见"),
    ("accusation", "检举控告"),
    ("claim", "申诉求决"),
];

/// One row of the editor as typed (一条规则).
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct RuleRow {
    pub position: String,
    pub category: String,
    pub field: String,
    pub township: String,
    pub unit: String,
    pub legal_channel: String,
    pub guidance: String,
    pub delete: bool,
    /// What is wrong with the row (本行错误).
    pub errors: Vec<String>,
}

impl RuleRow {
    fn blank(&self) -> bool {
        [
            &self.category,
            &self.field,
            &self.township,
            &self.unit,
            &self.legal_channel,
            &self.guidance,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }

    fn from_rule(position: usize, r: &Value) -> RuleRow {
        let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
        RuleRow {
            position: position.to_string(),
            category: s("category"),
            field: s("field"),
            township: s("township"),
            unit: s("unit"),
            legal_channel: s("legal_channel"),
            guidance: s("guidance"),
            ..RuleRow::default()
        }
    }

    /// The rule as intake's JSON writes it (empty cells left out: 任意).
    fn rule(&self) -> Value {
        let mut r = serde_json::Map::new();
        for (k, v) in [
            ("category", &self.category),
            ("field", &self.field),
            ("township", &self.township),
            ("unit", &self.unit),
            ("legal_channel", &self.legal_channel),
            ("guidance", &self.guidance),
        ] {
            let v = v.trim();
            if !v.is_empty() {
                r.insert(k.into(), json!(v));
            }
        }
        Value::Object(r)
    }
}

/// The rows of a submitted form, in the form's order.
fn rows_of(pairs: &[(String, String)]) -> Vec<RuleRow> {
    let n = field(pairs, "rows")
        .parse::<usize>()
        .unwrap_or(0)
        .min(MAX_ROWS);
    (0..n)
        .map(|i| {
            let f = |k: &str| field(pairs, &format!("{k}_{i}")).trim().to_string();
            RuleRow {
                position: f("position"),
                category: f("category"),
                field: f("field"),
                township: f("township"),
                unit: f("unit"),
                legal_channel: f("legal_channel"),
                guidance: f("guidance"),
                delete: field(pairs, &format!("delete_{i}")) == "1",
                errors: Vec::new(),
            }
        })
        .collect()
}

/// The rules to publish, in order, with the form row each came from; or the rows with their
/// errors (positions that are not numbers, unknown unit codes).
fn plan(rows: &mut [RuleRow], known_units: &[String]) -> Option<Vec<(usize, Value)>> {
    let mut kept: Vec<(u32, usize)> = Vec::new();
    let mut bad = false;
    for (i, row) in rows.iter_mut().enumerate() {
        if row.delete || row.blank() {
            continue;
        }
        let position = if row.position.is_empty() {
            Ok(u32::try_from(i + 1).unwrap_or(u32::MAX))
        } else {
            row.position.parse::<u32>().map_err(|_| ())
        };
        match position {
            Ok(p) if p >= 1 => kept.push((p, i)),
            _ => {
                row.errors.push("序号应为正整数".into());
                bad = true;
            }
        }
        let unit = row.unit.trim();
        if !unit.is_empty() && !known_units.iter().any(|u| u == unit) {
            row.errors.push(format!(
                "责任单位“{unit}”不在单位目录中（请填写单位代码，或先在单位目录中新增）"
            ));
            bad = true;
        }
    }
    if bad {
        return None;
    }
    // Stable: equal numbers keep the form's order.
    kept.sort_by_key(|(p, i)| (*p, *i));
    Some(kept.into_iter().map(|(_, i)| (i, rows[i].rule())).collect())
}

/// `rules[3].unit` → (3, "unit").
fn rule_error_target(field: &str) -> Option<(usize, String)> {
    let rest = field.strip_prefix("rules[")?;
    let (index, rest) = rest.split_once(']')?;
    let name = rest.trim_start_matches('.').to_string();
    Some((index.parse().ok()?, name))
}

fn column_zh(name: &str) -> &'static str {
    match name {
        "category" => "类别",
        "field" => "领域",
        "township" => "乡镇",
        "unit" => "责任单位",
        "legal_channel" => "法定途径",
        "guidance" => "告知内容",
        _ => "本条",
    }
}

/// `GET /console/admin/rules`: the rules in force, as an editor.
pub async fn rules(
    req: HttpRequest,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
    services: Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let saved = req
        .query_string()
        .strip_prefix("saved=")
        .and_then(|v| v.parse::<i64>().ok());
    let r = ok_or_message(
        services
            .intake
            .get("routing-rules", &staff.access_token)
            .await,
        "分类规则",
    );
    let (mut set, error) = match r {
        Ok(v) => (v, None),
        Err(e) => (Value::Null, Some(e)),
    };
    if set.is_object() {
        let mut conn = pool.acquire().await?;
        let name = super::staff::display_name_of(&mut conn, set["created_by"].as_str()).await?;
        set["created_by_name"] = json!(name);
    }
    let rows: Vec<RuleRow> = set["rules"]
        .as_array()
        .map(|a| {
            a.iter()
                .enumerate()
                .map(|(i, r)| RuleRow::from_rule(i + 1, r))
                .collect()
        })
        .unwrap_or_default();
    let units = unit_choices(&staff, &pool).await;
    Ok(page(
        &staff,
        &set,
        rows,
        "",
        &BTreeMap::new(),
        error,
        saved,
        &units,
        StatusCode::OK,
    ))
}

/// `POST /console/admin/rules`: publish the edited rules as a new version.
#[tracing::instrument(skip_all)]
pub async fn publish(
    req: HttpRequest,
    body: web::Bytes,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
    services: Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let pairs = form_pairs(&body);
    let mut rows = rows_of(&pairs);
    let note = field(&pairs, "note").trim().to_string();
    let units = unit_choices(&staff, &pool).await;
    let current = ok_or_message(
        services
            .intake
            .get("routing-rules", &staff.access_token)
            .await,
        "分类规则",
    )
    .unwrap_or(Value::Null);
    let mut above = BTreeMap::new();
    let again = |rows: Vec<RuleRow>, above: &BTreeMap<String, String>, status: StatusCode| {
        page(
            &staff, &current, rows, &note, above, None, None, &units, status,
        )
    };
    if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        above.insert("form".into(), "页面已过期，请核对后重新提交".into());
        return Ok(again(rows, &above, StatusCode::FORBIDDEN));
    }
    if note.chars().count() > 500 {
        above.insert("note".into(), "修订说明不能超过 500 个字".into());
        return Ok(again(rows, &above, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let known: Vec<String> = units
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|u| u["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let Some(planned) = plan(&mut rows, &known) else {
        above.insert("form".into(), "部分规则有误，请按各行提示修改".into());
        return Ok(again(rows, &above, StatusCode::UNPROCESSABLE_ENTITY));
    };
    let body = json!({
        "rules": planned.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
        "note": (!note.is_empty()).then_some(&note),
    });
    let a = match services
        .intake
        .send(
            reqwest::Method::PUT,
            "routing-rules",
            &staff.access_token,
            &body,
        )
        .await
    {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "intake unreachable");
            above.insert(
                "form".into(),
                "登记服务暂时无法连接，请稍后重试（已填内容未丢失）".into(),
            );
            return Ok(again(rows, &above, StatusCode::BAD_GATEWAY));
        }
    };
    if a.ok() {
        let version = a.body["version"].as_i64().unwrap_or_default();
        return Ok(see_other(&format!("/console/admin/rules?saved={version}")).finish());
    }
    // Each of intake's errors on the row it names (rules[k] is the k-th rule sent).
    for e in errors_of(&a, "form") {
        match rule_error_target(&e.field)
            .and_then(|(k, name)| planned.get(k).map(|(row, _)| (*row, name)))
        {
            Some((row, name)) => {
                rows[row]
                    .errors
                    .push(format!("{}：{}", column_zh(&name), e.message))
            }
            None => join_into(&mut above, "form", &e.message),
        }
    }
    if !above.contains_key("form") {
        above.insert("form".into(), "部分规则有误，请按各行提示修改".into());
    }
    Ok(again(rows, &above, a.status_code()))
}

#[allow(clippy::too_many_arguments)]
fn page(
    staff: &Staff,
    set: &Value,
    mut rows: Vec<RuleRow>,
    note: &str,
    above: &BTreeMap<String, String>,
    error: Option<String>,
    saved: Option<i64>,
    units: &Value,
    status: StatusCode,
) -> HttpResponse {
    let next = rows.len();
    rows.extend((0..BLANK_ROWS).map(|k| RuleRow {
        position: (next + k + 1).to_string(),
        ..RuleRow::default()
    }));
    let channels: Vec<Value> = LEGAL_CHANNELS
        .iter()
        .map(|c| {
            let code = serde_json::to_value(c).unwrap_or(Value::Null);
            let name = legal_channel_zh(code.as_str().unwrap_or_default());
            json!({ "code": code, "name": name })
        })
        .collect();
    let fields: Vec<Value> = PETITION_FIELDS
        .iter()
        .map(|(code, name)| json!({ "code": code, "name": name }))
        .collect();
    let categories: Vec<Value> = CATEGORIES
        .iter()
        .map(|(code, name)| json!({ "code": code, "name": name }))
        .collect();
    render(
        status,
        "admin_rules.html",
        minijinja::context! {
            title => "分类规则",
            staff => staff_ctx(staff),
            set => set,
            rows => rows,
            note => note,
            error_of => above,
            error => error,
            saved => saved,
            units => units,
            channels => channels,
            fields => fields,
            categories => categories,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn rows_are_reordered_by_number_deleted_by_tick_and_blank_ones_skipped() {
        let p = pairs(&[
            ("rows", "4"),
            ("position_0", "2"),
            ("field_0", "labour_social_security"),
            ("unit_0", "140423-RSJ"),
            ("position_1", "1"),
            ("category_1", "accusation"),
            ("legal_channel_1", "discipline_inspection"),
            ("guidance_1", " 请向县纪委监委反映 "),
            ("position_2", "3"),
            ("unit_2", "140423-ZJJ"),
            ("delete_2", "1"),
            ("position_3", "4"),
        ]);
        let mut rows = rows_of(&p);
        assert_eq!(rows.len(), 4);
        let planned = plan(&mut rows, &["140423-RSJ".into()]).unwrap();
        assert_eq!(
            planned,
            vec![
                (
                    1,
                    json!({"category": "accusation", "legal_channel": "discipline_inspection", "guidance": "请向县纪委监委反映"})
                ),
                (
                    0,
                    json!({"field": "labour_social_security", "unit": "140423-RSJ"})
                ),
            ]
        );
    }

    #[test]
    fn unknown_units_and_bad_numbers_stay_on_their_rows() {
        let p = pairs(&[
            ("rows", "2"),
            ("position_0", "x"),
            ("unit_0", "140423-RSJ"),
            ("position_1", "2"),
            ("unit_1", "140423-NOPE"),
        ]);
        let mut rows = rows_of(&p);
        assert!(plan(&mut rows, &["140423-RSJ".into()]).is_none());
        assert_eq!(rows[0].errors, vec!["序号应为正整数".to_string()]);
        assert!(rows[1].errors[0].contains("140423-NOPE"));
    }

    #[test]
    fn intakes_error_names_the_rule_and_its_column() {
        assert_eq!(
            rule_error_target("rules[12].unit"),
            Some((12, "unit".into()))
        );
        assert_eq!(rule_error_target("rules"), None);
        assert_eq!(column_zh("legal_channel"), "法定途径");
    }
}
