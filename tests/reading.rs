//! Reading aids: minutes to read per locale, and related articles by
//! shared tags and category, under the same visibility as every read.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::content::Bundle;
use api::editorial::auth;
use common::{Backend, TestApp};
use entity::enums::Role;
use serde_json::{Value, json};

fn bundle() -> String {
    // 1,500 characters of Japanese (punctuation is not counted) and 800
    // English words: at 500 characters and 230 words a minute, three
    // minutes and a half.
    let ja = "再生医療の説明文です。".repeat(150);
    let en = "regenerative medicine explained here. ".repeat(200);
    let article = |slug: &str, category: &str, tags: &str, status: &str| {
        format!(
            "  - slug: {slug}\n    category: {category}\n    source_locale: ja\n    status: {status}\n    \
             published_at: 2025-03-01T00:00:00Z\n    tags: [{tags}]\n    translations:\n      \
             ja: {{ title: {slug}, lead: リード, status: {status} }}\n      en: {{ title: {slug}, lead: Lead, status: {status} }}\n"
        )
    };
    format!(
        r#"
categories:
  - {{ slug: read-a, source_locale: ja, medical: false, name: {{ ja: 甲 }} }}
  - {{ slug: read-b, source_locale: ja, medical: false, name: {{ ja: 乙 }} }}
tags:
  - {{ slug: t-one, source_locale: ja, name: {{ ja: 一 }} }}
  - {{ slug: t-two, source_locale: ja, name: {{ ja: 二 }} }}
articles:
  - slug: long-read
    category: read-a
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-01T00:00:00Z
    tags: [t-one, t-two]
    translations:
      ja: {{ title: 長い記事, lead: リード, status: PUBLISHED }}
      en: {{ title: A long read, lead: Lead, status: PUBLISHED }}
    sections:
      - anchor: body
        heading: {{ ja: 本文, en: Body }}
        blocks:
          ja: [{{ type: paragraph, text: "{ja}" }}]
          en: [{{ type: paragraph, text: "{en}" }}]
{both}{one}{same}{other}{draft}"#,
        both = article("shares-both-tags", "read-b", "t-one, t-two", "PUBLISHED"),
        one = article("shares-one-tag", "read-b", "t-one", "PUBLISHED"),
        same = article("same-category", "read-a", "", "PUBLISHED"),
        other = article("unrelated", "read-b", "", "PUBLISHED"),
        draft = article("draft-sharing-tags", "read-a", "t-one, t-two", "DRAFT"),
    )
}

const READ: &str = r#"query($locale: Locale, $first: Int) {
  article(slug: "long-read", locale: $locale) { readingMinutes relatedArticles(first: $first) { slug locale } }
}"#;

fn related(body: &Value) -> Vec<String> {
    body["article"]["relatedArticles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["slug"].as_str().unwrap().to_owned())
        .collect()
}

async fn minutes_per_locale_and_related_articles_by_tags_then_category(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&Bundle::from_yaml(&bundle()).expect("parses"))
        .await
        .expect("imports");
    let ja = app.gql(READ, json!({ "locale": "ja", "first": 10 })).await;
    let ja = ja.data();
    // 1,505 characters with the heading and lead: over three minutes.
    assert_eq!(ja["article"]["readingMinutes"], 4, "{ja:#}");
    let en = app.gql(READ, json!({ "locale": "en", "first": 10 })).await;
    assert_eq!(en.data()["article"]["readingMinutes"], 4);
    // Most shared tags first, then the category; never a draft, never
    // the article itself, never one with nothing in common.
    assert_eq!(related(ja), ["shares-both-tags", "shares-one-tag", "same-category"]);
    assert_eq!(ja["article"]["relatedArticles"][0]["locale"], "ja");
    assert_eq!(en.data()["article"]["relatedArticles"][0]["locale"], "en");
    let two = app.gql(READ, json!({ "first": 2 })).await;
    assert_eq!(related(two.data()), ["shares-both-tags", "shares-one-tag"]);
    let refused = app.gql(READ, json!({ "first": 11 })).await;
    assert_eq!(refused.codes(), ["BAD_USER_INPUT"]);

    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");
    let archived = app
        .as_key(
            Some(&admin),
            "mutation($i: StepInput!) { archive(input: $i) { status } }",
            json!({ "i": { "slug": "shares-both-tags", "revision": 1 } }),
        )
        .await;
    assert_eq!(archived["data"]["archive"]["status"], "ARCHIVED", "{archived:#}");
    let after = app.gql(READ, json!({ "first": 10 })).await;
    assert_eq!(related(after.data()), ["shares-one-tag", "same-category"]);
}

db_tests!(minutes_per_locale_and_related_articles_by_tags_then_category);
