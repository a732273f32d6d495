//! The change feed as a GraphQL subscription over WebSocket
//! (`graphql-transport-ws`), through a real client library (`graphql-ws`
//! from the npm registry): it replays from a cursor, then delivers each new
//! change as it is committed, to the public and to a partner under its
//! licence alone.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api::content::Bundle;
use api::editorial::audit::Actor;
use common::{Backend, TestApp};
use serde_json::Value;

struct Subscriber {
    child: Child,
    lines: Arc<Mutex<Vec<Value>>>,
}

impl Subscriber {
    fn start(app: &TestApp, token: Option<&str>, after: Option<&str>) -> Self {
        Self::sending(app, token, after, None)
    }

    fn sending(app: &TestApp, token: Option<&str>, after: Option<&str>, document: Option<&str>) -> Self {
        let url = format!("{}/graphql/ws", app.base.replace("http://", "ws://"));
        let mut args = vec![url.as_str(), token.unwrap_or("-"), after.unwrap_or("-")];
        args.extend(document);
        let mut child = Command::new("node")
            .arg(common::js::dir().join("subscribe.cjs"))
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if let Ok(value) = serde_json::from_str::<Value>(&line) {
                    sink.lock().unwrap().push(value);
                }
            }
        });
        Self { child, lines }
    }

    fn events(&self) -> Vec<Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| l.get("data").map(|d| d["changes"].clone()))
            .collect()
    }

    async fn until(&self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let events = self.events();
            if done(&events) {
                return events;
            }
            let lines = self.lines.lock().unwrap().clone();
            assert!(
                Instant::now() < deadline && !lines.iter().any(|l| l.get("error").is_some()),
                "{what}: {lines:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const NEWS: &str = r#"
categories:
  - { slug: clinic-news, source_locale: ja, medical: false, name: { ja: お知らせ } }
articles:
  - slug: live-news
    category: clinic-news
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-01T00:00:00Z
    translations:
      ja: { title: 速報, lead: リード, status: PUBLISHED }
"#;

async fn subscriptions_replay_then_follow_the_feed(backend: Backend) {
    if !common::js::install() {
        return;
    }
    let Some(app) = TestApp::spawn_with(backend, |config| config.webhooks = false).await else {
        return;
    };
    // The public: the feed so far (the sample, as `changes` pages it), then
    // what comes.
    let so_far = app
        .gql(
            "{ changes(first: 1000) { nodes { cursor } hasMore } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(so_far.data()["changes"]["hasMore"], false);
    let before = so_far.data()["changes"]["nodes"].as_array().unwrap().len();
    assert!(before > 0);
    let public = Subscriber::start(&app, None, None);
    let replayed = public.until("the sample replayed", |e| e.len() >= before).await;
    assert_eq!(replayed.len(), before, "the same events as `changes`");
    // A partner licensed to a category with nothing in it yet.
    api::editorial::partners::create_partner(&app.db, Actor::CommandLine, "live", "Live")
        .await
        .unwrap();
    let categories =
        "categories:\n  - { slug: clinic-news, source_locale: ja, medical: false, name: { ja: お知らせ } }\n";
    app.import(&Bundle::from_yaml(categories).unwrap()).await.unwrap();
    api::editorial::partners::grant(
        &app.db,
        &app.followers,
        Actor::CommandLine,
        api::editorial::partners::NewLicence {
            partner: "live".into(),
            covers: api::editorial::partners::Covers::Category("clinic-news".into()),
            locales: vec![api::locale::Locale::parse("ja").unwrap()],
            starts_at: None,
            ends_at: None,
            attribution: "Courtesy".into(),
            terms: String::new(),
            canonical_url_template: None,
        },
    )
    .await
    .unwrap();
    let (_, token) = api::editorial::auth::create_partner_key(&app.db, "live key", "live")
        .await
        .unwrap();
    let partner = Subscriber::start(&app, Some(&token), None);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !partner.lines.lock().unwrap().iter().any(|l| l["ready"] == true) {
        assert!(Instant::now() < deadline, "the partner's subscription never connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(partner.events().is_empty(), "nothing licensed is published yet");

    // One publication reaches both, as it is committed.
    app.import(&Bundle::from_yaml(&NEWS.replace(categories, "")).unwrap())
        .await
        .unwrap();
    let events = public.until("the new article", |e| e.len() > before).await;
    let new = &events[before];
    assert_eq!(
        (new["type"].as_str(), new["locale"].as_str()),
        (Some("UPSERT"), Some("ja"))
    );
    let seen = partner.until("the partner's event", |e| !e.is_empty()).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["articleId"], new["articleId"]);

    // Resuming from a cursor gives only what came after it.
    let resumed = Subscriber::start(&app, None, Some(replayed[before - 1]["cursor"].as_str().unwrap()));
    let events = resumed.until("the resumed subscription", |e| !e.is_empty()).await;
    assert_eq!(events[0]["articleId"], new["articleId"]);

    // Queries and mutations belong on /graphql, not on the WebSocket.
    let query = Subscriber::sending(&app, None, None, Some("{ articles(first: 1) { totalCount } }"));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let lines = query.lines.lock().unwrap().clone();
        assert!(
            lines.iter().all(|l| l.get("data").is_none_or(Value::is_null)),
            "{lines:#?}"
        );
        let refused = lines.iter().find_map(|l| {
            l["errors"][0]["message"]
                .as_str()
                .or(l.get("error").and_then(Value::as_str))
        });
        if let Some(message) = refused {
            assert!(message.contains("only subscriptions"), "{message}");
            break;
        }
        assert!(Instant::now() < deadline, "a query ran over the WebSocket");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A revoked key's subscription ends.
    let (key, _) = api::editorial::auth::list_keys(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.name == "live key")
        .map(|k| (k.id, ()))
        .unwrap();
    api::editorial::auth::revoke_key(&app.db, &key.to_string())
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !partner.lines.lock().unwrap().iter().any(|l| l["complete"] == true) {
        assert!(Instant::now() < deadline, "a revoked key kept its subscription");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A bad key is refused at connection time.
    let refused = Subscriber::start(&app, Some("kiji_not-a-key"), None);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !refused.lines.lock().unwrap().iter().any(|l| l.get("error").is_some()) {
        assert!(refused.events().is_empty());
        assert!(Instant::now() < deadline, "a bad key was not refused");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

db_tests!(subscriptions_replay_then_follow_the_feed);
