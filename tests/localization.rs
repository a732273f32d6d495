//! Localization rules: where the request locale comes from, how each entity
//! falls back on its own, and what every localized object reports.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::content::Bundle;
use common::{Backend, TestApp};
use serde_json::{Value, json};

const COLUMN: &str = "exosome-effects-and-side-effects";

const TITLE: &str = r#"query($slug: String!, $locale: Locale) {
  article(slug: $slug, locale: $locale) { title locale isFallback availableLocales }
}"#;

async fn title(app: &TestApp, locale: Option<&str>, accept_language: Option<&str>) -> Value {
    let body = json!({ "query": TITLE, "variables": { "slug": COLUMN, "locale": locale } });
    let headers: Vec<(&str, &str)> = accept_language.map(|v| ("accept-language", v)).into_iter().collect();
    let response = app.post(&body, &headers).await;
    response.data()["article"].clone()
}

/// An article in Japanese and English whose second section has no English text.
const PARTLY_TRANSLATED: &str = r#"
articles:
  - slug: partly-translated
    category: regenerative-medicine
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-03-01T00:00:00Z
    translations:
      ja: { title: 一部翻訳, lead: リード, status: PUBLISHED }
      en: { title: Partly translated, lead: Lead, status: PUBLISHED }
      ko: { title: 일부 번역, lead: 리드, status: DRAFT }
    sections:
      - anchor: first
        heading: { ja: 第一節, en: First section, ko: 첫 번째 }
        claims:
          - kind: DEFINITION
            evidence: UNSUPPORTED
            text: { ja: 主張, en: A claim }
      - anchor: second
        heading: { ja: 第二節 }
        blocks:
          ja: [{ type: paragraph, text: 日本語だけの節 }]
"#;

async fn seed_partly_translated(app: &TestApp) {
    let bundle = Bundle::from_yaml(PARTLY_TRANSLATED).expect("test bundle parses");
    app.import(&bundle).await.expect("test bundle imports");
}

const SECTIONS: &str = r#"query($locale: Locale) {
  article(slug: "partly-translated", locale: $locale) {
    title locale isFallback availableLocales
    sections { anchor heading locale isFallback availableLocales claims { text locale isFallback } }
  }
}"#;

async fn accept_language_chooses_the_locale_when_no_argument_is_given(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let en = title(&app, None, Some("en-US,en;q=0.9,ja;q=0.5")).await;
    assert_eq!(en["locale"], "en");
    assert_eq!(en["isFallback"], false, "en answers a request for en-US");
    assert_eq!(en["title"], "Exosomes: Effects and Side Effects Explained");

    // The first choice has no translation: the next acceptable one is used,
    // and the answer says it is not what was asked for first.
    let second_choice = title(&app, None, Some("fr-CA, en;q=0.7")).await;
    assert_eq!(second_choice["locale"], "en");
    assert_eq!(second_choice["isFallback"], true);

    // Junk in the header is ignored, never an error.
    let junk = title(&app, None, Some("!!, *;q=0.1")).await;
    assert_eq!(junk["locale"], "ja");
}

async fn locale_argument_overrides_accept_language(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ja = title(&app, Some("ja"), Some("en")).await;
    assert_eq!(ja["locale"], "ja");
    assert_eq!(ja["title"], "エクソソームの効果と副作用を解説");
}

async fn without_locale_or_header_the_server_default_applies(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ja = title(&app, None, None).await;
    assert_eq!(ja["locale"], "ja");
    assert_eq!(ja["isFallback"], false);

    let Some(app) = TestApp::spawn_with(backend, |config| {
        config.default_locale = api::delivery::locale::Locale::parse("en").expect("valid");
    })
    .await
    else {
        return;
    };
    let en = title(&app, None, None).await;
    assert_eq!(en["locale"], "en");
}

async fn fallback_is_per_section_not_per_article(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    seed_partly_translated(&app).await;
    let response = app.gql(SECTIONS, json!({ "locale": "en" })).await;
    let article = &response.data()["article"];
    assert_eq!(article["title"], "Partly translated");
    assert_eq!(article["locale"], "en");
    assert_eq!(article["isFallback"], false);

    let first = &article["sections"][0];
    assert_eq!(first["heading"], "First section");
    assert_eq!(first["locale"], "en");
    assert_eq!(first["isFallback"], false);
    assert_eq!(first["claims"][0]["text"], "A claim");

    let second = &article["sections"][1];
    assert_eq!(second["heading"], "第二節");
    assert_eq!(second["locale"], "ja");
    assert_eq!(second["isFallback"], true);
    assert_eq!(second["availableLocales"], json!(["ja"]));
}

