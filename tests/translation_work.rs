//! `translationWork`: translators list what is missing or out of date in a
//! locale; other roles are refused.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::editorial::auth;
use common::{Backend, TestApp, first_code as code};
use entity::enums::Role;
use serde_json::{Value, json};

const WORK: &str = r#"query($locale: Locale!, $first: Int) {
  translationWork(locale: $locale, first: $first) {
    slug sourceTitle sourceLocale status revision need translatedFromRevision lagsBy translationStatus
  }
}"#;

async fn ask(app: &TestApp, token: Option<&str>, variables: Value) -> Value {
    app.as_key(token, WORK, variables).await
}

async fn translators_see_what_is_missing_or_outdated(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, token) = auth::create_key(&app.db, Role::Translator, "en desk")
        .await
        .expect("key");
    let body = ask(&app, Some(&token), json!({ "locale": "en" })).await;
    let tasks = body["data"]["translationWork"].as_array().expect("tasks").clone();
    let by_slug = |slug: &str| tasks.iter().find(|t| t["slug"] == slug).cloned();

    // Revision 2 of the law article changed the Japanese after the English
    // was made from revision 1.
    assert_eq!(
        by_slug("regenerative-medicine-law-risk-classes"),
        Some(json!({
            "slug": "regenerative-medicine-law-risk-classes", "sourceTitle": "再生医療等安全性確保法の3つのリスク区分",
            "sourceLocale": "ja", "status": "PUBLISHED", "revision": 2, "need": "OUTDATED",
            "translatedFromRevision": 1, "lagsBy": 1, "translationStatus": "PUBLISHED"
        }))
    );
    // Japanese-only articles, the draft among them, have no English at all.
    for slug in ["what-is-anti-aging-medicine", "exosome-treatment-costs"] {
        let task = by_slug(slug).unwrap_or_else(|| panic!("{slug} in {tasks:#?}"));
        assert_eq!(task["need"], "MISSING");
        assert_eq!(task["translatedFromRevision"], Value::Null);
    }
    assert!(
        by_slug("exosome-effects-and-side-effects").is_none(),
        "its English is current"
    );
    assert_eq!(tasks.len(), 3, "{tasks:#?}");

    let one = ask(&app, Some(&token), json!({ "locale": "en", "first": 1 })).await;
    assert_eq!(one["data"]["translationWork"].as_array().map(Vec::len), Some(1));
    let none = ask(&app, Some(&token), json!({ "locale": "ja" })).await;
    assert_eq!(
        none["data"]["translationWork"],
        json!([]),
        "the source locale needs no translator"
    );
    let bad = ask(&app, Some(&token), json!({ "locale": "en", "first": 0 })).await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
}

async fn other_roles_are_forbidden(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let public = ask(&app, None, json!({ "locale": "en" })).await;
    assert_eq!(code(&public), "FORBIDDEN", "{public:#}");
    for role in [Role::Preview, Role::Supervisor] {
        let physician = (role == Role::Supervisor).then_some(common::PHYSICIAN);
        let (_, token) = auth::create_key_for(&app.db, role, "not a translator", physician)
            .await
            .expect("key");
        let body = ask(&app, Some(&token), json!({ "locale": "en" })).await;
        assert_eq!(code(&body), "FORBIDDEN", "{role:?}: {body:#}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("TRANSLATOR")
        );
    }
    for role in [Role::Editor, Role::Admin] {
        let (_, token) = auth::create_key(&app.db, role, "manages translations")
            .await
            .expect("key");
        let body = ask(&app, Some(&token), json!({ "locale": "en" })).await;
        assert!(body.get("errors").is_none(), "{role:?}: {body:#}");
    }
}

db_tests!(translators_see_what_is_missing_or_outdated, other_roles_are_forbidden);
