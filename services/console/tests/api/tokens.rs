//! tokens

use crate::helpers::*;

#[tokio::test]
async fn rotated_keys_old_tokens_live_until_expiry_and_unknown_kids_are_refused() {
    let retired_at = Utc::now();
    let app = App::spawn(|s| {
        s.console.tokens.signing_keys = vec![
            key("k-new", new_seed(), KeyState::Active, None),
            key("k-old", old_seed(), KeyState::Retired, Some(retired_at)),
            key("k-next", [33u8; 32], KeyState::Next, None),
        ];
    })
    .await;
    let id = app
        .account(
            "sun.ba",
            "140423-XFJ",
            &["clerk"],
            "correct horse battery",
            None,
        )
        .await;
    let session = app.login_ok("sun.ba", "correct horse battery").await;
    let sid = session["session_id"].as_str().unwrap();
    let jwks = app.jwks().await;
    let kids: Vec<&str> = jwks.keys.iter().map(|k| k.kid.as_str()).collect();
    assert!(
        kids.contains(&"k-new") && kids.contains(&"k-old") && kids.contains(&"k-next"),
        "{kids:?}"
    );

    // a token the old key signed before the rotation is still accepted while it lives
    let now = Utc::now().timestamp();
    let old = KeyPair::from_seed("k-old", old_seed());
    let token = old
        .sign(&claims_for(
            &id.to_string(),
            Some(sid),
            now - 60,
            now - 60,
            now + 240,
        ))
        .unwrap();
    assert!(verify(&token, &jwks, &app.verify_options()).is_ok());
    let (s, b) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // ... and refused once expired
    let expired = old
        .sign(&claims_for(
            &id.to_string(),
            Some(sid),
            now - 400,
            now - 400,
            now - 100,
        ))
        .unwrap();
    assert_eq!(
        verify(&expired, &jwks, &app.verify_options()),
        Err(VerifyError::Expired)
    );
    // the old key leaves the JWKS once every token it signed has expired
    let keys = KeySet::from_settings(&app.settings.console.tokens, false).unwrap();
    let later = keys.jwks(retired_at + chrono::Duration::seconds(300 + 5 + 1));
    assert!(later.find("k-old").is_none() && later.find("k-new").is_some());
    assert_eq!(
        verify(&token, &later, &app.verify_options()),
        Err(VerifyError::UnknownKey)
    );
    // a key nobody published
    let stranger = KeyPair::from_seed("k-unknown", [44u8; 32]);
    let forged = stranger
        .sign(&claims_for(&id.to_string(), Some(sid), now, now, now + 60))
        .unwrap();
    assert_eq!(
        verify(&forged, &jwks, &app.verify_options()),
        Err(VerifyError::UnknownKey)
    );
    assert_eq!(
        app.get("/api/v1/me", &forged).await.0,
        StatusCode::UNAUTHORIZED
    );
    // a known kid with another key's signature
    let mislabelled = KeyPair::from_seed("k-new", [44u8; 32]);
    let t = mislabelled
        .sign(&claims_for(&id.to_string(), Some(sid), now, now, now + 60))
        .unwrap();
    assert_eq!(
        verify(&t, &jwks, &app.verify_options()),
        Err(VerifyError::Signature)
    );
    app.stop().await;
}

#[tokio::test]
async fn alg_none_and_hs256_signed_with_the_public_key_are_refused() {
    let app = App::spawn(|_| {}).await;
    let id = app
        .account(
            "zhou.jiu",
            "140423-XFJ",
            &["clerk"],
            "correct horse battery",
            None,
        )
        .await;
    let session = app.login_ok("zhou.jiu", "correct horse battery").await;
    let sid = session["session_id"].as_str().unwrap();
    let jwks = app.jwks().await;
    let now = Utc::now().timestamp();
    let claims = claims_for(&id.to_string(), Some(sid), now, now, now + 60);

    let none = format!(
        "{}.",
        unsigned(
            json!({ "alg": "none", "typ": "JWT", "kid": "k-new" }),
            &claims
        )
    );
    assert_eq!(
        verify(&none, &jwks, &app.verify_options()),
        Err(VerifyError::Algorithm)
    );
    assert_eq!(
        app.get("/api/v1/me", &none).await.0,
        StatusCode::UNAUTHORIZED
    );

    // HS256 with the published public key (raw bytes and the base64 text) as the HMAC secret
    let public = URL_SAFE_NO_PAD
        .decode(jwks.find("k-new").unwrap().x.as_ref().unwrap())
        .unwrap();
    for secret in [
        public.clone(),
        jwks.find("k-new").unwrap().x.clone().unwrap().into_bytes(),
    ] {
        let input = unsigned(
            json!({ "alg": "HS256", "typ": "JWT", "kid": "k-new" }),
            &claims,
        );
        let mut mac = Hmac::<Sha256>::new_from_slice(&secret).unwrap();
        mac.update(input.as_bytes());
        let token = format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        );
        assert_eq!(
            verify(&token, &jwks, &app.verify_options()),
            Err(VerifyError::Algorithm)
        );
        let (s, b) = app.get("/api/v1/me", &token).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(b["message"], "缺少或无效的身份令牌：令牌算法不被接受");
    }
    app.stop().await;
}

