//! Verification against the development key: what is accepted and what is refused.

use actix_web::{test as http_test, web, App, HttpResponse};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use super::*;
use crate::settings::AuthSettings;

const DEV_PEM: &str = include_str!("../../../../deploy/dev-keys/dev-ed25519.pem");
const BUREAU: &str = "140423-XFJ";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims(typ: &str, exp_in: i64, nbf_in: i64) -> Value {
    let now = now();
    let mut c = json!({
        "sub": "u1", "typ": typ, "iss": "xinfang", "aud": "xinfang",
        "iat": now, "nbf": now + nbf_in, "exp": now + exp_in, "jti": "j1",
    });
    if typ == "user" {
        c["unit"] = json!(BUREAU);
        c["roles"] = json!(["clerk"]);
        c["sid"] = json!("s1");
    } else {
        c["scopes"] = json!(["intake.contact.read"]);
    }
    c
}

fn sign(claims: &Value, kid: &str) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_ed_der(&dev::pem_der(DEV_PEM).unwrap()),
    )
    .unwrap()
}

fn dev_jwks() -> Jwks {
    Jwks {
        keys: vec![dev::dev_jwk()],
    }
}

fn options() -> VerifyOptions {
    VerifyOptions::new("xinfang", "xinfang", 5)
}

#[test]
fn the_dev_public_key_is_the_one_of_the_checked_in_pem() {
    let t = sign(&claims("user", 60, 0), dev::DEV_KID);
    assert!(verify(&t, &dev_jwks(), &options()).is_ok());
}

#[test]
fn an_eddsa_token_is_accepted_and_read_into_an_actor() {
    let t = sign(&claims("user", 60, 0), dev::DEV_KID);
    let c = verify(&t, &dev_jwks(), &options()).unwrap();
    assert_eq!(c.typ, TokenType::User);
    assert_eq!(c.sid.as_deref(), Some("s1"));
    let a = Actor::from_claims(c, BUREAU).unwrap();
    assert_eq!(a.user_id, "u1");
    assert!(a.bureau);
    assert_eq!(a.kind, ActorKind::Person);
    assert_eq!(a.session_id.as_deref(), Some("s1"));
    assert!(a.has(Permission::RegisterPetition));
    assert!(!a.has(Permission::Administer));
}

#[test]
fn alg_none_is_refused() {
    let t = sign(&claims("user", 60, 0), dev::DEV_KID);
    let body = t.split('.').nth(1).unwrap();
    for header in [
        json!({"alg": "none", "kid": dev::DEV_KID}),
        json!({"alg": "None", "kid": dev::DEV_KID}),
        json!({"kid": dev::DEV_KID}),
    ] {
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        assert_eq!(
            verify(&format!("{h}.{body}."), &dev_jwks(), &options()),
            Err(VerifyError::Algorithm)
        );
    }
}

#[test]
fn hs256_signed_with_the_public_key_bytes_is_refused() {
    let public = URL_SAFE_NO_PAD.decode(dev::DEV_PUBLIC_KEY_X).unwrap();
    for secret in [public.as_slice(), dev::DEV_PUBLIC_KEY_X.as_bytes()] {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(dev::DEV_KID.into());
        let t = jsonwebtoken::encode(
            &header,
            &claims("user", 60, 0),
            &EncodingKey::from_secret(secret).unwrap(),
        )
        .unwrap();
        assert_eq!(
            verify(&t, &dev_jwks(), &options()),
            Err(VerifyError::Algorithm)
        );
    }
}

#[test]
fn an_unknown_kid_is_refused() {
    let t = sign(&claims("user", 60, 0), "someone-else");
    assert_eq!(
        verify(&t, &dev_jwks(), &options()),
        Err(VerifyError::UnknownKey)
    );
    // A known kid naming another key: the signature does not verify.
    let other = Jwks {
        keys: vec![Jwk::ed25519(dev::DEV_KID, &[9u8; 32])],
    };
    let t = sign(&claims("user", 60, 0), dev::DEV_KID);
    assert!(verify(&t, &other, &options()).is_err());
}

