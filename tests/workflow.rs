//! The workflow walked as editors, a supervising physician and an admin
//! would, checking at each step what the public and a preview key see.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::content::Bundle;
use api::editorial::auth;
use common::{Backend, TestApp, first_code as code};
use entity::enums::Role;
use serde_json::{Value, json};

/// A draft in a medical category that names its supervising physician,
/// who has not signed anything off yet.
const DRAFT: &str = "walked-column";

const WALKED: &str = r#"
articles:
  - slug: walked-column
    category: regenerative-medicine
    source_locale: ja
    status: DRAFT
    contributors:
      - { supervisor: hanako-mihon, role: SUPERVISOR }
    translations:
      ja: { title: 歩くコラム, lead: リード, status: DRAFT }
      en: { title: A walked column, lead: Lead, status: DRAFT }
    sections:
      - anchor: first
        heading: { ja: 最初の節, en: First section }
"#;

/// Runs workflow mutation `field` on `slug` at `revision`.
async fn step(app: &TestApp, token: &str, field: &str, slug: &str, revision: i32) -> Value {
    let input = if field == "publish" {
        "PublishInput"
    } else {
        "StepInput"
    };
    let query = format!(
        "mutation($input: {input}!) {{ {field}(input: $input) {{ status revision publishedAt visibleFrom }} }}"
    );
    app.as_key(
        Some(token),
        &query,
        json!({ "input": { "slug": slug, "revision": revision } }),
    )
    .await
}

/// What the public and a preview key see of `slug`, and the public count of
/// the category.
async fn seen(app: &TestApp, preview: &str, slug: &str) -> (Value, Value, i64) {
    let query = r#"query($slug: String!) {
      article(slug: $slug, locale: "ja") { status reviewedBySupervisor contributors { supervisor { slug } } }
      articles(filter: { category: "regenerative-medicine" }) { totalCount }
    }"#;
    let public = app.as_key(None, query, json!({ "slug": slug })).await;
    let keyed = app.as_key(Some(preview), query, json!({ "slug": slug })).await;
    (
        public["data"]["article"].clone(),
        keyed["data"]["article"]["status"].clone(),
        public["data"]["articles"]["totalCount"].as_i64().expect("a count"),
    )
}

