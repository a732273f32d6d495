//! Syndication benchmarks, against a fresh PostgreSQL database that the
//! benchmark creates and drops:
//!
//! - `feed`: the change feed at 100,000 articles. Seeds a log in which
//!   100,000 published articles in two locales were each written once and
//!   a tenth of them edited again, then licenses a partner to their
//!   category (whose grant carries a row per article), and reads
//!   `changes(first: 1000)` over HTTP from places spread over the log, as
//!   the public and as the partner, and prints the percentiles (the
//!   target: under 50 ms at p50).
//! - `webhooks`: delivery latency with 100 endpoints. 100 partners, each
//!   licensed and with an endpoint on a local receiver; 20 articles are
//!   published one by one (`SPACING_MS` apart, 300 by default), and the
//!   time from each commit to the first attempt at every endpoint is
//!   measured (target: p99 under 2 s).
//!
//! ```sh
//! cargo run --release -p api --example syndication -- feed
//! cargo run --release -p api --example syndication -- webhooks
//! ```
//! `ADMIN_URL` names the server (default `postgres://postgres@127.0.0.1:5432/postgres`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

struct Scratch {
    admin: String,
    name: String,
    url: String,
}

impl Scratch {
    async fn create() -> Result<Self, Box<dyn std::error::Error>> {
        let admin = std::env::var("ADMIN_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("kiji_syndication_bench_{}", std::process::id());
        let db = Database::connect(&admin).await?;
        db.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\""))
            .await?;
        db.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await?;
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .unwrap_or(admin.clone());
        Ok(Self {
            url: format!("{base}/{name}"),
            admin,
            name,
        })
    }

    async fn drop_it(self) {
        if let Ok(db) = Database::connect(&self.admin).await {
            let _ = db
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name))
                .await;
        }
    }
}

async fn serve(config: &api::Config) -> Result<(String, api::http::state::AppState), Box<dyn std::error::Error>> {
    let state = api::build_state(config).await?;
    let router = api::app(state.clone(), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let _ = axum::serve(listener, service).await;
    });
    Ok((format!("http://{addr}/graphql"), state))
}

async fn feed() -> Result<(), Box<dyn std::error::Error>> {
    let scratch = Scratch::create().await?;
    let mut config = api::Config::with_database(scratch.url.clone());
    config.webhooks = false;
    config.response_cache_mb = 0;
    config.log = "error".into();
    let (url, state) = serve(&config).await?;
    let db = state.db.clone();
    let articles: i64 = 100_000;
    let edits = articles / 10;
    let started = Instant::now();
    // A category for the seeded articles, and a partner licensed to it.
    let category = uuid::Uuid::now_v7();
    db.execute_unprepared(&format!(
        "INSERT INTO category (id, slug, position, source_locale, is_public, created_at, updated_at, medical, self_pay) \
         VALUES ('{category}', 'bench', 0, 'ja', true, now(), now(), false, false)"
    ))
    .await?;
    let first = api::store::changes::latest(&db).await? + 1;
    db.execute_unprepared(&format!(
        "INSERT INTO change (position, at, kind, entities, locales) \
         SELECT {first} + g, now(), 'IMPORT', '[]', '[\"en\",\"ja\"]' FROM generate_series(0, {} - 1) g",
        articles + edits
    ))
    .await?;
    db.execute_unprepared(
        "SELECT setval(pg_get_serial_sequence('change', 'position'), (SELECT max(position) FROM change))",
    )
    .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO change_article (position, article_id, category_id, status, locales, prev_category_id, prev_locales, licence_id) \
         SELECT {first} + g, md5('a' || g)::uuid, '{category}', 'PUBLISHED', '[\"en\",\"ja\"]', NULL, '[]', NULL \
         FROM generate_series(0, {articles} - 1) g"
    ))
    .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO change_article (position, article_id, category_id, status, locales, prev_category_id, prev_locales, licence_id) \
         SELECT {first} + {articles} + g, md5('a' || (g * 10))::uuid, '{category}', 'PUBLISHED', '[\"en\",\"ja\"]', '{category}', '[\"en\",\"ja\"]', NULL \
         FROM generate_series(0, {edits} - 1) g"
    ))
    .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO article_state (article_id, category_id, status, locales, position) \
         SELECT md5('a' || g)::uuid, '{category}', 'PUBLISHED', '[\"en\",\"ja\"]', {first} + g \
         FROM generate_series(0, {articles} - 1) g"
    ))
    .await?;
    db.execute_unprepared("ANALYZE change; ANALYZE change_article; ANALYZE article_state")
        .await?;
    api::editorial::partners::create_partner(&db, api::editorial::audit::Actor::CommandLine, "bench", "Bench").await?;
    let grant = api::editorial::partners::NewLicence {
        partner: "bench".into(),
        covers: api::editorial::partners::Covers::Category("bench".into()),
        locales: vec![api::locale::Locale::parse("ja")?, api::locale::Locale::parse("en")?],
        starts_at: None,
        ends_at: None,
        attribution: "bench".into(),
        terms: String::new(),
        canonical_url_template: None,
    };
    api::editorial::partners::grant(
        &db,
        &api::store::write::Followers::none(),
        api::editorial::audit::Actor::CommandLine,
        grant,
    )
    .await?;
    let (_, token) = api::editorial::auth::create_partner_key(&db, "bench", "bench").await?;
    println!(
        "seeded {} log rows for {articles} articles in {:.1} s",
        articles + edits,
        started.elapsed().as_secs_f64()
    );

    let client = reqwest::Client::new();
    let query = "query($after: String) { changes(after: $after, first: 1000) { nodes { cursor type articleId locale } endCursor hasMore } }";
    for (who, bearer) in [("public", None), ("partner", Some(format!("Bearer {token}")))] {
        // Cursors spread over the caller's feed: the start of every tenth page.
        let mut cursors: Vec<Value> = vec![Value::Null];
        let mut after = Value::Null;
        for page in 0.. {
            let mut request = client
                .post(&url)
                .json(&json!({ "query": query, "variables": { "after": after } }));
            if let Some(bearer) = &bearer {
                request = request.header("authorization", bearer);
            }
            let body: Value = request.send().await?.json().await?;
            after = body["data"]["changes"]["endCursor"].clone();
            if page % 10 == 9 {
                cursors.push(after.clone());
            }
            if body["data"]["changes"]["hasMore"] != true {
                break;
            }
        }
        let mut times = Vec::new();
        for round in 0..5 {
            for cursor in &cursors {
                let mut request = client
                    .post(&url)
                    .json(&json!({ "query": query, "variables": { "after": cursor } }));
                if let Some(bearer) = &bearer {
                    request = request.header("authorization", bearer);
                }
                let begun = Instant::now();
                let body: Value = request.send().await?.json().await?;
                let took = begun.elapsed().as_secs_f64() * 1000.0;
                let events = body["data"]["changes"]["nodes"].as_array().map_or(0, Vec::len);
                if round > 0 && events == 1000 {
                    times.push(took);
                }
            }
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{who}: changes(first: 1000), {} full pages: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.9),
            percentile(&times, 0.99)
        );
    }
    scratch.drop_it().await;
    Ok(())
}