#[test]
fn expired_and_not_yet_valid_tokens_are_refused() {
    let t = sign(&claims("user", -60, -120), dev::DEV_KID);
    assert_eq!(
        verify(&t, &dev_jwks(), &options()),
        Err(VerifyError::Expired)
    );
    let t = sign(&claims("user", 600, 300), dev::DEV_KID);
    assert_eq!(
        verify(&t, &dev_jwks(), &options()),
        Err(VerifyError::NotYetValid)
    );
    // Within the leeway both pass.
    let t = sign(&claims("user", -2, 2), dev::DEV_KID);
    assert!(verify(&t, &dev_jwks(), &options()).is_ok());
}

#[test]
fn a_wrong_audience_or_issuer_is_refused() {
    let mut c = claims("user", 60, 0);
    c["aud"] = json!("another-platform");
    let t = sign(&c, dev::DEV_KID);
    assert_eq!(
        verify(&t, &dev_jwks(), &options()),
        Err(VerifyError::WrongIssuerOrAudience)
    );
    let mut c = claims("user", 60, 0);
    c["iss"] = json!("https://elsewhere.example");
    let t = sign(&c, dev::DEV_KID);
    assert_eq!(
        verify(&t, &dev_jwks(), &options()),
        Err(VerifyError::WrongIssuerOrAudience)
    );
    let mut c = claims("user", 60, 0);
    c.as_object_mut().unwrap().remove("exp");
    let t = sign(&c, dev::DEV_KID);
    assert_eq!(
        verify(&t, &dev_jwks(), &options()),
        Err(VerifyError::Malformed)
    );
}

#[test]
fn external_issuers_claim_names_are_read() {
    let now = now();
    let c = json!({
        "sub": "3f0c", "iss": "https://sso.example/realms/xf", "aud": ["xinfang", "account"],
        "exp": now + 60, "iat": now, "xf_unit": "140423-ZFB", "realm_roles": "handler offline_access",
        "sid": "kc-session",
    });
    let t = sign(&c, dev::DEV_KID);
    let options = VerifyOptions {
        issuer: "https://sso.example/realms/xf".into(),
        audience: "xinfang".into(),
        leeway_secs: 5,
        unit_claim: "xf_unit".into(),
        roles_claim: "realm_roles".into(),
    };
    let a = Actor::from_claims(verify(&t, &dev_jwks(), &options).unwrap(), BUREAU).unwrap();
    assert_eq!(a.unit, "140423-ZFB");
    assert_eq!(a.roles, vec![Role::Handler]);
    assert!(!a.bureau);
}

#[test]
fn production_refuses_the_development_key() {
    let s = AuthSettings::with_keys("xinfang", "xinfang", BUREAU, vec![dev::dev_jwk()]);
    assert!(Verifier::from_settings(&s, false).is_ok());
    let e = Verifier::from_settings(&s, true).unwrap_err().to_string();
    assert!(e.contains("development key"), "{e}");
    // Under another kid too.
    let mut renamed = dev::dev_jwk();
    renamed.kid = "prod-1".into();
    let s = AuthSettings::with_keys("xinfang", "xinfang", BUREAU, vec![renamed]);
    assert!(Verifier::from_settings(&s, true).is_err());
    // And no source at all is refused everywhere.
    let s = AuthSettings::with_keys("xinfang", "xinfang", BUREAU, vec![]);
    assert!(Verifier::from_settings(&s, false).is_err());
}

async fn ordinary(actor: Actor) -> HttpResponse {
    HttpResponse::Ok().body(actor.user_id)
}

