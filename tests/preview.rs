//! Preview: a key reads drafts and unpublished translations through the
//! same delivery queries, and nothing it reads reaches the public or a cache.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::content::Bundle;
use api::editorial::auth;
use common::{Backend, TestApp};
use entity::enums::Role;
use serde_json::{Value, json};

/// The sample's draft article.
const DRAFT: &str = "exosome-treatment-costs";

const PAGE: &str = r#"query($slug: String!, $locale: Locale) {
  article(slug: $slug, locale: $locale) {
    id title status translationStatus locale availableLocales sections { heading }
  }
}"#;

/// POSTs a query, with a bearer token when given; returns the status, the
/// `Cache-Control` header and the body.
async fn read(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> (u16, String, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("content-type", "application/json")
        .body(json!({ "query": query, "variables": variables }).to_string());
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let cache_control = response
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, cache_control, response.json().await.expect("JSON"))
}

async fn a_preview_key_reads_a_draft_the_public_never_sees(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, token) = auth::create_key(&app.db, Role::Preview, "app preview")
        .await
        .expect("key");
    let vars = json!({ "slug": DRAFT, "locale": "ja" });

    let (_, _, public) = read(&app, None, PAGE, vars.clone()).await;
    assert_eq!(public["data"]["article"], Value::Null, "{public:#}");

    let (status, cache_control, preview) = read(&app, Some(&token), PAGE, vars.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(cache_control, "private, no-store");
    let article = &preview["data"]["article"];
    assert_eq!(
        article["title"], "エクソソーム治療の費用の目安（下書き）",
        "{preview:#}"
    );
    assert_eq!(article["status"], "DRAFT");
    assert_eq!(article["translationStatus"], "DRAFT");

    // The same draft by its global id.
    let node = r#"query($id: ID!) { node(id: $id) { ... on Article { slug status } } }"#;
    let id = json!({ "id": article["id"] });
    let (_, _, by_id) = read(&app, Some(&token), node, id.clone()).await;
    assert_eq!(by_id["data"]["node"], json!({ "slug": DRAFT, "status": "DRAFT" }));
    let (_, _, public_by_id) = read(&app, None, node, id).await;
    assert_eq!(public_by_id["data"]["node"], Value::Null);

    // What the key read was not kept for anyone else: the public, asking
    // the very same query again, still gets nothing.
    for _ in 0..2 {
        let (_, cache_control, public) = read(&app, None, PAGE, vars.clone()).await;
        assert_eq!(public["data"]["article"], Value::Null);
        assert!(cache_control.starts_with("public"), "{cache_control}");
    }
}

/// A published article whose Korean translation is still a draft.
const KOREAN_DRAFT: &str = r#"
articles:
  - slug: korean-in-progress
    category: regenerative-medicine
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-03-01T00:00:00Z
    translations:
      ja: { title: 翻訳中, lead: リード, status: PUBLISHED }
      ko: { title: 번역 중, lead: 리드, status: DRAFT }
    sections:
      - anchor: first
        heading: { ja: 第一節, ko: 첫 번째 }
"#;

async fn a_preview_key_reads_a_translation_before_it_is_published(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&Bundle::from_yaml(KOREAN_DRAFT).expect("parses"))
        .await
        .expect("imports");
    let (_, token) = auth::create_key(&app.db, Role::Translator, "ko desk")
        .await
        .expect("key");
    let vars = json!({ "slug": "korean-in-progress", "locale": "ko" });

    let (_, _, public) = read(&app, None, PAGE, vars.clone()).await;
    let article = &public["data"]["article"];
    assert_eq!(article["locale"], "ja", "the public gets the source: {public:#}");
    assert_eq!(article["availableLocales"], json!(["ja"]));

    let (_, _, keyed) = read(&app, Some(&token), PAGE, vars).await;
    let article = &keyed["data"]["article"];
    assert_eq!(article["title"], "번역 중", "{keyed:#}");
    assert_eq!(article["translationStatus"], "DRAFT");
    assert_eq!(article["availableLocales"], json!(["ja", "ko"]));
    assert_eq!(article["sections"], json!([{ "heading": "첫 번째" }]));
}

/// A second draft, for a key limited to the first.
const OTHER_DRAFT: &str = r#"
articles:
  - slug: another-draft
    category: regenerative-medicine
    source_locale: ja
    status: DRAFT
    translations: { ja: { title: 別の下書き, lead: リード, status: DRAFT } }
"#;

async fn a_preview_key_for_one_article_reads_that_draft_only(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&Bundle::from_yaml(OTHER_DRAFT).expect("parses"))
        .await
        .expect("imports");
    let (key, token) = auth::create_key_with(&app.db, Role::Preview, "outside reviewer", None, Some(DRAFT))
        .await
        .expect("key");
    assert!(key.article_id.is_some());
    let (status, cache_control, mine) = read(&app, Some(&token), PAGE, json!({ "slug": DRAFT, "locale": "ja" })).await;
    assert_eq!(status, 200);
    assert!(cache_control.contains("no-store"), "{cache_control}");
    assert_eq!(mine["data"]["article"]["status"], "DRAFT", "{mine:#}");
    let (_, _, other) = read(
        &app,
        Some(&token),
        PAGE,
        json!({ "slug": "another-draft", "locale": "ja" }),
    )
    .await;
    assert_eq!(
        other["data"]["article"],
        Value::Null,
        "another draft stays unseen: {other:#}"
    );
    // Published articles read as they do for the public.
    let (_, _, published) = read(
        &app,
        Some(&token),
        PAGE,
        json!({ "slug": "exosome-effects-and-side-effects", "locale": "ja" }),
    )
    .await;
    assert_eq!(published["data"]["article"]["status"], "PUBLISHED");
    // Its history is readable; another article's is refused alike whether
    // or not it exists.
    let history = "query($s: String!) { articleRevisions(slug: $s) { headRevision } }";
    let (_, _, own) = read(&app, Some(&token), history, json!({ "s": DRAFT })).await;
    assert_eq!(own["data"]["articleRevisions"]["headRevision"], 1, "{own:#}");
    for slug in ["another-draft", "no-such-article"] {
        let (_, _, refused) = read(&app, Some(&token), history, json!({ "s": slug })).await;
        assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused:#}");
        assert_eq!(
            refused["errors"][0]["message"],
            "this key previews one other article only"
        );
    }
    // Only a PREVIEW key can be limited so.
    assert!(
        auth::create_key_with(&app.db, Role::Editor, "desk", None, Some(DRAFT))
            .await
            .is_err()
    );
}

db_tests!(
    a_preview_key_reads_a_draft_the_public_never_sees,
    a_preview_key_reads_a_translation_before_it_is_published,
    a_preview_key_for_one_article_reads_that_draft_only,
);
