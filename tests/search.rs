//! Full-text search: ranked results over the sample, Japanese by bigrams
//! and English by stems, snippets that link to their section, filters and
//! facet counts, visibility, and an index kept fresh by the change log on
//! every instance.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::content::Bundle;
use api::editorial::auth;
use common::{Backend, TestApp};
use entity::enums::Role;
use serde_json::{Value, json};

const SEARCH: &str = r#"query($q: String!, $locale: Locale, $first: Int, $after: String, $filter: SearchFilter) {
  search(query: $q, locale: $locale, first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    categories { category { slug } count }
    edges { cursor score node { slug locale title }
            snippet { text html sectionAnchor sectionHeading highlights { start end } } }
  }
}"#;

async fn search(app: &TestApp, q: &str, locale: &str) -> Value {
    let answer = app.gql(SEARCH, json!({ "q": q, "locale": locale })).await;
    answer.data()["search"].clone()
}

/// The top hit's slug and snippet anchor.
fn top(found: &Value) -> (String, Option<String>) {
    let edge = &found["edges"][0];
    (
        edge["node"]["slug"].as_str().unwrap_or("<none>").to_owned(),
        edge["snippet"]["sectionAnchor"].as_str().map(str::to_owned),
    )
}

const EXOSOME: &str = "exosome-effects-and-side-effects";
const ACT: &str = "regenerative-medicine-law-risk-classes";
const ANTI_AGING: &str = "what-is-anti-aging-medicine";

/// Queries a reader of the sample would type, with the article they want
/// first and, where the query names one topic, the section the snippet
/// must link to.
const RELEVANCE: &[(&str, &str, &str, Option<&str>)] = &[
    ("エクソソーム", "ja", EXOSOME, None),
    ("副作用", "ja", EXOSOME, Some("possible-side-effects")),
    ("点滴", "ja", EXOSOME, Some("intravenous-infusion")),
    ("局所注射", "ja", EXOSOME, Some("local-injection")),
    (
        "幹細胞培養液",
        "ja",
        EXOSOME,
        Some("exosomes-vs-stem-cell-culture-medium"),
    ),
    ("コラーゲン", "ja", EXOSOME, Some("collagen-and-elastin")),
    ("抜け毛", "ja", EXOSOME, Some("hair-loss")),
    ("アレルギー", "ja", EXOSOME, Some("allergies-and-constitution")),
    ("化粧品", "ja", EXOSOME, Some("exosome-cosmetics")),
    ("リスク区分", "ja", ACT, Some("three-risk-classes")),
    ("iPS細胞", "ja", ACT, Some("three-risk-classes")),
    ("安全性確保法", "ja", ACT, None),
    ("抗加齢医学", "ja", ANTI_AGING, None),
    ("睡眠", "ja", ANTI_AGING, Some("everyday-habits")),
    ("禁煙 運動", "ja", ANTI_AGING, Some("everyday-habits")),
    ("side effect", "en", EXOSOME, Some("possible-side-effects")),
    ("exosomes", "en", EXOSOME, None),
    ("intravenous infusion", "en", EXOSOME, Some("intravenous-infusion")),
    (
        "stem cell culture medium",
        "en",
        EXOSOME,
        Some("exosomes-vs-stem-cell-culture-medium"),
    ),
    ("hair loss", "en", EXOSOME, Some("hair-loss")),
    ("collagen", "en", EXOSOME, Some("collagen-and-elastin")),
    ("risk classes", "en", ACT, Some("three-risk-classes")),
    ("Act on the Safety of Regenerative Medicine", "en", ACT, None),
    ("iPS", "en", ACT, Some("three-risk-classes")),
];

async fn the_expected_article_and_section_come_first(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut wrong = Vec::new();
    for (query, locale, slug, anchor) in RELEVANCE {
        let found = search(&app, query, locale).await;
        let (got_slug, got_anchor) = top(&found);
        let anchor_ok = anchor.is_none_or(|a| got_anchor.as_deref() == Some(a));
        if got_slug != *slug || !anchor_ok {
            wrong.push(format!(
                "{query} ({locale}): got {got_slug} #{got_anchor:?}, want {slug} #{anchor:?}"
            ));
        }
        // Every hit is in the locale searched, and marks what matched.
        for edge in found["edges"].as_array().unwrap() {
            assert_eq!(edge["node"]["locale"], *locale, "{query}: {edge:#}");
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} queries:\n{}",
        wrong.len(),
        RELEVANCE.len(),
        wrong.join("\n")
    );
}