#[tokio::test]
async fn expired_and_not_yet_valid_tokens_are_refused() {
    let app = App::spawn(|_| {}).await;
    let id = app
        .account(
            "wu.shi",
            "140423-XFJ",
            &["clerk"],
            "correct horse battery",
            None,
        )
        .await;
    let session = app.login_ok("wu.shi", "correct horse battery").await;
    let sid = session["session_id"].as_str().unwrap();
    let jwks = app.jwks().await;
    let signer = KeyPair::from_seed("k-new", new_seed());
    let now = Utc::now().timestamp();
    let expired = signer
        .sign(&claims_for(
            &id.to_string(),
            Some(sid),
            now - 400,
            now - 400,
            now - 60,
        ))
        .unwrap();
    assert_eq!(
        verify(&expired, &jwks, &app.verify_options()),
        Err(VerifyError::Expired)
    );
    let (s, b) = app.get("/api/v1/me", &expired).await;
    assert_eq!(
        (s, b["message"].as_str()),
        (
            StatusCode::UNAUTHORIZED,
            Some("缺少或无效的身份令牌：令牌已过期")
        )
    );
    let early = signer
        .sign(&claims_for(
            &id.to_string(),
            Some(sid),
            now,
            now + 120,
            now + 300,
        ))
        .unwrap();
    assert_eq!(
        verify(&early, &jwks, &app.verify_options()),
        Err(VerifyError::NotYetValid)
    );
    assert_eq!(
        app.get("/api/v1/me", &early).await.0,
        StatusCode::UNAUTHORIZED
    );
    // within the leeway
    let skewed = signer
        .sign(&claims_for(
            &id.to_string(),
            Some(sid),
            now,
            now + 3,
            now + 60,
        ))
        .unwrap();
    assert!(verify(&skewed, &jwks, &app.verify_options()).is_ok());
    // wrong audience
    let mut c = claims_for(&id.to_string(), Some(sid), now, now, now + 60);
    c.aud = "elsewhere".into();
    assert_eq!(
        verify(&signer.sign(&c).unwrap(), &jwks, &app.verify_options()),
        Err(VerifyError::WrongIssuerOrAudience)
    );
    app.stop().await;
}

#[tokio::test]
async fn the_jwks_document_has_the_expected_shape_and_service_tokens_work() {
    let app = App::spawn(|_| {}).await;
    let raw: Value = app
        .http
        .get(format!("{}/.well-known/jwks.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = raw["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{raw}");
    for k in keys {
        let obj = k.as_object().unwrap();
        let mut fields: Vec<&str> = obj.keys().map(String::as_str).collect();
        fields.sort();
        assert_eq!(fields, vec!["alg", "crv", "kid", "kty", "use", "x"]);
        assert_eq!(
            (
                k["kty"].as_str(),
                k["crv"].as_str(),
                k["alg"].as_str(),
                k["use"].as_str()
            ),
            (Some("OKP"), Some("Ed25519"), Some("EdDSA"), Some("sig"))
        );
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(k["x"].as_str().unwrap())
                .unwrap()
                .len(),
            32
        );
    }
    let kids: Vec<&str> = keys.iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids, vec!["k-new", console::domain::keys::DEV_KID]);

    // the development key verifies in local (tests and xinfangctl mint with it)
    let now = Utc::now().timestamp();
    let dev = console::domain::keys::dev_key().unwrap();
    let t = dev
        .sign(&claims_for("someone", None, now, now, now + 60))
        .unwrap();
    assert!(verify(&t, &app.jwks().await, &app.verify_options()).is_ok());

    // service identity tokens
    let (s, b) = app
        .post(
            "/api/v1/auth/service-token",
            None,
            json!({ "client_id": "notification", "client_secret": "wrong" }),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let (s, b) = app
        .post(
            "/api/v1/auth/service-token",
            None,
            json!({ "client_id": "notification", "client_secret": "s3cret-notification" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let token = b["access_token"].as_str().unwrap();
    let claims = verify(token, &app.jwks().await, &app.verify_options()).unwrap();
    assert_eq!(claims.typ, TokenType::Service);
    assert_eq!(claims.sub, "service:notification");
    assert_eq!(claims.scopes, vec!["intake.contact.read"]);
    assert!(claims.unit.is_none() && claims.sid.is_none());
    assert_eq!(
        app.get("/api/v1/units/140423-XFJ", token).await.0,
        StatusCode::OK
    );
    assert_eq!(app.get("/api/v1/me", token).await.0, StatusCode::FORBIDDEN);
    // the OpenAPI document is served
    let doc: Value = app
        .http
        .get(format!("{}/api-docs/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/auth/login"].is_object());
    app.stop().await;
}

#[tokio::test]
async fn production_refuses_the_development_key() {
    let env = TestEnv::new();
    let mut s = settings(&env);
    s.environment = "production".into();
    let e = startup::build(s.clone()).await.err().expect("refused");
    assert!(e.to_string().contains("development key"), "{e}");
    // and a signing key that is the development key
    s.console.tokens.dev_key_file = None;
    s.console.tokens.signing_keys = vec![KeySettings {
        kid: "sneaky".into(),
        private_key_pem: Some(SecretString::from(console::domain::keys::DEV_KEY_PEM)),
        private_key_file: None,
        state: KeyState::Active,
        retired_at: None,
    }];
    assert!(startup::build(s.clone()).await.is_err());
    // and no generated key in production
    s.console.tokens.signing_keys = vec![];
    assert!(startup::build(s).await.is_err());
}
