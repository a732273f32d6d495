//! Article lists: Relay connections with keyset cursors, filters and orders;
//! only published content is ever visible.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::content::Bundle;
use common::{Backend, GqlResponse, TestApp};
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

const LIST: &str = r#"query($first: Int, $after: String, $filter: ArticleFilter, $orderBy: ArticleOrder) {
  articles(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { slug title publishedAt } }
  }
}"#;

async fn list(app: &TestApp, variables: Value) -> Value {
    app.gql(LIST, variables).await.data()["articles"].clone()
}

fn slugs(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["slug"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Walks every page of size `first` and returns the slugs in order.
async fn walk(app: &TestApp, first: i64, filter: Value, order: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = list(
            app,
            json!({ "first": first, "after": after, "filter": filter, "orderBy": order }),
        )
        .await;
        out.extend(slugs(&page));
        if page["pageInfo"]["hasNextPage"] != true {
            return out;
        }
        after = page["pageInfo"]["endCursor"].clone();
        assert!(out.len() < 1000, "pagination does not end");
    }
}

const LAW: &str = "regenerative-medicine-law-risk-classes";
const ANTI_AGING: &str = "what-is-anti-aging-medicine";
const COLUMN: &str = "exosome-effects-and-side-effects";

async fn published_articles_are_listed_newest_first_across_pages(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let all = list(&app, json!({})).await;
    assert_eq!(
        slugs(&all),
        [ANTI_AGING, LAW, COLUMN],
        "the sample draft is never listed"
    );
    assert_eq!(all["totalCount"], 3);
    assert_eq!(all["pageInfo"]["hasNextPage"], false);
    assert_eq!(all["pageInfo"]["hasPreviousPage"], false);

    let first = list(&app, json!({ "first": 1 })).await;
    assert_eq!(slugs(&first), [ANTI_AGING]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["endCursor"], first["edges"][0]["cursor"]);
    let second = list(&app, json!({ "first": 1, "after": first["pageInfo"]["endCursor"] })).await;
    assert_eq!(slugs(&second), [LAW]);
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);

    assert_eq!(
        walk(&app, 1, json!(null), "PUBLISHED_AT_DESC").await,
        [ANTI_AGING, LAW, COLUMN]
    );
    assert_eq!(
        walk(&app, 2, json!(null), "PUBLISHED_AT_ASC").await,
        [COLUMN, LAW, ANTI_AGING]
    );
}

async fn filters_narrow_the_list(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let by = |filter: Value| {
        let app = &app;
        async move { slugs(&list(app, json!({ "filter": filter })).await) }
    };
    assert_eq!(by(json!({ "category": "anti-aging" })).await, [ANTI_AGING]);
    assert_eq!(by(json!({ "category": "regenerative-medicine" })).await, [LAW, COLUMN]);
    assert_eq!(
        by(json!({ "tag": "exosome" })).await,
        [COLUMN],
        "the draft tagged exosome stays hidden"
    );
    assert_eq!(
        by(json!({ "supervisor": "shinichi-suita" })).await,
        [COLUMN],
        "only the column he reviewed names him"
    );
    assert_eq!(by(json!({ "availableIn": "en" })).await, [LAW, COLUMN]);
    assert_eq!(by(json!({ "availableIn": "en", "tag": "regulation" })).await, [LAW]);
    assert_eq!(
        by(json!({ "updatedSince": "2025-01-01T00:00:00Z", "category": "regenerative-medicine" })).await,
        [LAW]
    );
    assert_eq!(
        by(json!({ "category": "no-such-category" })).await,
        Vec::<String>::new()
    );

    let counted = list(
        &app,
        json!({ "first": 1, "filter": { "category": "regenerative-medicine" } }),
    )
    .await;
    assert_eq!(counted["totalCount"], 2, "totalCount counts every page");
}

async fn updated_order_serves_incremental_sync(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // The anti-aging sample has no recorded update time, so it was updated
    // when it was imported: now.
    assert_eq!(
        walk(&app, 1, json!(null), "UPDATED_AT_DESC").await,
        [ANTI_AGING, LAW, COLUMN]
    );
    assert_eq!(
        walk(&app, 1, json!(null), "UPDATED_AT_ASC").await,
        [COLUMN, LAW, ANTI_AGING]
    );
}

