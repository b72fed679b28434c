//! Common HTTP pieces (公共接口): health, readiness, metrics, request ids, latency histogram and the
//! platform's part of the OpenAPI document.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    web, HttpMessage, HttpResponse,
};
use prometheus::{Encoder, HistogramOpts, HistogramVec, Registry, TextEncoder};
use serde::Serialize;
use sqlx::PgPool;
use tracing_actix_web::RequestId;
use utoipa::ToSchema;
use xinfang_messaging::{dead_letters, Broker, BrokerStatus, MessagingMetrics, Outbox};

/// HTTP latency by route pattern, method and status.
#[derive(Clone)]
pub struct HttpMetrics {
    pub latency: HistogramVec,
}

impl HttpMetrics {
    /// The HTTP metrics, registered in `registry` (which must not hold them yet).
    pub fn new(registry: &Registry) -> prometheus::Result<HttpMetrics> {
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "xinfang_http_request_duration_seconds",
                "HTTP request latency",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route", "status"],
        )?;
        registry.register(Box::new(latency.clone()))?;
        Ok(HttpMetrics { latency })
    }
}

/// Measures latency and echoes the request id as `x-request-id`.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let metrics = req.app_data::<web::Data<HttpMetrics>>().cloned();
    let request_id = req.extensions().get::<RequestId>().map(|r| r.to_string());
    let mut res = next.call(req).await?;
    if let Some(m) = metrics {
        m.latency
            .with_label_values(&[&method, &route, res.status().as_str()])
            .observe(started.elapsed().as_secs_f64());
    }
    if let Some(id) = request_id {
        if let Ok(v) = HeaderValue::from_str(&id) {
            res.headers_mut()
                .insert(HeaderName::from_static("x-request-id"), v);
        }
    }
    Ok(res)
}

/// Shared state of the health and metrics endpoints.
pub struct Probe {
    pub pool: PgPool,
    pub broker: Arc<Broker>,
    pub registry: Registry,
    pub metrics: MessagingMetrics,
}

#[derive(Serialize, ToSchema)]
pub struct HealthBody {
    /// `ok`, `ready` or `not_ready`
    pub status: String,
    #[schema(value_type = Object)]
    pub checks: serde_json::Value,
}

/// Liveness (存活检查): the process answers.
#[utoipa::path(get, path = "/health/live", tag = "运维", responses((status = 200, body = HealthBody)))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(HealthBody {
        status: "ok".into(),
        checks: serde_json::json!({}),
    })
}

/// Readiness (就绪检查): the database and the broker are reachable.
#[utoipa::path(get, path = "/health/ready", tag = "运维", responses((status = 200, body = HealthBody), (status = 503, body = HealthBody)))]
pub async fn ready(probe: web::Data<Probe>) -> HttpResponse {
    let db_ok = tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query("SELECT 1").execute(&probe.pool),
    )
    .await
    .map(|r| r.is_ok())
    .unwrap_or(false);
    let broker_ok = probe.broker.status() == BrokerStatus::Connected;
    let body = HealthBody {
        status: if db_ok && broker_ok {
            "ready"
        } else {
            "not_ready"
        }
        .into(),
        checks: serde_json::json!({
            "database": if db_ok { "ok" } else { "unreachable" },
            "broker": if broker_ok { "ok" } else { "unreachable" },
        }),
    };
    if db_ok && broker_ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Prometheus metrics (监控指标): HTTP latency, outbox backlog and age, consumer lag, dead letters,
/// redeliveries, duplicates skipped.
#[utoipa::path(get, path = "/metrics", tag = "运维", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(probe: web::Data<Probe>) -> HttpResponse {
    if let Ok((n, age)) = Outbox::backlog(&probe.pool).await {
        probe.metrics.outbox_backlog.set(n);
        probe.metrics.outbox_oldest_age_seconds.set(age);
    }
    if let Ok(n) = dead_letters::count_unreplayed(&probe.pool).await {
        probe.metrics.dead_letters_stored.set(n);
    }
    let queue = probe.broker.topology.queue(probe.broker.service);
    if let Some(depth) = probe.broker.queue_depth(&queue).await {
        probe.metrics.consumer_lag.set(depth as i64);
    }
    let mut buf = Vec::new();
    let _ = TextEncoder::new().encode(&probe.registry.gather(), &mut buf);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(buf)
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(live, ready, metrics),
    components(schemas(HealthBody, crate::error::ErrorBody)),
    modifiers(&BearerAuth)
)]
pub struct PlatformApi;

