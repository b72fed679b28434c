//! The other side of the channels, started by the tests on local ports: an SMS gateway that can be
//! told to fail, a small SMTP server that keeps what it receives, and contact details.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use notification::channels::contacts::{Contact, ContactSource};
use notification::channels::ChannelError;
use secrecy::SecretString;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use uuid::Uuid;

/// A local SMS gateway: answers 500 to the first `fail_first` requests, then 200 with a receipt.
#[derive(Clone, Default)]
pub struct Gateway {
    pub received: Arc<Mutex<Vec<Value>>>,
    pub accepted: Arc<Mutex<Vec<Value>>>,
    pub fail_first: Arc<AtomicUsize>,
}

impl Gateway {
    pub fn accepted(&self) -> Vec<Value> {
        self.accepted.lock().unwrap().clone()
    }
    pub fn received(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }
}

async fn sms(req: HttpRequest, body: web::Bytes, gw: web::Data<Gateway>) -> HttpResponse {
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let signed = req.headers().contains_key("X-Signature")
        && req.headers().contains_key("X-Timestamp")
        && req
            .headers()
            .get("Authorization")
            .is_some_and(|a| a == "Bearer gw-key");
    gw.received.lock().unwrap().push(value.clone());
    if !signed {
        return HttpResponse::Unauthorized().finish();
    }
    let left = gw.fail_first.load(Ordering::SeqCst);
    if left > 0 {
        gw.fail_first.store(left - 1, Ordering::SeqCst);
        return HttpResponse::InternalServerError().finish();
    }
    let mut accepted = gw.accepted.lock().unwrap();
    accepted.push(value);
    HttpResponse::Ok().json(serde_json::json!({ "id": format!("gw-{}", accepted.len()) }))
}

/// Start the gateway; returns its `/sms` URL.
pub fn start_gateway(gw: Gateway) -> String {
    let data = web::Data::new(gw);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/sms", web::post().to(sms))
    })
    .workers(2)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    format!("http://127.0.0.1:{port}/sms")
}

/// A small SMTP server (RFC 5321 commands, no TLS): keeps each message's raw text.
#[derive(Clone, Default)]
pub struct Smtp {
    pub messages: Arc<Mutex<Vec<String>>>,
}

impl Smtp {
    pub async fn start(&self) -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = self.messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let messages = messages.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 localhost ESMTP test\r\n").await;
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO")
                        {
                            b"250-localhost\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("DATA") {
                            let _ = write.write_all(b"354 end with .\r\n").await;
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            messages.lock().unwrap().push(data);
                            b"250 2.0.0 queued as 1\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"250 OK\r\n"
                        };
                        let _ = write.write_all(reply).await;
                    }
                });
            }
        });
        port
    }
}

/// Phone, e-mail and preferred channel of one petitioner.
type Person = (Option<String>, Option<String>, Option<String>);

/// Contact details held by the test (as intake would answer them).
#[derive(Default)]
pub struct Contacts {
    pub people: Mutex<HashMap<Uuid, Person>>,
    pub calls: AtomicUsize,
}

impl Contacts {
    pub fn add(
        &self,
        petition: Uuid,
        phone: Option<&str>,
        email: Option<&str>,
        prefers: Option<&str>,
    ) {
        self.people.lock().unwrap().insert(
            petition,
            (
                phone.map(str::to_string),
                email.map(str::to_string),
                prefers.map(str::to_string),
            ),
        );
    }
}

#[async_trait::async_trait]
impl ContactSource for Contacts {
    async fn contacts(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Contact>, ChannelError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let people = self.people.lock().unwrap();
        Ok(ids
            .iter()
            .filter_map(|id| {
                people.get(id).map(|(phone, email, prefers)| {
                    (
                        *id,
                        Contact {
                            petition_id: *id,
                            name: None,
                            phone: phone.clone().map(SecretString::from),
                            email: email.clone().map(SecretString::from),
                            preferred_channel: prefers.clone(),
                        },
                    )
                })
            })
            .collect())
    }

    async fn verify_query_code(&self, _: &str, _: &str) -> Result<Option<Uuid>, ChannelError> {
        Ok(None)
    }
}