/// Articles published at the very same instant, to exercise tie-breaking.
fn simultaneous(count: usize) -> Bundle {
    let mut yaml = String::from("articles:\n");
    for i in 0..count {
        yaml.push_str(&format!(
            "  - slug: same-time-{i}\n    category: anti-aging\n    source_locale: ja\n    status: PUBLISHED\n    \
             published_at: 2020-01-01T00:00:00Z\n    updated_at: 2020-01-01T00:00:00Z\n    \
             translations:\n      ja: {{ title: 同時{i}, lead: リード, status: PUBLISHED }}\n"
        ));
    }
    Bundle::from_yaml(&yaml).expect("bundle parses")
}

async fn pages_never_skip_or_repeat_articles_with_equal_timestamps(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let bundle = simultaneous(7);
    app.import(&bundle).await.expect("imports");
    for order in [
        "PUBLISHED_AT_DESC",
        "PUBLISHED_AT_ASC",
        "UPDATED_AT_DESC",
        "UPDATED_AT_ASC",
    ] {
        for size in [1, 2, 3] {
            let seen = walk(&app, size, json!({ "category": "anti-aging" }), order).await;
            let mut unique = seen.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(seen.len(), 8, "{order} by {size}: {seen:?}");
            assert_eq!(unique.len(), 8, "{order} by {size}: {seen:?}");
        }
    }
}

/// Two articles readers must not see: one scheduled for 2999, one published
/// without a published translation.
fn hidden() -> Bundle {
    Bundle::from_yaml(
        r#"
articles:
  - slug: scheduled
    category: anti-aging
    source_locale: ja
    status: PUBLISHED
    published_at: 2999-01-01T00:00:00Z
    translations:
      ja: { title: 予約投稿, lead: まだ公開前, status: PUBLISHED }
  - slug: published-but-untranslated
    category: anti-aging
    source_locale: ja
    status: PUBLISHED
    published_at: 2020-01-01T00:00:00Z
    translations:
      ja: { title: 下書きの翻訳だけ, lead: 公開済みの翻訳がない, status: DRAFT }
"#,
    )
    .expect("bundle parses")
}

async fn drafts_and_scheduled_articles_are_invisible(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&hidden()).await.expect("imports");
    for slug in ["exosome-treatment-costs", "scheduled", "published-but-untranslated"] {
        let found = app
            .gql(
                "query($s: String!) { article(slug: $s) { title } }",
                json!({ "s": slug }),
            )
            .await;
        assert_eq!(found.data()["article"], Value::Null, "{slug} must not be visible");
    }
    let all = walk(&app, 100, json!(null), "PUBLISHED_AT_DESC").await;
    assert_eq!(all, [ANTI_AGING, LAW, COLUMN]);
}

async fn bad_paging_arguments_are_bad_user_input(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    for first in [-1, 101] {
        let response = app.gql(LIST, json!({ "first": first })).await;
        assert_eq!(response.codes(), ["BAD_USER_INPUT"], "first = {first}");
        assert!(
            response.first_message().contains("`first`"),
            "{}",
            response.first_message()
        );
    }
    let empty = list(&app, json!({ "first": 0 })).await;
    assert_eq!(slugs(&empty), Vec::<String>::new());
    assert_eq!(empty["pageInfo"]["hasNextPage"], true);

    for after in ["garbage", "", "djE6cGQ6eDp5", "%%%"] {
        let response = app.gql(LIST, json!({ "first": 1, "after": after })).await;
        assert_eq!(response.codes(), ["BAD_USER_INPUT"], "after = {after:?}");
        assert!(
            response.first_message().contains("cursor"),
            "{}",
            response.first_message()
        );
    }

    for since in ["0500-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999Z"] {
        let response = app.gql(LIST, json!({ "filter": { "updatedSince": since } })).await;
        assert_eq!(
            response.codes(),
            ["BAD_USER_INPUT"],
            "updatedSince {since}: {}",
            response.text
        );
    }

    let page = list(&app, json!({ "first": 1 })).await;
    let cursor = page["pageInfo"]["endCursor"].clone();
    let empty = list(&app, json!({ "first": 0, "after": cursor })).await;
    assert_eq!(
        empty["pageInfo"]["endCursor"], cursor,
        "an empty page ends where it started"
    );
    let other_order = app
        .gql(
            LIST,
            json!({ "first": 1, "after": cursor, "orderBy": "UPDATED_AT_ASC" }),
        )
        .await;
    assert_eq!(other_order.codes(), ["BAD_USER_INPUT"]);
    assert!(other_order.first_message().contains("orderBy"));
}