async fn snippets_mark_the_match_and_filters_and_facets_narrow(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let found = search(&app, "副作用", "ja").await;
    let snippet = &found["edges"][0]["snippet"];
    let text = snippet["text"].as_str().unwrap();
    assert!(
        snippet["html"].as_str().unwrap().contains("<mark>副作用</mark>"),
        "{snippet:#}"
    );
    // Ranges are in UTF-16 units: what JavaScript's `slice` takes.
    let units: Vec<u16> = text.encode_utf16().collect();
    let range = &snippet["highlights"][0];
    let (start, end) = (
        range["start"].as_u64().unwrap() as usize,
        range["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(String::from_utf16(&units[start..end]).unwrap(), "副作用");

    // Facets: every category that matches, counted, ignoring the category
    // filter; the filter narrows the hits.
    let all = search(&app, "医療", "ja").await;
    let counts: Vec<(String, u64)> = all["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["category"]["slug"].as_str().unwrap().to_owned(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [("regenerative-medicine".to_owned(), 2), ("anti-aging".to_owned(), 1)],
        "{all:#}"
    );
    assert_eq!(all["totalCount"], 3);
    let narrowed = app
        .gql(
            SEARCH,
            json!({ "q": "医療", "locale": "ja", "filter": { "category": "anti-aging" } }),
        )
        .await;
    let narrowed = &narrowed.data()["search"];
    assert_eq!(narrowed["totalCount"], 1);
    assert_eq!(narrowed["edges"][0]["node"]["slug"], ANTI_AGING);
    assert_eq!(
        narrowed["categories"], all["categories"],
        "facets ignore the category filter"
    );
    let tagged = app
        .gql(
            SEARCH,
            json!({ "q": "医療", "locale": "ja", "filter": { "tags": ["regulation"] } }),
        )
        .await;
    assert_eq!(tagged.data()["search"]["edges"][0]["node"]["slug"], ACT);
    assert_eq!(tagged.data()["search"]["totalCount"], 1);

    // Pages: the cursor continues where the page ended.
    let first = app
        .gql(SEARCH, json!({ "q": "医療", "locale": "ja", "first": 2 }))
        .await;
    let first = &first.data()["search"];
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let rest = app
        .gql(
            SEARCH,
            json!({ "q": "医療", "locale": "ja", "first": 2, "after": first["pageInfo"]["endCursor"] }),
        )
        .await;
    let rest = &rest.data()["search"];
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    let mut slugs: Vec<&str> = first["edges"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["edges"].as_array().unwrap())
        .map(|e| e["node"]["slug"].as_str().unwrap())
        .collect();
    slugs.sort_unstable();
    assert_eq!(
        slugs,
        [EXOSOME, ACT, ANTI_AGING]
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );

    // The draft's heading says 費用の目安, but drafts are not found.
    let draft = search(&app, "費用の目安", "ja").await;
    assert_eq!(draft["totalCount"], 0, "{draft:#}");

    // Bad input: clear errors, not empty pages.
    for (q, first) in [
        ("   ", 10),
        ("、。", 10),
        (
            &(0..20).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ") as &str,
            10,
        ),
        ("医療", 51),
    ] {
        let answer = app.gql(SEARCH, json!({ "q": q, "locale": "ja", "first": first })).await;
        assert_eq!(answer.codes(), ["BAD_USER_INPUT"], "{q}: {}", answer.first_message());
    }
    for cursor in ["bm90LWEtY3Vyc29y", "c2VhcmNoOjE4NDQ2NzQ0MDczNzA5NTUxNjE1"] {
        let answer = app
            .gql(SEARCH, json!({ "q": "医療", "locale": "ja", "after": cursor }))
            .await;
        assert_eq!(answer.codes(), ["BAD_USER_INPUT"], "{cursor}");
    }
    // Punctuation the regex syntax would read as its own is only a
    // character to search for.
    for q in ["・", "CD63・CD81", "ー", "゛"] {
        let answer = app.gql(SEARCH, json!({ "q": q, "locale": "ja" })).await;
        assert!(answer.codes().is_empty(), "{q}: {}", answer.first_message());
    }
}

const FRESH: &str = r#"
categories:
  - { slug: search-news, source_locale: ja, medical: false, name: { ja: お知らせ } }
articles:
  - slug: search-fresh
    category: search-news
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-01T00:00:00Z
    translations:
      ja: { title: 睡眠と体内時計, lead: 概日リズムの話。, status: PUBLISHED }
      en: { title: Sleep and the body clock, lead: On circadian rhythms., status: PUBLISHED }
    sections:
      - anchor: rhythm
        heading: { ja: 体内時計, en: The body clock }
        blocks:
          ja: [{ type: paragraph, text: 朝の光が概日リズムを整える。 }]
          en: [{ type: paragraph, text: Morning light sets the circadian rhythm. }]
"#;

fn slugs(found: &Value) -> Vec<String> {
    found["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["node"]["slug"].as_str().map(str::to_owned))
        .collect()
}

/// Two instances on one database: what one writes, the other's index
/// finds (PostgreSQL wakes it with `NOTIFY`; SQLite by its poll). Waits
/// by asking again until the answer changes, for at most 10 s.
async fn eventually(app: &TestApp, q: &str, locale: &str, want: bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let found = search(app, q, locale).await;
        if slugs(&found).contains(&"search-fresh".to_owned()) == want || std::time::Instant::now() > deadline {
            return found;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn edits_are_found_and_archived_articles_are_not_on_every_instance(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let other = TestApp::spawn_on(&app.database_url(), |c| c.load_sample = false).await;
    assert!(slugs(&search(&other, "メラトニン", "ja").await).is_empty());

    app.import(&Bundle::from_yaml(FRESH).expect("parses"))
        .await
        .expect("imports");
    // The writing instance's index is up to date when the write returns.
    assert_eq!(slugs(&search(&app, "概日リズム", "ja").await), ["search-fresh"]);
    assert_eq!(slugs(&search(&app, "circadian rhythm", "en").await), ["search-fresh"]);
    assert!(slugs(&eventually(&other, "概日リズム", "ja", true).await).contains(&"search-fresh".to_owned()));

    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");
    for locale in ["ja", "en"] {
        let heading = if locale == "ja" {
            "体内時計とメラトニン"
        } else {
            "The body clock and melatonin"
        };
        let base = if locale == "ja" { 1 } else { 2 };
        let edited = app
            .as_key(
                Some(&admin),
                "mutation($i: EditSectionInput!) { editSection(input: $i) { revision } }",
                json!({ "i": { "slug": "search-fresh", "baseRevision": base, "anchor": "rhythm", "locale": locale, "heading": heading } }),
            )
            .await;
        assert_eq!(edited["data"]["editSection"]["revision"], base + 1, "{edited:#}");
    }
    // Saved but not yet published: not found.
    assert!(slugs(&search(&app, "メラトニン", "ja").await).is_empty());
    let published = app
        .as_key(
            Some(&admin),
            "mutation($i: PublishInput!) { publish(input: $i) { status } }",
            json!({ "i": { "slug": "search-fresh", "revision": 3 } }),
        )
        .await;
    assert_eq!(published["data"]["publish"]["status"], "PUBLISHED", "{published:#}");
    let found = search(&app, "メラトニン", "ja").await;
    assert_eq!(slugs(&found), ["search-fresh"], "{found:#}");
    assert_eq!(found["edges"][0]["snippet"]["sectionAnchor"], "rhythm");
    assert_eq!(slugs(&search(&app, "melatonin", "en").await), ["search-fresh"]);
    assert_eq!(
        slugs(&eventually(&other, "メラトニン", "ja", true).await),
        ["search-fresh"]
    );

    let archived = app
        .as_key(
            Some(&admin),
            "mutation($i: StepInput!) { archive(input: $i) { status } }",
            json!({ "i": { "slug": "search-fresh", "revision": 3 } }),
        )
        .await;
    assert_eq!(archived["data"]["archive"]["status"], "ARCHIVED", "{archived:#}");
    assert!(slugs(&search(&app, "メラトニン", "ja").await).is_empty());
    assert!(slugs(&eventually(&other, "メラトニン", "ja", false).await).is_empty());
}

async fn a_partner_finds_only_what_it_is_licensed_to(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");
    let created = app
        .as_key(
            Some(&admin),
            r#"mutation { createPartner(slug: "north", name: "North Clinic") { slug } }"#,
            json!({}),
        )
        .await;
    assert!(created["errors"].is_null(), "{created:#}");
    let granted = app
        .as_key(
            Some(&admin),
            r#"mutation { grantLicense(input: { partner: "north", category: "anti-aging", locales: ["ja"],
                 attribution: "Courtesy of the clinic", terms: "Syndication terms" }) { id } }"#,
            json!({}),
        )
        .await;
    assert!(granted["errors"].is_null(), "{granted:#}");
    let (_, key) = auth::create_partner_key(&app.db, "north key", "north")
        .await
        .expect("key");
    let ask = |q: &'static str| {
        let key = key.clone();
        let app = &app;
        async move { app.as_key(Some(&key), SEARCH, json!({ "q": q, "locale": "ja" })).await }
    };
    let found = ask("医療").await;
    assert_eq!(found["data"]["search"]["totalCount"], 1, "{found:#}");
    assert_eq!(found["data"]["search"]["edges"][0]["node"]["slug"], ANTI_AGING);
    let counts = &found["data"]["search"]["categories"];
    assert_eq!(counts.as_array().map(Vec::len), Some(1), "{counts:#}");
    assert_eq!(ask("エクソソーム").await["data"]["search"]["totalCount"], 0);
}

db_tests!(
    the_expected_article_and_section_come_first,
    snippets_mark_the_match_and_filters_and_facets_narrow,
    edits_are_found_and_archived_articles_are_not_on_every_instance,
    a_partner_finds_only_what_it_is_licensed_to,
);