async fn draft_translations_are_never_shown(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    seed_partly_translated(&app).await;
    let response = app.gql(SECTIONS, json!({ "locale": "ko" })).await;
    let article = &response.data()["article"];
    // The Korean translation is a draft: Korean readers get the source text,
    // flagged, and no Korean anywhere, not even in sections that have it.
    assert_eq!(article["locale"], "ja");
    assert_eq!(article["isFallback"], true);
    assert_eq!(article["availableLocales"], json!(["en", "ja"]));
    assert_eq!(article["sections"][0]["heading"], "第一節");
    assert_eq!(article["sections"][0]["availableLocales"], json!(["en", "ja"]));

    let listed = app
        .gql(
            r#"{ articles(filter: { availableIn: "ko" }) { edges { node { slug } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(listed.data()["articles"]["edges"], json!([]));
}

async fn configured_fallbacks_come_before_the_source_locale(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| {
        config.fallback_locales = vec![api::delivery::locale::Locale::parse("en").expect("valid")];
    })
    .await
    else {
        return;
    };
    let ko = title(&app, Some("ko"), None).await;
    assert_eq!(ko["locale"], "en");
    assert_eq!(ko["isFallback"], true);
}

async fn invalid_locales_are_bad_user_input_naming_the_tag(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let literal = app
        .gql(r#"{ article(slug: "x", locale: "en_US!") { title } }"#, json!({}))
        .await;
    assert_eq!(literal.codes(), ["BAD_USER_INPUT"]);
    assert!(
        literal.first_message().contains("en_US!"),
        "{}",
        literal.first_message()
    );

    let variable = app
        .gql(TITLE, json!({ "slug": COLUMN, "locale": "not a locale" }))
        .await;
    assert_eq!(variable.codes(), ["BAD_USER_INPUT"]);
    assert!(variable.first_message().contains("not a locale"));

    let filter = app
        .gql(
            r#"{ articles(filter: { availableIn: "??" }) { edges { cursor } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(filter.codes(), ["BAD_USER_INPUT"]);
    assert!(filter.first_message().contains("??"));
}

async fn locales_are_canonicalized(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let upper = title(&app, Some("EN-us"), None).await;
    assert_eq!(upper["locale"], "en");
    assert_eq!(upper["isFallback"], false);
}

/// An article whose source translation is still a draft: a reader asking
/// for a third language gets the one published translation, although it is
/// neither requested nor the source (the last step of every chain).
const SOURCE_IN_DRAFT: &str = r#"
articles:
  - slug: source-in-draft
    category: regenerative-medicine
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-03-01T00:00:00Z
    translations:
      ja: { title: 下書き, lead: リード, status: DRAFT }
      en: { title: Published in English, lead: Lead, status: PUBLISHED }
    sections:
      - anchor: first
        heading: { ja: 第一節, en: First section }
        claims:
          - kind: DEFINITION
            evidence: UNSUPPORTED
            text: { ja: 主張, en: A claim }
"#;

async fn the_last_resort_is_any_published_text(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let bundle = Bundle::from_yaml(SOURCE_IN_DRAFT).expect("test bundle parses");
    app.import(&bundle).await.expect("test bundle imports");
    let query = r#"query($locale: Locale) {
      article(slug: "source-in-draft", locale: $locale) {
        title
        sections { heading locale isFallback availableLocales
          claims { text locale isFallback availableLocales } }
      }
    }"#;
    for requested in ["ko", "ja"] {
        let response = app.gql(query, json!({ "locale": requested })).await;
        let article = &response.data()["article"];
        assert_eq!(article["title"], "Published in English", "{requested}");
        let section = &article["sections"][0];
        assert_eq!(section["heading"], "First section", "{requested}");
        assert_eq!(section["locale"], "en");
        assert_eq!(section["isFallback"], true);
        // The Japanese text belongs to a draft: not offered either.
        assert_eq!(section["availableLocales"], json!(["en"]));
        let claim = &section["claims"][0];
        assert_eq!(claim["text"], "A claim", "{requested}");
        assert_eq!(claim["availableLocales"], json!(["en"]));
    }
}

db_tests!(
    the_last_resort_is_any_published_text,
    accept_language_chooses_the_locale_when_no_argument_is_given,
    locale_argument_overrides_accept_language,
    without_locale_or_header_the_server_default_applies,
    fallback_is_per_section_not_per_article,
    draft_translations_are_never_shown,
    configured_fallbacks_come_before_the_source_locale,
    invalid_locales_are_bad_user_input_naming_the_tag,
    locales_are_canonicalized,
);