async fn list_page_statement_count_does_not_grow_with_page_size(backend: Backend) {
    // The cold path: every request executes.
    let Some(app) = TestApp::spawn_with(backend, |config| config.response_cache_mb = 0).await else {
        return;
    };
    app.import(&simultaneous(12)).await.expect("imports");
    let page = r#"query($first: Int) { articles(first: $first, locale: "en") {
        edges { node { slug title lead publishedAt locale category { name } tags { name }
                       contributors { supervisor { name } } } } } }"#;
    let mut counts = Vec::new();
    for first in [2, 12] {
        let before = app.statements().await;
        let response = app.gql(page, json!({ "first": first })).await;
        assert_eq!(
            response.data()["articles"]["edges"].as_array().map(Vec::len),
            Some(first)
        );
        counts.push(app.statements().await - before);
    }
    eprintln!(
        "list page: {} SQL statements ({backend:?}) for 2 and for 12 articles",
        counts[0]
    );
    assert_eq!(counts[0], counts[1], "statements must not grow with the page size");
    assert!(
        counts[0] <= 5,
        "at most 5 statements for the list page, not {}",
        counts[0]
    );
}

/// Articles far from 1970, where nanoseconds since the epoch overflow an i64.
const FAR_FROM_1970: &str = r#"
categories:
  - { slug: history, source_locale: ja, name: { ja: 歴史 } }
articles:
  - slug: year-1650
    category: history
    source_locale: ja
    status: PUBLISHED
    published_at: 1650-01-01T00:00:00Z
    updated_at: 1650-01-01T00:00:00Z
    translations: { ja: { title: 一六五〇, lead: リード, status: PUBLISHED } }
  - slug: year-1660
    category: history
    source_locale: ja
    status: PUBLISHED
    published_at: 1660-01-01T00:00:00Z
    updated_at: 2300-01-01T00:00:00Z
    translations: { ja: { title: 一六六〇, lead: リード, status: PUBLISHED } }
  - slug: year-2020
    category: history
    source_locale: ja
    status: PUBLISHED
    published_at: 2020-01-01T00:00:00Z
    updated_at: 2020-01-01T00:00:00Z
    translations: { ja: { title: 二〇二〇, lead: リード, status: PUBLISHED } }
"#;

async fn cursors_page_through_times_before_1677_and_after_2262(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&Bundle::from_yaml(FAR_FROM_1970).expect("bundle parses"))
        .await
        .expect("imports");
    let history = json!({ "category": "history" });
    for (order, expected) in [
        ("PUBLISHED_AT_DESC", ["year-2020", "year-1660", "year-1650"]),
        ("PUBLISHED_AT_ASC", ["year-1650", "year-1660", "year-2020"]),
        ("UPDATED_AT_DESC", ["year-1660", "year-2020", "year-1650"]),
        ("UPDATED_AT_ASC", ["year-1650", "year-2020", "year-1660"]),
    ] {
        for size in [1, 2] {
            assert_eq!(
                walk(&app, size, history.clone(), order).await,
                expected,
                "{order} by {size}"
            );
        }
    }
}

