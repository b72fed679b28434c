//! Cookies, CSRF tokens and security headers of the pages (页面安全).
//!
//! The staff cookie holds the console session's refresh secret; the portal's and the login page's
//! cookie a random value. Every form carries a CSRF token derived from the cookie's value
//! (`SHA-256("xinfang-csrf:" ‖ value)`): a page of another site can neither read the cookie nor
//! compute the token, and the cookies are `SameSite=Strict` besides.

use actix_web::{
    cookie::{time::Duration as CookieDuration, Cookie, SameSite},
    http::header,
    HttpRequest, HttpResponse, HttpResponseBuilder,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::configuration::PagesSettings;

/// The staff session cookie (控制台会话).
pub const STAFF_COOKIE: &str = "xf_console";
/// The login page's pre-session cookie (for its CSRF token).
pub const LOGIN_COOKIE: &str = "xf_console_pre";
/// The portal's cookie (信访人门户会话).
pub const PORTAL_COOKIE: &str = "xf_portal";

/// The Content-Security-Policy of every page: nothing but the console's own files, no inline
/// script or style, no framing, forms only to itself.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A new random cookie value (32 bytes, base64url).
pub fn random_value() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// The CSRF token that goes with a cookie value.
pub fn csrf_for(value: &str) -> String {
    hex::encode(Sha256::digest(format!("xinfang-csrf:{value}").as_bytes()))
}

/// Whether `token` is the CSRF token of `value` (compared as digests, in constant time).
pub fn csrf_ok(value: &str, token: &str) -> bool {
    let a = Sha256::digest(csrf_for(value).as_bytes());
    let b = Sha256::digest(token.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// A cookie's value from the request.
pub fn cookie_value(req: &HttpRequest, name: &str) -> Option<String> {
    req.cookie(name)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// A session cookie (no `Max-Age`: it ends with the browser; the server side ends it sooner).
pub fn cookie(
    name: &'static str,
    value: String,
    path: &'static str,
    pages: &PagesSettings,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(pages.secure_cookies)
        .finish()
}

/// The cookie that removes `name`.
pub fn removal(name: &'static str, path: &'static str, pages: &PagesSettings) -> Cookie<'static> {
    let mut c = cookie(name, String::new(), path, pages);
    c.set_max_age(CookieDuration::ZERO);
    c
}

/// The headers every page carries.
pub fn page_headers(mut b: HttpResponseBuilder) -> HttpResponseBuilder {
    b.insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    b
}

/// A redirect (303) to `location`.
pub fn see_other(location: &str) -> HttpResponseBuilder {
    let mut b = page_headers(HttpResponse::SeeOther());
    b.insert_header((header::LOCATION, location.to_string()));
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_belong_to_their_cookie() {
        let v = random_value();
        let t = csrf_for(&v);
        assert!(csrf_ok(&v, &t));
        assert!(!csrf_ok(&random_value(), &t));
        assert!(!csrf_ok(&v, ""));
        assert_ne!(v, random_value());
    }
}
