//! Article lists: Relay connections with keyset cursors, filters and orders;
//! only published content is ever visible.

mod common;

use api::content::Bundle;
use api::content::import::import;
use common::{Backend, TestApp};
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
        [ANTI_AGING, LAW, COLUMN]
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
    import(&app.db, &bundle).await.expect("imports");
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

async fn drafts_and_scheduled_articles_are_invisible(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let scheduled = Bundle::from_yaml(
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
    .expect("bundle parses");
    import(&app.db, &scheduled).await.expect("imports");
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

    let page = list(&app, json!({ "first": 1 })).await;
    let cursor = page["pageInfo"]["endCursor"].clone();
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
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    import(&app.db, &simultaneous(12)).await.expect("imports");
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
}

db_tests!(
    list_page_statement_count_does_not_grow_with_page_size,
    published_articles_are_listed_newest_first_across_pages,
    filters_narrow_the_list,
    updated_order_serves_incremental_sync,
    pages_never_skip_or_repeat_articles_with_equal_timestamps,
    drafts_and_scheduled_articles_are_invisible,
    bad_paging_arguments_are_bad_user_input,
);
