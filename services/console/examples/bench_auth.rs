//! What one login and one token verification cost (登录与令牌校验开销).
//!
//! `cargo run --release -p console --example bench_auth`
//!
//! 1. argon2id hash time for a few parameter sets (the login verifies one hash, so this is the
//!    CPU cost of a login), and verify p50/p99 for the configured default;
//! 2. EdDSA JWT signing and verification against a JWKS, p50/p99 per token.

// A benchmark reports on standard output.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use chrono::Utc;
use console::{
    configuration::PasswordSettings,
    domain::keys::KeyPair,
    domain::{
        account::LoginName,
        password::{HashCost, NewPassword, PasswordHasher},
    },
};
use xinfang_platform::auth::{verify, Claims, Jwks, TokenType, VerifyOptions};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() -> anyhow::Result<()> {
    let login = LoginName::parse("bench.user").map_err(|e| anyhow::anyhow!("{e}"))?;
    let password = NewPassword::parse("password", "correct horse battery staple", &login)
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    println!("argon2id hash cost (median of 5):");
    for (m, t) in [
        (19 * 1024, 2),
        (46 * 1024, 2),
        (64 * 1024, 2),
        (64 * 1024, 3),
        (96 * 1024, 3),
        (128 * 1024, 3),
    ] {
        let h = PasswordHasher::new(HashCost {
            memory_kib: m,
            iterations: t,
            parallelism: 1,
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut times: Vec<Duration> = (0..5)
            .map(|_| {
                let start = Instant::now();
                let _ = h.hash(&password);
                start.elapsed()
            })
            .collect();
        times.sort();
        println!("  m={:>6} KiB t={t} p=1: {:7.1} ms", m, ms(times[2]));
    }

    let d = PasswordSettings::default();
    let h = PasswordHasher::new(HashCost {
        memory_kib: d.memory_kib,
        iterations: d.iterations,
        parallelism: d.parallelism,
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let phc = h.hash(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut times: Vec<Duration> = (0..30)
        .map(|_| {
            let start = Instant::now();
            assert!(h.verify("correct horse battery staple", &phc));
            start.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "login password check with the default m={} KiB t={} p={}: p50 {:.1} ms, p99 {:.1} ms ({phc:.40}…)",
        d.memory_kib, d.iterations, d.parallelism, ms(percentile(&times, 0.5)), ms(percentile(&times, 0.99))
    );

    let key = KeyPair::generate("bench");
    let jwks = Jwks {
        keys: vec![
            KeyPair::generate("other-1").jwk(),
            KeyPair::generate("other-2").jwk(),
            key.jwk(),
        ],
    };
    let opts = VerifyOptions::new("xinfang", "xinfang", 30);
    let now = Utc::now().timestamp();
    let claims = Claims {
        sub: uuid::Uuid::now_v7().to_string(),
        typ: TokenType::User,
        unit: Some("140423-XFJ".into()),
        roles: vec!["clerk".into(), "handler".into()],
        scopes: vec![],
        sid: Some(uuid::Uuid::now_v7().to_string()),
        iss: "xinfang".into(),
        aud: "xinfang".into(),
        iat: now,
        nbf: now,
        exp: now + 300,
        jti: uuid::Uuid::new_v4().to_string(),
    };
    let n = 20_000;
    let mut sign = Vec::with_capacity(n);
    let mut tokens = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        tokens.push(key.sign(&claims)?);
        sign.push(start.elapsed());
    }
    let mut check = Vec::with_capacity(n);
    for t in &tokens {
        let start = Instant::now();
        verify(t, &jwks, &opts).map_err(|e| anyhow::anyhow!("{e}"))?;
        check.push(start.elapsed());
    }
    sign.sort();
    check.sort();
    println!(
        "EdDSA sign ({n} tokens, {} bytes each): p50 {:.1} µs, p99 {:.1} µs",
        tokens[0].len(),
        ms(percentile(&sign, 0.5)) * 1e3,
        ms(percentile(&sign, 0.99)) * 1e3
    );
    println!(
        "EdDSA verify against a 3-key JWKS: p50 {:.1} µs, p99 {:.1} µs",
        ms(percentile(&check, 0.5)) * 1e3,
        ms(percentile(&check, 0.99)) * 1e3
    );
    Ok(())
}