/// Declares the bearer scheme used by every authenticated operation.
pub struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The service's OpenAPI document merged with the platform's, as JSON.
pub fn openapi_json(mut service: utoipa::openapi::OpenApi) -> Result<String, serde_json::Error> {
    use utoipa::OpenApi;
    service.merge(PlatformApi::openapi());
    BearerAuth.modify_into(&mut service);
    document_common_answers(&mut service);
    service.to_pretty_json()
}

/// Every operation may answer 400 (a malformed path, query or body: the shared input rule) and,
/// when it takes a body, 415 (not JSON); both in the shared error shape. Added where an operation
/// does not document them itself, so the documents say what the servers do.
pub fn document_common_answers(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let answer = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    for item in api.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let responses = &mut op.responses.responses;
            responses
                .entry("400".to_string())
                .or_insert_with(|| answer("请求格式有误（路径、查询参数或请求体）").into());
            if op.request_body.is_some() {
                responses.entry("415".to_string()).or_insert_with(|| {
                    answer("请求体须为 JSON（Content-Type: application/json）").into()
                });
            }
            // An operation that needs a bearer token answers 401 without a valid one.
            if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                responses
                    .entry("401".to_string())
                    .or_insert_with(|| answer("缺少或无效的身份令牌").into());
            }
        }
    }
}

trait ModifyInto {
    fn modify_into(&self, api: &mut utoipa::openapi::OpenApi);
}
impl ModifyInto for BearerAuth {
    fn modify_into(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::Modify;
        self.modify(api)
    }
}

/// Serve a prepared OpenAPI document at `GET /api-docs/openapi.json`.
pub fn serve_openapi(cfg: &mut web::ServiceConfig, document: Arc<String>) {
    cfg.route(
        "/api-docs/openapi.json",
        web::get().to(move || {
            let body = document.clone();
            async move {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body(body.as_str().to_owned())
            }
        }),
    );
}

/// The query string extractor of every service (查询参数): as `web::Query`, but a value that does
/// not parse answers 400 naming the parameter (through `serde_path_to_error`) in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Query<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// Parse `query` into `T`, or the shared 400 naming the failing parameter.
pub fn parse_query<T: serde::de::DeserializeOwned>(
    query: &str,
) -> Result<T, crate::error::ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = (!path.is_empty() && path != "." && path != "?").then_some(path);
        crate::error::query_error(&e.into_inner().to_string(), field, query)
    })
}

impl<T: serde::de::DeserializeOwned> actix_web::FromRequest for Query<T> {
    type Error = crate::error::ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

#[cfg(test)]
mod query_tests {
    use super::parse_query;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Q {
        q: Option<String>,
        limit: Option<i64>,
        after: Option<uuid::Uuid>,
        on: Option<chrono::NaiveDate>,
    }

    #[test]
    fn a_query_value_that_does_not_parse_is_named() {
        for (qs, field) in [
            ("q=xyz&limit=abc", "limit"),
            ("q=1&limit=99999999999999999999999", "limit"),
            ("after=nope&q=2", "after"),
            ("on=2025-02-30", "on"),
            ("colour=red", "colour"),
        ] {
            let e = parse_query::<Q>(qs).expect_err(qs);
            assert_eq!(e.status.as_u16(), 400, "{qs}");
            assert_eq!(e.body.code, "invalid_query", "{qs}");
            assert_eq!(e.body.details["field"], field, "{qs}: {e}");
            assert!(e.body.message.contains(field), "{qs}: {e}");
        }
        let e = parse_query::<Q>("limit=99999999999999999999999").expect_err("too large");
        assert_eq!(e.body.message, "查询参数 limit 的数值或日期超出允许范围");
        assert!(parse_query::<Q>("q=%E4%B8%AD&limit=3").is_ok());
    }
}
