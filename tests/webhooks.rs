//! Webhooks as a partner receives them: a real HTTP receiver on a random
//! local port checks every delivery with the reference Standard Webhooks
//! library (`standardwebhooks` from the npm registry), not with Kiji's own
//! code. Deliveries come from the change log through the outbox: they
//! survive a delivery worker stopped mid-run and a server process killed
//! and restarted, retry, end dead after their last attempt, and are sent
//! again when an ADMIN replays them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api::content::Bundle;
use api::editorial::audit::Actor;
use api::editorial::partners::{self, Covers, NewLicence};
use api::locale::Locale;
use common::{Backend, TestApp, TestDatabase};
use serde_json::Value;

/// A category that needs no sign-off, with two articles in ja and en.
const CONTENT: &str = r#"
categories:
  - { slug: clinic-news, source_locale: ja, medical: false, name: { ja: お知らせ } }
articles:
  - slug: first-news
    category: clinic-news
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-01T00:00:00Z
    translations:
      ja: { title: 一, lead: リード, status: PUBLISHED }
      en: { title: One, lead: Lead, status: PUBLISHED }
  - slug: second-news
    category: clinic-news
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-02T00:00:00Z
    translations:
      ja: { title: 二, lead: リード, status: PUBLISHED }
"#;

/// A receiver process and what it printed.
struct Receiver {
    child: Child,
    port: u16,
    lines: Arc<Mutex<Vec<Value>>>,
    secret: PathBuf,
    fail: PathBuf,
}