async fn the_import_refuses_times_outside_the_documented_range(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let article = |times: &str| {
        format!(
            "articles:\n  - slug: out-of-range\n    category: anti-aging\n    source_locale: ja\n    status: PUBLISHED\n    \
             {times}\n    translations: {{ ja: {{ title: 範囲外, lead: リード, status: PUBLISHED }} }}\n"
        )
    };
    for (times, at) in [
        (
            "published_at: 0999-12-31T23:59:59Z",
            "article out-of-range › published_at",
        ),
        (
            "published_at: 2020-01-01T00:00:00Z\n    updated_at: 0500-01-01T00:00:00Z",
            "article out-of-range › updated_at",
        ),
        (
            "published_at: 2020-01-01T00:00:00Z\n    contributors: [{ supervisor: hanako-mihon, role: SUPERVISOR, \
             signed_off_revision: 1, signed_off_at: 0001-01-01T00:00:00Z }]",
            "article out-of-range › contributor 1 › signed_off_at",
        ),
    ] {
        let bundle = Bundle::from_yaml(&article(times)).expect("bundle parses");
        let err = app.import(&bundle).await.expect_err("out of range").to_string();
        assert!(err.contains(at) && err.contains("1000-01-01"), "{err}");
    }
    let found = app
        .gql(r#"{ article(slug: "out-of-range") { slug } }"#, json!({}))
        .await;
    assert_eq!(found.data()["article"], Value::Null, "nothing was written");
}

/// Times a generated article may carry: ties, microsecond neighbours, the
/// ends of the accepted range, the future, and anything in between.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let fixed: Vec<DateTime<Utc>> = [
        "1000-01-01T00:00:00Z",
        "1650-01-01T00:00:00Z",
        "1969-12-31T23:59:59.999999Z",
        "2020-01-01T00:00:00Z",
        "2020-01-01T00:00:00.000001Z",
        "2020-01-01T00:00:00.5Z",
        "2300-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999Z",
    ]
    .iter()
    .map(|t| t.parse().expect("a time"))
    .collect();
    let earliest = api::store::clock::EARLIEST.timestamp_micros();
    let latest = api::store::clock::LATEST.timestamp_micros();
    prop_oneof![
        3 => proptest::sample::select(fixed),
        1 => (earliest..=latest).prop_map(|micros| DateTime::from_timestamp_micros(micros).expect("in range")),
    ]
}

#[derive(Debug, Clone)]
struct GeneratedArticle {
    status: &'static str,
    translation: &'static str,
    published_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn generated_article() -> impl Strategy<Value = GeneratedArticle> {
    let status = proptest::sample::select(vec!["PUBLISHED", "PUBLISHED", "DRAFT", "ARCHIVED"]);
    let translation = proptest::sample::select(vec!["PUBLISHED", "PUBLISHED", "DRAFT"]);
    (status, translation, instant(), instant()).prop_map(|(status, translation, published_at, updated_at)| {
        GeneratedArticle {
            status,
            // A draft's translation cannot be published before it is.
            translation: if status == "DRAFT" { "DRAFT" } else { translation },
            published_at,
            updated_at,
        }
    })
}

fn paging_visits_every_visible_article_once_in_order(backend: Backend) {
    common::property(
        backend,
        24,
        proptest::collection::vec(generated_article(), 0..12),
        async |app, case, articles| {
            let category = format!("prop-{case}");
            let mut docs = Vec::new();
            for (i, a) in articles.iter().enumerate() {
                docs.push(json!({
                    "slug": format!("{category}-{i}"),
                    "category": category,
                    "source_locale": "ja",
                    "status": a.status,
                    "published_at": a.published_at.to_rfc3339(),
                    "updated_at": a.updated_at.to_rfc3339(),
                    "translations": { "ja": { "title": format!("記事{i}"), "lead": "リード", "status": a.translation } },
                }));
            }
            let bundle = json!({
                "categories": [{ "slug": category, "source_locale": "ja", "name": { "ja": "生成" } }],
                "articles": docs,
            });
            app.import(&Bundle::from_yaml(&bundle.to_string()).expect("bundle parses"))
                .await
                .expect("imports");
            let ids: HashMap<String, uuid::Uuid> = entity::article::Entity::find()
                .all(&app.db)
                .await
                .expect("articles")
                .into_iter()
                .map(|a| (a.slug, a.id))
                .collect();
            let now = Utc::now();
            let visible: Vec<(String, &GeneratedArticle)> = articles
                .iter()
                .enumerate()
                .filter(|(_, a)| a.status == "PUBLISHED" && a.translation == "PUBLISHED" && a.published_at <= now)
                .map(|(i, a)| (format!("{category}-{i}"), a))
                .collect();
            let filter = json!({ "category": category });
            for (order, descending, by_published) in [
                ("PUBLISHED_AT_DESC", true, true),
                ("PUBLISHED_AT_ASC", false, true),
                ("UPDATED_AT_DESC", true, false),
                ("UPDATED_AT_ASC", false, false),
            ] {
                let mut expected = visible.clone();
                expected.sort_by_key(|(slug, a)| (if by_published { a.published_at } else { a.updated_at }, ids[slug]));
                if descending {
                    expected.reverse();
                }
                let expected: Vec<String> = expected.into_iter().map(|(slug, _)| slug).collect();
                for size in [1, 2, 3, 5, 100] {
                    assert_eq!(
                        walk(app, size, filter.clone(), order).await,
                        expected,
                        "{order} by {size}"
                    );
                }
                let count =
                    list(app, json!({ "first": 1, "filter": filter, "orderBy": order })).await["totalCount"].clone();
                assert_eq!(count, json!(expected.len()), "{order}: totalCount");
            }
        },
    );
}

/// The answer to `query` and how many SQL statements it cost.
async fn costed(app: &TestApp, query: &str) -> (u64, GqlResponse) {
    let before = app.statements().await;
    let response = app.gql(query, json!({})).await;
    (app.statements().await - before, response)
}

/// The count an unfiltered list reads inside its page's own statement is
/// the count the separate statement gives: with scheduled and untranslated
/// articles left out, on an empty page, and at no statement of its own.
async fn total_count_is_the_same_read_with_the_page_or_after_it(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| config.response_cache_mb = 0).await else {
        return;
    };
    app.import(&hidden()).await.expect("imports");
    let visible = walk(&app, 100, json!(null), "PUBLISHED_AT_DESC").await.len();
    assert_eq!(visible, 3, "the sample's three articles");
    let whole = list(&app, json!({ "first": 10 })).await;
    assert_eq!(whole["totalCount"], json!(visible), "read with a full page");
    let none = list(&app, json!({ "first": 0 })).await;
    assert_eq!(none["totalCount"], json!(visible), "read with `first: 0`");
    let last = list(&app, json!({ "first": visible })).await["pageInfo"]["endCursor"].clone();
    let past = list(&app, json!({ "first": 10, "after": last })).await;
    assert_eq!(slugs(&past), Vec::<String>::new(), "nothing after the last article");
    assert_eq!(
        past["totalCount"],
        json!(visible),
        "read on its own after an empty page"
    );
    let anti_aging = walk(&app, 100, json!({ "category": "anti-aging" }), "PUBLISHED_AT_DESC")
        .await
        .len();
    assert!(anti_aging >= 1, "the sample has an anti-aging article");
    let filtered = list(&app, json!({ "first": 10, "filter": { "category": "anti-aging" } })).await;
    assert_eq!(filtered["totalCount"], json!(anti_aging), "a category's kept count");