async fn webhooks() -> Result<(), Box<dyn std::error::Error>> {
    let scratch = Scratch::create().await?;
    // The receiver: the time each message id was first seen.
    let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let sink = seen.clone();
    let receiver = axum::Router::new().route(
        "/{endpoint}",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let sink = sink.clone();
            async move {
                if let Some(id) = headers.get("webhook-id").and_then(|v| v.to_str().ok()) {
                    sink.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .entry(id.to_owned())
                        .or_insert_with(Instant::now);
                }
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let receiver_addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, receiver).await;
    });
    let mut config = api::Config::with_database(scratch.url.clone());
    config.log = "error".into();
    let (_, state) = serve(&config).await?;
    let db = state.db.clone();
    let actor = || api::editorial::audit::Actor::CommandLine;
    let category = "categories:\n  - { slug: hooked, source_locale: ja, medical: false, name: { ja: 配信 } }\n";
    api::editorial::import::import(&db, &api::content::Bundle::from_yaml(category)?, &state.followers).await?;
    let endpoints = 100;
    for n in 0..endpoints {
        let slug = format!("partner-{n}");
        api::editorial::partners::create_partner(&db, actor(), &slug, &slug).await?;
        let grant = api::editorial::partners::NewLicence {
            partner: slug.clone(),
            covers: api::editorial::partners::Covers::Category("hooked".into()),
            locales: vec![api::locale::Locale::parse("ja")?],
            starts_at: None,
            ends_at: None,
            attribution: "bench".into(),
            terms: String::new(),
            canonical_url_template: None,
        };
        api::editorial::partners::grant(&db, &state.followers, actor(), grant).await?;
        api::editorial::webhooks::register(&db, actor(), &slug, &format!("http://{receiver_addr}/{n}"), true).await?;
    }
    // Each publication: its commit time, to compare with the arrivals.
    // SPACING_MS apart (300 by default: a busy newsroom's sustained load;
    // 2000: one change fanned out to every endpoint at a time).
    let spacing: u64 = std::env::var("SPACING_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut committed = Vec::new();
    for n in 0..20 {
        let doc = format!(
            "articles:\n  - slug: hooked-{n}\n    category: hooked\n    source_locale: ja\n    status: PUBLISHED\n    \
             published_at: 2025-01-01T00:00:00Z\n    translations:\n      ja: {{ title: 配信{n}, lead: リード, status: PUBLISHED }}\n"
        );
        api::editorial::import::import(&db, &api::content::Bundle::from_yaml(&doc)?, &state.followers).await?;
        committed.push(Instant::now());
        tokio::time::sleep(Duration::from_millis(spacing)).await;
    }
    let expected = endpoints * 20;
    let deadline = Instant::now() + Duration::from_secs(120);
    while seen.lock().unwrap_or_else(|e| e.into_inner()).len() < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Which publication each delivery tells of: its position, in order.
    use sea_orm::{EntityTrait, QueryOrder};
    let deliveries = entity::webhook_delivery::Entity::find()
        .order_by_asc(entity::webhook_delivery::Column::Position)
        .all(&db)
        .await?;
    let mut positions: Vec<i64> = deliveries
        .iter()
        .filter(|d| d.event_type == "article.published")
        .map(|d| d.position)
        .collect();
    positions.dedup();
    let arrived = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut latencies = Vec::new();
    for delivery in deliveries.iter().filter(|d| d.event_type == "article.published") {
        let Some(index) = positions.iter().position(|p| *p == delivery.position) else {
            continue;
        };
        if let Some(at) = arrived.get(&format!("msg_{}", delivery.id.simple())) {
            latencies.push(at.duration_since(committed[index]).as_secs_f64() * 1000.0);
        }
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "{endpoints} endpoints, 20 publications {spacing} ms apart: {} of {expected} deliveries arrived; commit to first attempt p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    scratch.drop_it().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    match std::env::args().nth(1).as_deref() {
        Some("feed") => feed().await,
        Some("webhooks") => webhooks().await,
        _ => Err("usage: syndication feed|webhooks".into()),
    }
}
