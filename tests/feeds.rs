//! Feeds and the embed, as a feed reader and a partner's WordPress site
//! take them: Atom and JSON Feed 1.1 read by an independent parser
//! (`feed-rs`), conditional GET, a partner's feed and embed under its
//! revocable feed token holding only what its licences cover, and an
//! embed page that is whole, escaped and self-contained.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::content::Bundle;
use api::editorial::audit::Actor;
use api::editorial::partners::{self, Covers, NewLicence};
use common::{Backend, TestApp};
use serde_json::Value;

const CONTENT: &str = r#"
categories:
  - { slug: clinic-news, source_locale: ja, medical: false, name: { ja: お知らせ, en: News } }
articles:
  - slug: licensed-news
    category: clinic-news
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-01T00:00:00Z
    translations:
      ja: { title: "許諾 <b>記事</b> & 更新", lead: リード, status: PUBLISHED }
      en: { title: Licensed news, lead: Lead, status: PUBLISHED }
    sections:
      - anchor: first
        heading: { ja: 最初の節, en: First section }
        blocks:
          ja: [{ type: paragraph, text: "段落 <script>alert(1)</script>" }]
          en: [{ type: paragraph, text: Paragraph }]
"#;

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

async fn feeds_parse_and_partners_read_only_their_licence(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| {
        config.public_url_template = vec!["https://clinic.example/{locale}/columns/{slug}".to_owned()];
        config.webhooks = false;
    })
    .await
    else {
        return;
    };
    app.import(&Bundle::from_yaml(CONTENT).unwrap()).await.unwrap();

    // The public's Atom feed of every series, in Japanese.
    let response = get(&app, "/feeds/ja/atom.xml", &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let modified = response.headers()["last-modified"].to_str().unwrap().to_owned();
    let atom = response.bytes().await.unwrap();
    let parsed = feed_rs::parser::parse(&atom[..]).unwrap();
    assert_eq!(parsed.feed_type, feed_rs::model::FeedType::Atom);
    let titles: Vec<String> = parsed
        .entries
        .iter()
        .filter_map(|e| e.title.as_ref().map(|t| t.content.clone()))
        .collect();
    assert!(titles.contains(&"許諾 <b>記事</b> & 更新".to_owned()), "{titles:?}");
    assert!(titles.len() >= 2, "the sample column too: {titles:?}");
    let entry = parsed
        .entries
        .iter()
        .find(|e| e.title.as_ref().is_some_and(|t| t.content.starts_with("許諾")))
        .unwrap();
    assert_eq!(entry.links[0].href, "https://clinic.example/ja/columns/licensed-news");
    let content = entry.content.as_ref().and_then(|c| c.body.clone()).unwrap();
    assert!(content.contains("<section id=\"first\">"), "{content}");
    assert!(
        content.contains("&lt;script&gt;") && !content.contains("<script>"),
        "{content}"
    );
    assert!(entry.updated.is_some() && entry.published.is_some());

    // Conditional GET: by entity tag, and by date.
    let again = get(&app, "/feeds/ja/atom.xml", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), 304);
    let again = get(&app, "/feeds/ja/atom.xml", &[("if-modified-since", &modified)]).await;
    assert_eq!(again.status(), 304);

    // JSON Feed 1.1, one series, in English.
    let json: Value = get(&app, "/feeds/en/feed.json?category=clinic-news", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert!(json["title"].is_string());
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{json:#}");
    for item in items {
        // 1.1 requires `id` (a string) and `content_html` or `content_text`.
        assert!(item["id"].is_string() && item["content_html"].is_string(), "{item:#}");
        assert!(chrono::DateTime::parse_from_rfc3339(item["date_published"].as_str().unwrap()).is_ok());
        assert_eq!(item["language"], "en");
    }
    let parsed = feed_rs::parser::parse(json.to_string().as_bytes()).unwrap();
    assert_eq!(parsed.feed_type, feed_rs::model::FeedType::JSON);
    assert_eq!(parsed.entries.len(), 1);

    // A partner's feed under its token: only its licence, with attribution.
    partners::create_partner(&app.db, Actor::CommandLine, "fed", "Fed clinic")
        .await
        .unwrap();
    partners::grant(
        &app.db,
        &app.followers,
        Actor::CommandLine,
        NewLicence {
            partner: "fed".into(),
            covers: Covers::Article("licensed-news".into()),
            locales: vec![api::locale::Locale::parse("ja").unwrap()],
            starts_at: None,
            ends_at: None,
            attribution: "Courtesy of the clinic & its physicians".into(),
            terms: String::new(),
            canonical_url_template: None,
        },
    )
    .await
    .unwrap();
    let (key, token) = api::editorial::auth::create_feed_token(&app.db, "fed").await.unwrap();
    // A feed token opens these URLs only; a partner's API key not them.
    let graphql = app
        .as_key(
            Some(&token),
            "{ articles(first: 1) { totalCount } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(
        graphql["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{graphql:#}"
    );
    let (_, api_key) = api::editorial::auth::create_partner_key(&app.db, "api", "fed")
        .await
        .unwrap();
    let in_url = get(&app, &format!("/partner/{api_key}/feeds/ja/atom.xml"), &[]).await;
    assert_eq!(in_url.status(), 401);
    let response = get(&app, &format!("/partner/{token}/feeds/ja/atom.xml"), &[]).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-store")
    );
    let parsed = feed_rs::parser::parse(&response.bytes().await.unwrap()[..]).unwrap();
    assert_eq!(parsed.entries.len(), 1);
    assert_eq!(
        parsed.entries[0].rights.as_ref().unwrap().content,
        "Courtesy of the clinic & its physicians"
    );
    let english = get(&app, &format!("/partner/{token}/feeds/en/feed.json"), &[]).await;
    let english: Value = english.json().await.unwrap();
    assert_eq!(english["items"], serde_json::json!([]), "no English licence");

    // The embed: a whole page with its canonical link, anchors, attribution.
    let embed = get(&app, &format!("/partner/{token}/articles/licensed-news/embed"), &[]).await;
    assert_eq!(embed.status(), 200);
    assert!(
        embed.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let page = embed.text().await.unwrap();
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("<link rel=\"canonical\" href=\"https://clinic.example/ja/columns/licensed-news\">"));
    assert!(page.contains("<section id=\"first\"><h2><a href=\"#first\">最初の節</a></h2>"));
    assert!(page.contains("Courtesy of the clinic &amp; its physicians"));
    assert!(!page.contains("<script>alert"));
    let foreign = get(
        &app,
        &format!("/partner/{token}/articles/exosome-effects-and-side-effects/embed"),
        &[],
    )
    .await;
    assert_eq!(foreign.status(), 404);

    // Revoked, the token reads nothing.
    api::editorial::auth::revoke_key(&app.db, &key.id.to_string())
        .await
        .unwrap();
    let revoked = get(&app, &format!("/partner/{token}/feeds/ja/atom.xml"), &[]).await;
    assert_eq!(revoked.status(), 401);
}

db_tests!(feeds_parse_and_partners_read_only_their_licence);
