//! Measures the delivery API end to end over HTTP on this machine: latency
//! (median, p90, p99) and throughput of the article-page and list-page
//! queries, and SQL statements per request.
//!
//! ```sh
//! cargo run --release -p api --example bench                  # SQLite in a temp file
//! DATABASE_URL=postgres://…/kiji_bench cargo run --release -p api --example bench
//! cargo run --release -p api --example bench -- 5000 32      # requests, concurrency
//! ```
//!
//! The server runs in this process on a random local port; the client shares
//! the machine, so figures are for comparison between runs on one machine,
//! not absolute capacity.

use std::sync::Arc;
use std::time::{Duration, Instant};

use api::Config;
use serde_json::{Value, json};

const ARTICLE_PAGE: &str = r#"query($slug: String!, $locale: Locale) {
  article(slug: $slug, locale: $locale) {
    title lead locale isFallback availableLocales publishedAt
    category { name } tags { name }
    tableOfContents { anchor heading children { anchor heading children { anchor heading } } }
    contributors { role signedOffRevision supervisor { name qualifications { kind name } career { text } } }
    sections { ...S children { ...S children { ...S } } }
    references { citation link }
  }
}
fragment S on Section {
  anchor heading level
  blocks { __typename ... on ParagraphBlock { text } ... on ListBlock { items { text list { items { text } } } }
           ... on QuestionAnswerBlock { question answer } }
  claims { evidenceLevel text references { locator reference { citation link } } }
}"#;

const LIST_PAGE: &str = r#"{ articles(first: 10, locale: "en") {
  pageInfo { hasNextPage endCursor }
  edges { node { slug title lead publishedAt category { name } tags { name } } }
} }"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let requests: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(2_000);
    let concurrency: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(16);

    let temp = std::env::temp_dir().join(format!("kiji-bench-{}.db", std::process::id()));
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}?mode=rwc", temp.display()));
    let mut config = Config::with_database(url.clone());
    config.db_max_connections = 16;
    let state = api::build_state(&config).await?;
    let router = api::app(state, &config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum_serve(listener, router).await;
    });

    let client = reqwest::Client::new();
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("backend: {backend}; {requests} requests per case, concurrency {concurrency}");
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>10} {:>12}",
        "case", "median", "p90", "p99", "req/s", "statements"
    );
    for (name, query, variables) in [
        (
            "article page (ja)",
            ARTICLE_PAGE,
            json!({ "slug": "exosome-effects-and-side-effects", "locale": "ja" }),
        ),
        (
            "article page (en)",
            ARTICLE_PAGE,
            json!({ "slug": "exosome-effects-and-side-effects", "locale": "en" }),
        ),
        ("list page (en, 10)", LIST_PAGE, json!({})),
    ] {
        let body = Arc::new(json!({ "query": query, "variables": variables }).to_string());
        // Warm up connections, caches and the allocator.
        run(&client, &endpoint, &body, 100, concurrency).await?;
        let before = statements(&client, &endpoint).await?;
        let started = Instant::now();
        let mut latencies = run(&client, &endpoint, &body, requests, concurrency).await?;
        let elapsed = started.elapsed();
        let per_request = (statements(&client, &endpoint).await? - before) as f64 / requests as f64;
        latencies.sort();
        let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
        println!(
            "{:<28} {:>10} {:>10} {:>10} {:>10.0} {:>12.1}",
            name,
            format_ms(pct(0.5)),
            format_ms(pct(0.9)),
            format_ms(pct(0.99)),
            requests as f64 / elapsed.as_secs_f64(),
            per_request
        );
    }
    let _ = std::fs::remove_file(&temp);
    Ok(())
}

async fn axum_serve(listener: tokio::net::TcpListener, router: axum::Router) -> std::io::Result<()> {
    axum::serve(listener, router).await
}

/// Sends `total` requests with `concurrency` in flight; returns each latency.
async fn run(
    client: &reqwest::Client,
    endpoint: &str,
    body: &Arc<String>,
    total: usize,
    concurrency: usize,
) -> Result<Vec<Duration>, reqwest::Error> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, url, body, next) = (
            client.clone(),
            format!("{endpoint}/graphql"),
            body.clone(),
            next.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut out = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < total {
                let started = Instant::now();
                let response = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.as_str().to_owned())
                    .send()
                    .await?;
                let value: Value = response.json().await?;
                out.push(started.elapsed());
                assert!(value.get("errors").is_none(), "benchmark query failed: {value}");
            }
            Ok::<_, reqwest::Error>(out)
        }));
    }
    let mut all = Vec::with_capacity(total);
    for worker in workers {
        if let Ok(latencies) = worker.await {
            all.extend(latencies?);
        }
    }
    Ok(all)
}

async fn statements(client: &reqwest::Client, endpoint: &str) -> Result<u64, reqwest::Error> {
    let text = client.get(format!("{endpoint}/metrics")).send().await?.text().await?;
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix("kiji_db_statements_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0))
}

fn format_ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}