    let page = |count: &str| format!("{{ articles(first: 10) {{ {count} edges {{ node {{ slug }} }} }} }}");
    let (without, _) = costed(&app, &page("")).await;
    let (with, counted) = costed(&app, &page("totalCount")).await;
    assert_eq!(counted.data()["articles"]["totalCount"], json!(visible));
    assert_eq!(
        with, without,
        "an unfiltered list's count costs no statement of its own"
    );
}

/// A category's count is read inside its page's statement too: the same
/// number the separate statement gives (after the last page), none for a
/// category that does not exist, and no statement of its own.
async fn a_category_count_is_read_with_the_page(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| config.response_cache_mb = 0).await else {
        return;
    };
    app.import(&hidden()).await.expect("imports");
    let category = |slug: &str, first: usize| json!({ "first": first, "filter": { "category": slug } });
    for slug in ["anti-aging", "regenerative-medicine"] {
        let listed = walk(&app, 100, json!({ "category": slug }), "PUBLISHED_AT_DESC")
            .await
            .len();
        assert!(listed >= 1, "the sample lists an article in {slug}");
        let with_page = list(&app, category(slug, 10)).await;
        assert_eq!(with_page["totalCount"], json!(listed), "{slug}: read with the page");
        // A page past the last article has no row to carry the count: it
        // is read on its own, with the key built in Rust.
        let last = with_page["pageInfo"]["endCursor"].clone();
        let past = list(
            &app,
            json!({ "first": 10, "after": last, "filter": { "category": slug } }),
        )
        .await;
        assert_eq!(slugs(&past), Vec::<String>::new(), "{slug}: nothing after the last");
        assert_eq!(past["totalCount"], json!(listed), "{slug}: read on its own");
    }
    assert_eq!(
        list(&app, category("no-such-category", 10)).await["totalCount"],
        json!(0)
    );

    let page = |count: &str| {
        format!(
            "{{ articles(first: 10, filter: {{ category: \"anti-aging\" }}) {{ {count} edges {{ node {{ slug }} }} }} }}"
        )
    };
    let (without, _) = costed(&app, &page("")).await;
    let (with, counted) = costed(&app, &page("totalCount")).await;
    assert!(counted.codes().is_empty(), "{:?}", counted.codes());
    assert_eq!(with, without, "a category's count costs no statement of its own");
}