async fn a_draft_walks_to_publication_and_back_out(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&Bundle::from_yaml(WALKED).expect("parses"))
        .await
        .expect("imports");
    let (_, editor) = auth::create_key(&app.db, Role::Editor, "desk").await.expect("key");
    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");
    let (_, preview) = auth::create_key(&app.db, Role::Preview, "app").await.expect("key");
    let physician = common::physician_key(&app, "Dr. Mihon").await;

    assert_eq!(seen(&app, &preview, DRAFT).await, (Value::Null, json!("DRAFT"), 2));

    let body = step(&app, &editor, "submitForReview", DRAFT, 1).await;
    assert_eq!(body["data"]["submitForReview"]["status"], "IN_REVIEW", "{body:#}");
    assert_eq!(seen(&app, &preview, DRAFT).await, (Value::Null, json!("IN_REVIEW"), 2));

    // A medical article is approved only after a physician signed it off.
    let body = step(&app, &editor, "approve", DRAFT, 1).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("sign off")
    );
    let sign = r#"mutation($input: SignOffInput!) { signOff(input: $input) { revision } }"#;
    let signed = app
        .as_key(
            Some(&physician),
            sign,
            json!({ "input": { "slug": DRAFT, "revision": 1, "locales": ["ja"], "claims": true } }),
        )
        .await;
    assert!(signed.get("errors").is_none(), "{signed:#}");
    let body = step(&app, &editor, "approve", DRAFT, 1).await;
    assert_eq!(body["data"]["approve"]["status"], "APPROVED", "{body:#}");
    assert_eq!(seen(&app, &preview, DRAFT).await, (Value::Null, json!("APPROVED"), 2));

    // Only an admin publishes, and only the current revision.
    assert_eq!(code(&step(&app, &editor, "publish", DRAFT, 1).await), "FORBIDDEN");
    let stale = step(&app, &admin, "publish", DRAFT, 2).await;
    assert_eq!(code(&stale), "CONFLICT", "{stale:#}");
    assert_eq!(stale["errors"][0]["extensions"]["currentRevision"], 1);
    let body = step(&app, &admin, "publish", DRAFT, 1).await;
    assert_eq!(body["data"]["publish"]["status"], "PUBLISHED", "{body:#}");
    // Times are kept to the microsecond, as both backends store them.
    let published_at = body["data"]["publish"]["publishedAt"].as_str().unwrap_or_default();
    let fraction = published_at.split('.').nth(1).map_or(0, |f| f.len() - "+00:00".len());
    assert!(fraction <= 6, "{published_at}");
    let (public, _, count) = seen(&app, &preview, DRAFT).await;
    assert_eq!(
        public,
        json!({ "status": "PUBLISHED", "reviewedBySupervisor": true,
                "contributors": [{ "supervisor": { "slug": common::PHYSICIAN } }] })
    );
    assert_eq!(count, 3, "the kept count follows");
    // Only the source locale was published with the article: the English
    // draft, which nobody reviewed, stays out of reach.
    let en = app
        .as_key(
            None,
            r#"query($s: String!) { article(slug: $s, locale: "en") { locale availableLocales } }"#,
            json!({ "s": DRAFT }),
        )
        .await;
    assert_eq!(
        en["data"]["article"],
        json!({ "locale": "ja", "availableLocales": ["ja"] })
    );

    let body = step(&app, &admin, "archive", DRAFT, 1).await;
    assert_eq!(body["data"]["archive"]["status"], "ARCHIVED", "{body:#}");
    assert_eq!(seen(&app, &preview, DRAFT).await, (Value::Null, json!("ARCHIVED"), 2));

    // Steps out of order are refused, saying why.
    let body = step(&app, &editor, "submitForReview", DRAFT, 1).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("is ARCHIVED")
    );
}

/// A draft in a category marked not medical.
const NEWS: &str = r#"
categories:
  - { slug: clinic-news, source_locale: ja, medical: false, name: { ja: お知らせ } }
articles:
  - slug: holiday-hours
    category: clinic-news
    source_locale: ja
    status: DRAFT
    translations: { ja: { title: 年末年始の診療, lead: 休診日のお知らせ, status: DRAFT } }
"#;

async fn a_scheduled_publication_waits_for_its_time(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&Bundle::from_yaml(NEWS).expect("parses"))
        .await
        .expect("imports");
    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");
    for field in ["submitForReview", "approve"] {
        let body = step(&app, &admin, field, "holiday-hours", 1).await;
        assert!(
            body.get("errors").is_none(),
            "not medical: no sign-off needed: {body:#}"
        );
    }
    let later = "2999-01-01T00:00:00Z";
    let publish = r#"mutation($input: PublishInput!) { publish(input: $input) { status visibleFrom } }"#;
    let body = app
        .as_key(
            Some(&admin),
            publish,
            json!({ "input": { "slug": "holiday-hours", "revision": 1, "publishAt": later } }),
        )
        .await;
    assert_eq!(body["data"]["publish"]["status"], "PUBLISHED", "{body:#}");
    assert_eq!(body["data"]["publish"]["visibleFrom"], "2999-01-01T00:00:00+00:00");
    let public = app.as_key(None,
        r#"{ article(slug: "holiday-hours") { title } articles(filter: { category: "clinic-news" }) { totalCount } }"#,
        json!({}),
    )
    .await;
    assert_eq!(public["data"]["article"], Value::Null, "scheduled: not yet");
    assert_eq!(public["data"]["articles"]["totalCount"], 0);
}

db_tests!(
    a_draft_walks_to_publication_and_back_out,
    a_scheduled_publication_waits_for_its_time,
);