impl Receiver {
    /// Starts a receiver that answers after `delay_ms`.
    fn start(delay_ms: u64) -> Option<Self> {
        if !common::js::install() {
            return None;
        }
        let dir = std::env::temp_dir().join(format!("kiji-hooks-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let (secret, fail) = (dir.join("secret"), dir.join("fail"));
        std::fs::write(&secret, "whsec_AAAA").unwrap();
        let mut child = Command::new("node")
            .arg(common::js::dir().join("webhook-receiver.cjs"))
            .arg(&secret)
            .arg(delay_ms.to_string())
            .arg(&fail)
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let port = serde_json::from_str::<Value>(&first).unwrap()["port"].as_u64().unwrap() as u16;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if let Ok(value) = serde_json::from_str::<Value>(&line) {
                    sink.lock().unwrap().push(value);
                }
            }
        });
        Some(Self {
            child,
            port,
            lines,
            secret,
            fail,
        })
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/kiji", self.port)
    }

    fn use_secret(&self, secret: &str) {
        std::fs::write(&self.secret, secret).unwrap();
    }

    /// Every delivery answered with success, verified.
    fn received(&self) -> Vec<Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l["verified"] == true && l["payload"].is_object())
            .cloned()
            .collect()
    }

    fn unverified(&self) -> Vec<Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l["verified"] == false)
            .cloned()
            .collect()
    }

    /// Waits (up to a minute) until `done` holds for what was received.
    async fn until(&self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: received {received:#?}, refused {:#?}",
                self.unverified()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn types(received: &[Value]) -> Vec<String> {
    received
        .iter()
        .map(|r| r["payload"]["type"].as_str().unwrap().to_owned())
        .collect()
}

fn licence(partner: &str, covers: Covers, locales: &[&str]) -> NewLicence {
    NewLicence {
        partner: partner.to_owned(),
        covers,
        locales: locales.iter().map(|l| Locale::parse(l).unwrap()).collect(),
        starts_at: None,
        ends_at: None,
        attribution: "Courtesy of the clinic".to_owned(),
        terms: String::new(),
        canonical_url_template: None,
    }
}

/// A partner with an endpoint at `url`; returns the endpoint.
async fn endpoint(app: &TestApp, url: &str) -> entity::webhook_endpoint::Model {
    partners::create_partner(&app.db, Actor::CommandLine, "hooked", "Hooked clinic")
        .await
        .unwrap();
    api::editorial::webhooks::register(&app.db, Actor::CommandLine, "hooked", url, true)
        .await
        .unwrap()
}

async fn every_delivery_verifies_with_the_reference_library(backend: Backend) {
    let Some(receiver) = Receiver::start(0) else {
        return;
    };
    let Some(app) = TestApp::spawn_with(backend, |config| {
        config.webhook_retry_base_ms = 50;
        config.webhook_max_attempts = 3;
    })
    .await
    else {
        return;
    };
    app.import(&Bundle::from_yaml(CONTENT).unwrap()).await.unwrap();
    let hook = endpoint(&app, &receiver.url()).await;
    receiver.use_secret(&hook.secret);
    let granted = partners::grant(
        &app.db,
        &app.followers,
        Actor::CommandLine,
        licence("hooked", Covers::Category("clinic-news".into()), &["ja", "en"]),
    )
    .await
    .unwrap();
    let received = receiver.until("license.granted", |r| !r.is_empty()).await;
    let grant = &received[0]["payload"];
    assert_eq!(grant["type"], "license.granted", "{grant:#}");
    assert_eq!(grant["data"]["licenseId"], granted.id.to_string());
    assert_eq!(
        grant["data"]["articles"].as_array().unwrap().len(),
        3,
        "first-news ja+en, second-news ja"
    );

    // A change to a licensed article, then a withdrawal.
    let (_, admin) = api::editorial::auth::create_key(&app.db, entity::enums::Role::Admin, "admin")
        .await
        .unwrap();
    let body = app
        .as_key(
            Some(&admin),
            r#"mutation { withdrawTranslation(input: { slug: "first-news", revision: 1, locale: "en" }) { status } }"#,
            serde_json::json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    // The English copy goes, the Japanese one is updated (in either order:
    // an endpoint's deliveries are sent side by side).
    let received = receiver.until("article.unpublished", |r| r.len() >= 3).await;
    let mut phase: Vec<(String, String)> = received[1..3]
        .iter()
        .map(|r| {
            (
                r["payload"]["type"].as_str().unwrap().to_owned(),
                r["payload"]["data"]["locale"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    phase.sort();
    assert_eq!(
        phase,
        [
            ("article.unpublished".to_owned(), "en".to_owned()),
            ("article.updated".to_owned(), "ja".to_owned())
        ]
    );
    let gone = received[1..3]
        .iter()
        .find(|r| r["payload"]["type"] == "article.unpublished")
        .unwrap();
    assert_eq!(gone["payload"]["data"]["reason"], "LOCALE_WITHDRAWN");

    // Rotation: the receiver still holding the old secret verifies, and so
    // does one that switched.
    let rotated = api::editorial::webhooks::rotate(&app.db, Actor::CommandLine, hook.id)
        .await
        .unwrap();
    assert_ne!(rotated.secret, hook.secret);
    let body = app
        .as_key(
            Some(&admin),
            r#"mutation { publishTranslation(input: { slug: "first-news", revision: 1, locale: "en" }) { status } }"#,
            serde_json::json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let received = receiver.until("article.published, old secret", |r| r.len() >= 5).await;
    let mut phase: Vec<String> = types(&received[3..5]);
    phase.sort();
    assert_eq!(phase, ["article.published", "article.updated"]);
    receiver.use_secret(&rotated.secret);
    partners::revoke(&app.db, &app.followers, Actor::CommandLine, granted.id)
        .await
        .unwrap();
    let received = receiver.until("license.revoked, new secret", |r| r.len() >= 6).await;
    assert_eq!(received[5]["payload"]["type"], "license.revoked");
    assert_eq!(received[5]["payload"]["data"]["reason"], "REVOKED");
    assert_eq!(received[5]["payload"]["data"]["articles"].as_array().unwrap().len(), 3);
    assert!(receiver.unverified().is_empty(), "{:#?}", receiver.unverified());
    let ids: BTreeSet<&str> = received.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), received.len(), "one message id per event");

    // Retries, then dead, then replayed by an ADMIN.
    std::fs::write(&receiver.fail, "").unwrap();
    partners::grant(
        &app.db,
        &app.followers,
        Actor::CommandLine,
        licence("hooked", Covers::Article("second-news".into()), &["ja"]),
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let dead = loop {
        let log = api::editorial::webhooks::deliveries(&app.db, hook.id, 10)
            .await
            .unwrap();
        if log[0].state == "DEAD" {
            break log[0].clone();
        }
        assert!(Instant::now() < deadline, "{log:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!((dead.attempts, dead.last_status), (3, Some(500)));
    std::fs::remove_file(&receiver.fail).unwrap();
    let replayed = api::editorial::webhooks::replay(&app.db, Actor::CommandLine, hook.id, false)
        .await
        .unwrap();
    assert_eq!(replayed, 1);
    let received = receiver.until("the replayed delivery", |r| r.len() >= 7).await;
    assert_eq!(
        received[6]["id"],
        format!("msg_{}", dead.id.simple()),
        "the same message id"
    );
    // The receiver prints before it answers: the log says DELIVERED once
    // Kiji has the answer.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = api::editorial::webhooks::deliveries(&app.db, hook.id, 10)
            .await
            .unwrap();
        if log[0].state == "DELIVERED" {
            assert_eq!(log[0].attempts, 1, "counted from the replay");
            break;
        }
        assert_eq!(log[0].state, "PENDING", "{log:#?}");
        assert!(Instant::now() < deadline, "{log:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The clock's changes fire webhooks when they happen: a scheduled first
/// publication `article.published` when it goes public, a licence's end
/// `license.revoked` on its date — not before. Time is moved by asking the
/// clock job about a later time; the worker runs in the test.
async fn the_clocks_changes_fire_when_they_happen(backend: Backend) {
    let Some(receiver) = Receiver::start(0) else {
        return;
    };
    let Some(app) = TestApp::spawn_with(backend, |config| config.webhooks = false).await else {
        return;
    };
    let hook = endpoint(&app, &receiver.url()).await;
    receiver.use_secret(&hook.secret);
    let category =
        "categories:\n  - { slug: clinic-news, source_locale: ja, medical: false, name: { ja: お知らせ } }\n";
    app.import(&Bundle::from_yaml(category).unwrap()).await.unwrap();
    let now = chrono::Utc::now();
    let mut dated = licence("hooked", Covers::Category("clinic-news".into()), &["ja"]);
    dated.ends_at = Some(now + chrono::Duration::hours(3));
    partners::grant(&app.db, &app.followers, Actor::CommandLine, dated)
        .await
        .unwrap();
    let at = now + chrono::Duration::hours(1);
    let scheduled = format!(
        "articles:\n  - slug: later\n    category: clinic-news\n    source_locale: ja\n    status: PUBLISHED\n    \
         published_at: {}\n    translations:\n      ja: {{ title: 予定, lead: リード, status: PUBLISHED }}\n",
        at.to_rfc3339()
    );
    app.import(&Bundle::from_yaml(&scheduled).unwrap()).await.unwrap();
    let worker =
        api::delivery::webhooks::Worker::new(app.db.clone(), api::delivery::webhooks::Settings::default()).unwrap();
    // Nothing is due yet: the grant covered no article, the publication is
    // an hour away.
    worker.enqueue().await.unwrap();
    assert_eq!(
        api::editorial::webhooks::deliveries(&app.db, hook.id, 10)
            .await
            .unwrap()
            .len(),
        0
    );
    api::store::due::log_due(&app.db, &app.followers, at - chrono::Duration::seconds(1))
        .await
        .unwrap();
    worker.enqueue().await.unwrap();
    assert_eq!(
        api::editorial::webhooks::deliveries(&app.db, hook.id, 10)
            .await
            .unwrap()
            .len(),
        0,
        "not before"
    );
    // At its time the publication fires.
    api::store::due::log_due(&app.db, &app.followers, at).await.unwrap();
    worker.enqueue().await.unwrap();
    worker.dispatch().await.unwrap();
    let received = receiver.until("article.published", |r| !r.is_empty()).await;
    assert_eq!(types(&received), ["article.published"]);
    // At the licence's end, license.revoked with the reason.
    api::store::due::log_due(&app.db, &app.followers, now + chrono::Duration::hours(3))
        .await
        .unwrap();
    worker.enqueue().await.unwrap();
    worker.dispatch().await.unwrap();
    let received = receiver.until("license.revoked", |r| r.len() >= 2).await;
    assert_eq!(received[1]["payload"]["type"], "license.revoked");
    assert_eq!(received[1]["payload"]["data"]["reason"], "ENDED");
    assert_eq!(received[1]["payload"]["data"]["articles"].as_array().unwrap().len(), 1);
    assert!(receiver.unverified().is_empty());
}

async fn a_worker_stopped_mid_run_loses_nothing(backend: Backend) {
    let Some(receiver) = Receiver::start(150) else {
        return;
    };
    let Some(app) = TestApp::spawn_with(backend, |config| config.webhooks = false).await else {
        return;
    };
    let hook = endpoint(&app, &receiver.url()).await;
    receiver.use_secret(&hook.secret);
    let category =
        "categories:\n  - { slug: clinic-news, source_locale: ja, medical: false, name: { ja: お知らせ } }\n";
    app.import(&Bundle::from_yaml(category).unwrap()).await.unwrap();
    partners::grant(
        &app.db,
        &app.followers,
        Actor::CommandLine,
        licence("hooked", Covers::Category("clinic-news".into()), &["ja", "en"]),
    )
    .await
    .unwrap();
    // Twelve articles at once: 24 article locales to announce.
    let mut bundle = String::from("articles:\n");
    for n in 0..12 {
        bundle.push_str(&format!(
            "  - slug: bulk-{n}\n    category: clinic-news\n    source_locale: ja\n    status: PUBLISHED\n    \
             published_at: 2025-01-01T00:00:00Z\n    translations:\n      ja: {{ title: 記事{n}, lead: リ, status: PUBLISHED }}\n      \
             en: {{ title: Article {n}, lead: L, status: PUBLISHED }}\n"
        ));
    }
    app.import(&Bundle::from_yaml(&bundle).unwrap()).await.unwrap();
    let settings = api::delivery::webhooks::Settings {
        timeout: Duration::from_secs(2),
        lease: Duration::from_secs(3),
        poll: Duration::from_millis(20),
        retry_base: Duration::from_millis(50),
        ..Default::default()
    };
    let first = api::delivery::webhooks::Worker::new(app.db.clone(), settings.clone()).unwrap();
    let running = tokio::spawn(first.run());
    receiver.until("a few deliveries", |r| r.len() >= 3).await;
    running.abort();
    let _ = running.await;
    let so_far = receiver.received().len();
    assert!(so_far < 24, "stopped mid-run: {so_far} of 24 already");
    let second = api::delivery::webhooks::Worker::new(app.db.clone(), settings).unwrap();
    let running = tokio::spawn(second.run());
    let received = receiver
        .until("every event once at least", |r| {
            r.iter()
                .filter(|r| r["payload"]["type"] == "article.published")
                .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
                .collect::<BTreeSet<_>>()
                .len()
                == 24
        })
        .await;
    running.abort();
    let pairs: BTreeSet<(String, String)> = received
        .iter()
        .filter(|r| r["payload"]["type"] == "article.published")
        .map(|r| {
            (
                r["payload"]["data"]["articleId"].as_str().unwrap().to_owned(),
                r["payload"]["data"]["locale"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(pairs.len(), 24, "every article locale announced");
    assert!(receiver.unverified().is_empty());
}

/// Runs `kiji ARGS` on `url`; its standard output.
fn kiji(url: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kiji"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("KIJI_LOG", "warn")
        .output()
        .expect("kiji runs");
    assert!(
        out.status.success(),
        "kiji {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Starts `kiji serve` on `url`.
fn serve(url: &str) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiji"))
        .env("DATABASE_URL", url)
        .env("KIJI_LISTEN", "127.0.0.1:0")
        .env("KIJI_LOG", "warn")
        .env("KIJI_WEBHOOK_RETRY_BASE_MS", "50")
        .env("KIJI_WEBHOOK_TIMEOUT_MS", "1000")
        .stdout(Stdio::piped())
        .spawn()
        .expect("kiji serve runs");
    // It prints its address once it serves.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.contains("Kiji is running"), "{line}");
    child
}

async fn a_killed_server_loses_no_event(backend: Backend) {
    let Some(receiver) = Receiver::start(100) else {
        return;
    };
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let url = database.url.clone();
    let mut server = serve(&url);
    kiji(
        &url,
        &["partners", "create", "--slug", "hooked", "--name", "Hooked clinic"],
    );
    let added = kiji(
        &url,
        &[
            "webhooks",
            "add",
            "--partner",
            "hooked",
            "--url",
            &receiver.url(),
            "--allow-private-network",
        ],
    );
    receiver.use_secret(added.lines().last().unwrap());
    // The sample column, licensed in both its locales, then withdrawn and
    // granted again, and again: 2 events per round.
    let category = "regenerative-medicine";
    let mut ids = Vec::new();
    for _ in 0..4 {
        let granted = kiji(
            &url,
            &[
                "licences",
                "grant",
                "--partner",
                "hooked",
                "--category",
                category,
                "--locale",
                "ja",
                "--locale",
                "en",
                "--attribution",
                "Courtesy of the clinic",
            ],
        );
        let id = granted.split_whitespace().last().unwrap().to_owned();
        kiji(&url, &["licences", "revoke", &id]);
        ids.push(id);
    }
    receiver.until("the first deliveries", |r| !r.is_empty()).await;
    server.kill().unwrap();
    server.wait().unwrap();
    let before = receiver.received().len();
    assert!(before < 8, "killed mid-run: {before} of 8 already");
    let mut server = serve(&url);
    let received = receiver
        .until("all 8 licence events", |r| {
            r.iter()
                .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
                .collect::<BTreeSet<_>>()
                .len()
                == 8
        })
        .await;
    server.kill().unwrap();
    server.wait().unwrap();
    for id in &ids {
        let about: Vec<&str> = received
            .iter()
            .filter(|r| r["payload"]["data"]["licenseId"] == id.as_str())
            .map(|r| r["payload"]["type"].as_str().unwrap())
            .collect();
        assert!(
            about.contains(&"license.granted") && about.contains(&"license.revoked"),
            "{id}: {about:?}"
        );
    }
    assert!(receiver.unverified().is_empty());
}

db_tests!(
    the_clocks_changes_fire_when_they_happen,
    every_delivery_verifies_with_the_reference_library,
    a_worker_stopped_mid_run_loses_nothing,
    a_killed_server_loses_no_event,
);
