//! Search at 100,000 articles, side by side with what other content APIs
//! do (a `LIKE` scan), on a fresh PostgreSQL database the benchmark
//! creates and drops.
//!
//! 1. Seeds 100,000 published Japanese articles of three sections each,
//!    their sentences drawn from the sample column's, so the words of the
//!    queries recur as they would in a clinic's library.
//! 2. Starts Kiji on it (response cache off), which builds its index from
//!    the database, and times the build.
//! 3. Runs each query through `search(query:, locale: "ja", first: 10)`
//!    over HTTP (with total, snippets and category counts), and the same
//!    query as a `LIKE '%…%'` scan of the same text on PostgreSQL (the
//!    page of 10 and its total count, as a list page needs), alternating,
//!    and prints the medians and their ratio.
//!
//! ```sh
//! cargo run --release -p api --example search
//! ```
//! `ADMIN_URL` names the server (default `postgres://postgres@127.0.0.1:5432/postgres`);
//! `ARTICLES` the size (default 100000).

use std::time::Instant;

use entity::block::{Block, Blocks, ParagraphBlock};
use entity::enums::{SectionKind, Status};
use entity::{article, article_translation, section, section_translation};
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, EntityTrait, Statement};
use serde_json::{Value, json};

const QUERIES: &[&str] = &[
    "エクソソーム",
    "副作用",
    "点滴",
    "幹細胞培養液",
    "コラーゲン",
    "抜け毛",
    "アレルギー 体質",
    "再生医療",
    "ターンオーバー",
    "品質",
];

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// A deterministic pseudo-random number for (`i`, `k`).
fn pick(i: u64, k: u64, n: usize) -> usize {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ k.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    (x % n as u64) as usize
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let admin = std::env::var("ADMIN_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let articles: u64 = std::env::var("ARTICLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let name = format!("kiji_search_bench_{}", std::process::id());
    let server = Database::connect(&admin).await?;
    server
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await?;
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or(admin.clone());
    let url = format!("{base}/{name}");
    let outcome = run(&url, articles).await;
    server
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    outcome
}

async fn run(url: &str, articles: u64) -> Result<(), Box<dyn std::error::Error>> {
    // A first start migrates and loads the sample, whose sentences the
    // seeded articles are made of.
    let mut config = api::Config::with_database(url.to_owned());
    config.log = "error".into();
    config.webhooks = false;
    let state = api::build_state(&config).await?;
    let db = state.db.clone();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT heading, CAST(blocks AS TEXT) AS blocks FROM section_translation WHERE locale = 'ja'",
        ))
        .await?;
    let mut sentences = Vec::new();
    let mut headings = Vec::new();
    for row in rows {
        headings.push(row.try_get::<String>("", "heading")?);
        let blocks: Value = serde_json::from_str(&row.try_get::<String>("", "blocks")?)?;
        for block in blocks.as_array().into_iter().flatten() {
            for text in [&block["text"], &block["answer"]] {
                for s in text.as_str().unwrap_or_default().split_inclusive('。') {
                    if s.chars().count() > 8 {
                        sentences.push(s.to_owned());
                    }
                }
            }
        }
    }
    let category: uuid::Uuid = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM category WHERE slug = 'regenerative-medicine'",
        ))
        .await?
        .ok_or("the sample's category")?
        .try_get("", "id")?;
    println!(
        "{} sentences and {} headings to draw from",
        sentences.len(),
        headings.len()
    );

    let started = Instant::now();
    let now = chrono::Utc::now();
    let published = now - chrono::Duration::days(1);
    let paragraph = |i: u64, k: u64| {
        let text: String = (0..3)
            .map(|j| sentences[pick(i, k * 8 + j, sentences.len())].as_str())
            .collect();
        Block::Paragraph(ParagraphBlock { text })
    };
    db.execute_unprepared("CREATE TABLE bench_like (article_id uuid, locale text, body text)")
        .await?;
    for chunk in (0..articles).collect::<Vec<_>>().chunks(500) {
        let mut a = Vec::new();
        let mut t = Vec::new();
        let mut s = Vec::new();
        let mut st = Vec::new();
        let mut like = Vec::new();
        for &i in chunk {
            let id = uuid::Uuid::now_v7();
            a.push(article::ActiveModel {
                id: Set(id),
                slug: Set(format!("bench-{i}")),
                category_id: Set(category),
                source_locale: Set("ja".into()),
                status: Set(Status::Published),
                revision: Set(1),
                published_at: Set(Some(published)),
                created_at: Set(published),
                visible_from: Set(Some(published)),
                head_revision: Set(1),
                source_revision: Set(1),
                updated_at: Set(published),
                draft_of: Set(None),
                scheduled_revision: Set(None),
                scheduled_at: Set(None),
            });
            let title = format!("{} {i}", headings[pick(i, 1, headings.len())]);
            let lead = sentences[pick(i, 2, sentences.len())].clone();
            let mut all = format!("{title}\n{lead}\n");
            t.push(article_translation::ActiveModel {
                article_id: Set(id),
                locale: Set("ja".into()),
                title: Set(title),
                lead: Set(lead),
                intro: Set(Blocks::default()),
                seo_title: Set(None),
                seo_description: Set(None),
                status: Set(Status::Published),
                source_revision: Set(1),
                created_at: Set(published),
                updated_at: Set(published),
            });
            for k in 0..3u64 {
                let sid = uuid::Uuid::now_v7();
                s.push(section::ActiveModel {
                    id: Set(sid),
                    article_id: Set(id),
                    parent_id: Set(None),
                    position: Set(k as i32),
                    anchor: Set(format!("s{k}")),
                    level: Set(2),
                    kind: Set(SectionKind::Body),
                    source_revision: Set(1),
                });
                let heading = headings[pick(i, 10 + k, headings.len())].clone();
                let blocks = Blocks(vec![paragraph(i, 20 + k * 2), paragraph(i, 21 + k * 2)]);
                all.push_str(&heading);
                for b in &blocks.0 {
                    for text in b.texts() {
                        all.push('\n');
                        all.push_str(text);
                    }
                }
                st.push(section_translation::ActiveModel {
                    section_id: Set(sid),
                    locale: Set("ja".into()),
                    heading: Set(heading),
                    blocks: Set(blocks),
                    source_revision: Set(1),
                });
            }
            like.push((id, all));
        }
        article::Entity::insert_many(a).exec(&db).await?;
        article_translation::Entity::insert_many(t).exec(&db).await?;
        section::Entity::insert_many(s).exec(&db).await?;
        section_translation::Entity::insert_many(st).exec(&db).await?;
        let values: Vec<String> = like
            .iter()
            .map(|(id, body)| format!("('{id}', 'ja', '{}')", body.replace('\'', "''")))
            .collect();
        db.execute_unprepared(&format!("INSERT INTO bench_like VALUES {}", values.join(",")))
            .await?;
    }
    db.execute_unprepared("ANALYZE").await?;
    println!("seeded {articles} articles in {:.1} s", started.elapsed().as_secs_f64());

    // The instance measured: its in-memory index is built at start.
    config.response_cache_mb = 0;
    config.load_sample = false;
    let began = Instant::now();
    let state = api::build_state(&config).await?;
    println!("index built at start in {:.1} s", began.elapsed().as_secs_f64());
    let router = api::app(state, &config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let _ = axum::serve(listener, service).await;
    });
    let endpoint = format!("http://{addr}/graphql");
    let client = reqwest::Client::new();
    let gql = "query($q: String!) { search(query: $q, locale: \"ja\", first: 10) { totalCount \
               categories { count } edges { node { slug title } snippet { html sectionAnchor } } } }";
    let like_page = "SELECT article_id FROM bench_like WHERE locale = 'ja' AND {cond} LIMIT 10";
    let like_count = "SELECT count(*) FROM bench_like WHERE locale = 'ja' AND {cond}";

    println!("| query | Kiji `search` p50 | `LIKE` p50 | ratio | matches (Kiji / LIKE) |");
    println!("|---|---|---|---|---|");
    let (mut all_kiji, mut all_like) = (Vec::new(), Vec::new());
    for query in QUERIES {
        let cond = query
            .split_whitespace()
            .map(|w| format!("body LIKE '%{w}%'"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let (mut kiji, mut like) = (Vec::new(), Vec::new());
        let (mut found, mut counted) = (0, 0);
        for round in 0..12 {
            let begun = Instant::now();
            let body: Value = client
                .post(&endpoint)
                .json(&json!({ "query": gql, "variables": { "q": query } }))
                .send()
                .await?
                .json()
                .await?;
            let took = begun.elapsed().as_secs_f64() * 1000.0;
            found = body["data"]["search"]["totalCount"].as_u64().unwrap_or(0);
            if body.get("errors").is_some() {
                return Err(format!("{body}").into());
            }
            let begun = Instant::now();
            db.query_all_raw(Statement::from_string(
                db.get_database_backend(),
                like_page.replace("{cond}", &cond),
            ))
            .await?;
            let row = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    like_count.replace("{cond}", &cond),
                ))
                .await?;
            let like_took = begun.elapsed().as_secs_f64() * 1000.0;
            counted = row.and_then(|r| r.try_get::<i64>("", "count").ok()).unwrap_or(0);
            // The first two rounds warm both up.
            if round >= 2 {
                kiji.push(took);
                like.push(like_took);
            }
        }
        let (k, l) = (median(&mut kiji), median(&mut like));
        all_kiji.extend(kiji);
        all_like.extend(like);
        println!(
            "| {query} | {k:.1} ms | {l:.1} ms | {:.0}× | {found} / {counted} |",
            l / k
        );
    }
    let (k, l) = (median(&mut all_kiji), median(&mut all_like));
    println!("| **all** | **{k:.1} ms** | **{l:.1} ms** | **{:.0}×** | |", l / k);
    Ok(())
}