#[actix_web::test]
async fn a_service_identity_is_refused_by_an_ordinary_endpoint() {
    let s = AuthSettings::with_keys("xinfang", "xinfang", BUREAU, vec![dev::dev_jwk()]);
    let verifier = Verifier::from_settings(&s, false).unwrap();
    let app = http_test::init_service(
        App::new()
            .app_data(web::Data::new(verifier))
            .route("/ordinary", web::get().to(ordinary))
            .service(
                web::resource("/contact")
                    .app_data(web::Data::new(AcceptServiceScopes::new([
                        "intake.contact.read",
                    ])))
                    .route(web::get().to(ordinary)),
            )
            .service(
                web::resource("/other-scope")
                    .app_data(web::Data::new(AcceptServiceScopes::new(["x.y"])))
                    .route(web::get().to(ordinary)),
            ),
    )
    .await;
    let service = sign(&claims("service", 60, 0), dev::DEV_KID);
    let person = sign(&claims("user", 60, 0), dev::DEV_KID);
    let call = |path: &'static str, token: &str| {
        http_test::TestRequest::get()
            .uri(path)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .to_request()
    };
    let status = |r: actix_web::dev::ServiceResponse| r.status().as_u16();
    assert_eq!(
        status(http_test::call_service(&app, call("/ordinary", &service)).await),
        403
    );
    assert_eq!(
        status(http_test::call_service(&app, call("/other-scope", &service)).await),
        403
    );
    assert_eq!(
        status(http_test::call_service(&app, call("/contact", &service)).await),
        200
    );
    assert_eq!(
        status(http_test::call_service(&app, call("/ordinary", &person)).await),
        200
    );
    assert_eq!(
        status(http_test::call_service(&app, call("/ordinary", "garbage")).await),
        401
    );
}

#[tokio::test]
async fn a_remembered_token_is_refused_once_its_key_is_withdrawn() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let trusted = std::sync::Arc::new(AtomicBool::new(true));
    let keys = trusted.clone();
    let s = AuthSettings::with_keys("xinfang", "xinfang", BUREAU, vec![]);
    let verifier = Verifier::local(&s, false, move || {
        if keys.load(Ordering::SeqCst) {
            dev_jwks()
        } else {
            Jwks::default()
        }
    })
    .unwrap();
    let t = sign(&claims("user", 60, 0), dev::DEV_KID);
    let first = verifier.verify(&t).await.unwrap();
    // The second use is answered from memory, with the same claims.
    assert_eq!(verifier.verify(&t).await.unwrap(), first);
    trusted.store(false, Ordering::SeqCst);
    assert!(matches!(
        verifier.verify(&t).await,
        Err(VerifyError::UnknownKey)
    ));
    // Trusted again: verified afresh.
    trusted.store(true, Ordering::SeqCst);
    assert_eq!(verifier.verify(&t).await.unwrap(), first);
}

#[tokio::test]
async fn a_remembered_token_is_refused_once_it_expires() {
    let mut s = AuthSettings::with_keys("xinfang", "xinfang", BUREAU, vec![dev::dev_jwk()]);
    s.leeway_secs = 0;
    let verifier = Verifier::from_settings(&s, false).unwrap();
    let t = sign(&claims("user", 1, 0), dev::DEV_KID);
    assert!(verifier.verify(&t).await.is_ok());
    assert!(verifier.verify(&t).await.is_ok());
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    assert!(matches!(
        verifier.verify(&t).await,
        Err(VerifyError::Expired)
    ));
}

#[tokio::test]
async fn a_refused_token_is_not_remembered() {
    let s = AuthSettings::with_keys("xinfang", "xinfang", BUREAU, vec![dev::dev_jwk()]);
    let verifier = Verifier::from_settings(&s, false).unwrap();
    let good = sign(&claims("user", 60, 0), dev::DEV_KID);
    // The same token with another signature (a character inside a valid one changed).
    let mut bad: Vec<char> = good.chars().collect();
    let i = bad.len() - 10;
    bad[i] = if bad[i] == 'A' { 'B' } else { 'A' };
    let bad: String = bad.into_iter().collect();
    assert!(verifier.verify(&good).await.is_ok());
    for _ in 0..2 {
        assert!(verifier.verify(&bad).await.is_err());
    }
}