/// A list reads intros only when it shows them, and then shows them in
/// full: through `edges`, through `nodes` and inside a fragment, each the
/// intro the article itself shows.
async fn a_list_shows_intros_in_full_when_asked(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| config.response_cache_mb = 0).await else {
        return;
    };
    let intro = "intro { ... on ParagraphBlock { text } }";
    let own = app
        .gql(
            &format!("query($s: String!) {{ article(slug: $s) {{ {intro} }} }}"),
            json!({ "s": COLUMN }),
        )
        .await;
    let expected = own.data()["article"]["intro"].clone();
    assert!(
        expected.as_array().is_some_and(|blocks| !blocks.is_empty()),
        "the sample column has an intro: {expected}"
    );
    let shapes = [
        format!("{{ articles(first: 100) {{ edges {{ node {{ slug {intro} }} }} }} }}"),
        format!("{{ articles(first: 100) {{ nodes {{ slug {intro} }} }} }}"),
        format!(
            "{{ articles(first: 100) {{ edges {{ node {{ ...Card }} }} }} }} fragment Card on Article {{ slug {intro} }}"
        ),
    ];
    for shape in &shapes {
        let listed = app.gql(shape, json!({})).await;
        assert!(listed.codes().is_empty(), "{shape}: {:?}", listed.codes());
        let list = &listed.data()["articles"];
        let nodes: Vec<Value> = match list.get("nodes") {
            Some(nodes) => nodes.as_array().cloned().unwrap_or_default(),
            None => list["edges"]
                .as_array()
                .map(|edges| edges.iter().map(|e| e["node"].clone()).collect())
                .unwrap_or_default(),
        };
        let column = nodes
            .iter()
            .find(|n| n["slug"] == json!(COLUMN))
            .unwrap_or_else(|| panic!("{shape}: the column is listed"));
        assert_eq!(column["intro"], expected, "{shape}");
    }
    let plain = app
        .gql("{ articles(first: 100) { edges { node { slug title } } } }", json!({}))
        .await;
    assert!(plain.codes().is_empty(), "a list without intros: {:?}", plain.codes());
}

/// More concurrent reads than pooled connections all get their answer: a
/// query holds one connection for its reads on PostgreSQL and never waits
/// for a second while holding it.
async fn concurrent_reads_beyond_the_pool_all_answer(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| {
        config.response_cache_mb = 0;
        config.db_max_connections = 2;
    })
    .await
    else {
        return;
    };
    let queries = [
        (
            "query($s: String!) { article(slug: $s) { title category { name } tags { name } \
             sections { heading claims { text references { reference { citation } } } } \
             contributors { supervisor { name } } } }",
            json!({ "s": COLUMN }),
        ),
        (
            "{ articles(first: 10) { totalCount edges { node { slug title category { name } tags { name } \
             contributors { supervisor { name } } } } } }",
            json!({}),
        ),
        (
            "query($c: String) { articles(first: 2, filter: { category: $c }) { totalCount nodes { slug } } }",
            json!({ "c": "anti-aging" }),
        ),
    ];
    let requests = (0..24).map(|i| {
        let (query, variables) = &queries[i % queries.len()];
        app.gql(query, variables.clone())
    });
    for (i, response) in futures_util::future::join_all(requests).await.into_iter().enumerate() {
        assert!(response.codes().is_empty(), "request {i}: {:?}", response.codes());
        assert_ne!(response.data(), &Value::Null, "request {i} has data");
    }
}

db_tests!(
    total_count_is_the_same_read_with_the_page_or_after_it,
    a_category_count_is_read_with_the_page,
    a_list_shows_intros_in_full_when_asked,
    concurrent_reads_beyond_the_pool_all_answer,
    cursors_page_through_times_before_1677_and_after_2262,
    the_import_refuses_times_outside_the_documented_range,
    list_page_statement_count_does_not_grow_with_page_size,
    published_articles_are_listed_newest_first_across_pages,
    filters_narrow_the_list,
    updated_order_serves_incremental_sync,
    pages_never_skip_or_repeat_articles_with_equal_timestamps,
    drafts_and_scheduled_articles_are_invisible,
    bad_paging_arguments_are_bad_user_input,
);

db_properties!(paging_visits_every_visible_article_once_in_order);
