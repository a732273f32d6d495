//! Relay object identification: every object a page shows has a global id,
//! and `node(id:)` / `nodes(ids:)` refetch exactly that object — or null
//! when it is not public.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::content::Bundle;
use api::graphql::node::{Kind, global_id};
use common::{Backend, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const COLUMN: &str = "exosome-effects-and-side-effects";

/// The column page with the id of everything on it.
const PAGE_IDS: &str = r#"query($slug: String!, $locale: Locale) {
  article(slug: $slug, locale: $locale) {
    __typename id slug
    category { __typename id slug }
    tags { __typename id slug }
    contributors { supervisor { __typename id slug } }
    allSections { __typename id anchor claims { __typename id text references { reference { __typename id key } } } }
    references { __typename id key }
  }
}"#;

/// What identifies each kind of object in an answer.
fn identity(object: &Value) -> (String, String) {
    let typename = object["__typename"].as_str().unwrap_or_default().to_owned();
    let field = match typename.as_str() {
        "Section" => "anchor",
        "Claim" => "text",
        "Reference" => "key",
        _ => "slug",
    };
    (typename, object[field].as_str().unwrap_or_default().to_owned())
}

/// Every object with an `id` in `value`, as (id, typename, identity).
fn objects(value: &Value, out: &mut Vec<(String, (String, String))>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(id)) = map.get("id") {
                out.push((id.clone(), identity(value)));
            }
            map.values().for_each(|v| objects(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| objects(v, out)),
        _ => {}
    }
}

const NODES: &str = r#"query($ids: [ID!]!, $locale: Locale) {
  nodes(ids: $ids, locale: $locale) {
    __typename id
    ... on Article { slug }
    ... on Section { anchor }
    ... on Claim { text }
    ... on Reference { key }
    ... on Supervisor { slug }
    ... on Category { slug }
    ... on Tag { slug }
  }
}"#;

async fn node_refetches_every_object_of_the_column_page(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let page = app.gql(PAGE_IDS, json!({ "slug": COLUMN, "locale": "en" })).await;
    let mut found = Vec::new();
    objects(page.data(), &mut found);
    found.sort();
    found.dedup();
    let kinds: std::collections::BTreeSet<&str> = found.iter().map(|(_, (t, _))| t.as_str()).collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "Article",
            "Category",
            "Claim",
            "Reference",
            "Section",
            "Supervisor",
            "Tag"
        ]
    );
    assert!(found.len() > 60, "{} objects", found.len());

    let ids: Vec<&String> = found.iter().map(|(id, _)| id).collect();
    let refetched = app.gql(NODES, json!({ "ids": ids, "locale": "en" })).await;
    let nodes = refetched.data()["nodes"].as_array().expect("nodes").clone();
    assert_eq!(nodes.len(), found.len());
    for ((id, expected), node) in found.iter().zip(&nodes) {
        assert_eq!(node["id"], id.as_str());
        assert_eq!(&identity(node), expected, "{id}");
    }

    // One by one as well, and the same ids in another locale.
    let one = app
        .gql(
            "query($id: ID!) { node(id: $id) { id ... on Article { title } } }",
            json!({ "id": found.iter().find(|(_, (t, _))| t == "Article").map(|(id, _)| id) }),
        )
        .await;
    assert_eq!(one.data()["node"]["title"], "エクソソームの効果と副作用を解説");
    let japanese = app.gql(PAGE_IDS, json!({ "slug": COLUMN, "locale": "ja" })).await;
    let mut found_ja = Vec::new();
    objects(japanese.data(), &mut found_ja);
    let ids_ja: std::collections::BTreeSet<&String> = found_ja.iter().map(|(id, _)| id).collect();
    assert_eq!(ids_ja, ids.iter().copied().collect(), "ids do not depend on the locale");

    // Global ids are the row's UUID under its type: stable as the row.
    let row = entity::article::Entity::find()
        .filter(entity::article::Column::Slug.eq(COLUMN))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the column");
    assert_eq!(
        page.data()["article"]["id"],
        global_id(Kind::Article, row.id).0.as_str()
    );
}

async fn node_is_null_for_hidden_objects_and_refuses_foreign_ids(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let hidden = r#"
categories:
  - { slug: future-series, source_locale: ja, name: { ja: 未発表の連載 } }
supervisors:
  - slug: engaged-doc
    source_locale: ja
    profile: { ja: { name: 依頼中の医師 } }
tags:
  - { slug: unannounced, source_locale: ja, name: { ja: 未発表 } }
references:
  - { key: hidden-study, kind: JOURNAL_ARTICLE, title: Cited only by a draft }
articles:
  - slug: hidden-draft
    category: future-series
    source_locale: ja
    status: DRAFT
    tags: [unannounced]
    contributors: [{ supervisor: engaged-doc, role: SUPERVISOR }]
    translations: { ja: { title: 下書き, lead: リード, status: DRAFT } }
    sections:
      - anchor: s
        heading: { ja: 節 }
        claims:
          - { kind: EFFICACY, evidence: PRECLINICAL, text: { ja: 主張 }, references: [{ ref: hidden-study }] }
"#;
    app.import(&Bundle::from_yaml(hidden).expect("parses"))
        .await
        .expect("imports");
    // A visible article (English published, Japanese a draft) whose section
    // `hidden` has Japanese text only: it and its child are not public.
    let partly = r#"
articles:
  - slug: partly-hidden
    category: regenerative-medicine
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-01T00:00:00Z
    translations:
      ja: { title: 下書き, lead: リード, status: DRAFT }
      en: { title: Public, lead: Lead, status: PUBLISHED }
    sections:
      - anchor: hidden
        heading: { ja: 日本語だけ }
        sections:
          - anchor: child
            heading: { ja: 子, en: Child }
            claims: [{ kind: MECHANISM, evidence: UNSUPPORTED, text: { ja: 主張, en: A claim } }]
"#;
    app.import(&Bundle::from_yaml(partly).expect("parses"))
        .await
        .expect("imports");
    let find_section = |anchor: &'static str| {
        let db = app.db.clone();
        async move {
            entity::section::Entity::find()
                .filter(entity::section::Column::Anchor.eq(anchor))
                .one(&db)
                .await
                .expect("query")
                .expect("the section")
        }
    };
    let hidden_parent = find_section("hidden").await;
    let child = find_section("child").await;
    let child_claim = entity::claim::Entity::find()
        .filter(entity::claim::Column::SectionId.eq(child.id))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the claim");
    let category = entity::category::Entity::find()
        .filter(entity::category::Column::Slug.eq("future-series"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the category");
    let engaged = entity::supervisor::Entity::find()
        .filter(entity::supervisor::Column::Slug.eq("engaged-doc"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the supervisor");
    let article = entity::article::Entity::find()
        .filter(entity::article::Column::Slug.eq("hidden-draft"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the draft");
    let section = entity::section::Entity::find()
        .filter(entity::section::Column::ArticleId.eq(article.id))
        .one(&app.db)
        .await
        .expect("query")
        .expect("its section");
    let claim = entity::claim::Entity::find()
        .filter(entity::claim::Column::SectionId.eq(section.id))
        .one(&app.db)
        .await
        .expect("query")
        .expect("its claim");
    let reference = entity::reference::Entity::find()
        .filter(entity::reference::Column::Key.eq("hidden-study"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the reference");
    let tag = entity::tag::Entity::find()
        .filter(entity::tag::Column::Slug.eq("unannounced"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the tag");
    let ids = [
        global_id(Kind::Article, article.id),
        global_id(Kind::Section, section.id),
        global_id(Kind::Claim, claim.id),
        global_id(Kind::Reference, reference.id),
        global_id(Kind::Tag, tag.id),
        global_id(Kind::Supervisor, uuid::Uuid::now_v7()),
        global_id(Kind::Category, category.id),
        global_id(Kind::Supervisor, engaged.id),
        global_id(Kind::Section, hidden_parent.id),
        global_id(Kind::Section, child.id),
        global_id(Kind::Claim, child_claim.id),
    ];
    let ids: Vec<&str> = ids.iter().map(|id| id.0.as_str()).collect();
    let response = app.gql(NODES, json!({ "ids": ids, "locale": "en" })).await;
    assert_eq!(response.data()["nodes"], json!(vec![Value::Null; ids.len()]));
    assert!(!response.text.contains("依頼中") && !response.text.contains("未発表"));
    // The same objects become public with their article: the English reader
    // of `partly-hidden` sees none of the hidden section, but the Japanese
    // text published would show both.
    let article = entity::article::Entity::find()
        .filter(entity::article::Column::Slug.eq("partly-hidden"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the article");
    let visible = app
        .gql(
            NODES,
            json!({ "ids": [global_id(Kind::Article, article.id).0], "locale": "en" }),
        )
        .await;
    assert_eq!(
        visible.data()["nodes"][0]["id"],
        global_id(Kind::Article, article.id).0.as_str()
    );

    for bad in [json!("not-an-id"), json!(article.id.to_string())] {
        let response = app
            .gql("query($id: ID!) { node(id: $id) { id } }", json!({ "id": bad }))
            .await;
        assert_eq!(response.codes(), ["BAD_USER_INPUT"], "{bad}");
    }
    let too_many: Vec<&str> = std::iter::repeat_n(ids[0], 101).collect();
    let response = app.gql(NODES, json!({ "ids": too_many })).await;
    assert_eq!(response.codes(), ["BAD_USER_INPUT"]);
    // The budget holds across aliases: 60 + 60 ids in one request.
    let sixty: Vec<&str> = std::iter::repeat_n(ids[0], 60).collect();
    let response = app
        .gql(
            "query($ids: [ID!]!) { a: nodes(ids: $ids) { id } b: nodes(ids: $ids) { id } }",
            json!({ "ids": sixty }),
        )
        .await;
    assert!(
        response.codes().contains(&"BAD_USER_INPUT".to_owned()),
        "{}",
        response.text
    );
}

async fn refetching_more_objects_costs_no_more_statements(backend: Backend) {
    // The cold path: every request executes.
    let Some(app) = TestApp::spawn_with(backend, |config| config.response_cache_mb = 0).await else {
        return;
    };
    let page = app.gql(PAGE_IDS, json!({ "slug": COLUMN })).await;
    let mut found = Vec::new();
    objects(page.data(), &mut found);
    found.sort();
    found.dedup();
    let ids: Vec<&String> = found.iter().map(|(id, _)| id).collect();
    // One object of each kind, then all of them.
    let mut one_of_each: Vec<&String> = Vec::new();
    let mut kinds = std::collections::HashSet::new();
    for (id, (kind, _)) in &found {
        if kinds.insert(kind.clone()) {
            one_of_each.push(id);
        }
    }
    assert_eq!(one_of_each.len(), 7);
    let mut counts = Vec::new();
    for some in [one_of_each, ids.clone()] {
        let before = app.statements().await;
        let response = app.gql(NODES, json!({ "ids": some })).await;
        assert!(
            response.data()["nodes"]
                .as_array()
                .is_some_and(|n| n.iter().all(|x| !x.is_null()))
        );
        counts.push(app.statements().await - before);
    }
    eprintln!("nodes: {counts:?} statements for 7 and {} ids ({backend:?})", ids.len());
    assert_eq!(counts[0], counts[1], "statements must not grow with the number of ids");
}

async fn dates_are_iso_8601(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let bundle = r#"
references:
  - { key: web-page, kind: WEBPAGE, title: A web page, url: "https://clinic.example/page", accessed_on: 2025-03-09, evidence: GUIDELINE }
articles:
  - slug: cites-a-web-page
    category: regenerative-medicine
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-03-10T00:00:00Z
    translations: { ja: { title: ウェブ, lead: リード, status: PUBLISHED } }
    sections:
      - anchor: s
        heading: { ja: 節 }
        claims:
          - { kind: PRACTICAL, evidence: GUIDELINE, text: { ja: 主張 }, references: [{ ref: web-page }] }
"#;
    app.import(&Bundle::from_yaml(bundle).expect("parses"))
        .await
        .expect("imports");
    let response = app
        .gql(
            r#"{ article(slug: "cites-a-web-page") { references { accessedOn } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        response.data()["article"]["references"],
        json!([{ "accessedOn": "2025-03-09" }])
    );
}

db_tests!(
    node_refetches_every_object_of_the_column_page,
    node_is_null_for_hidden_objects_and_refuses_foreign_ids,
    refetching_more_objects_costs_no_more_statements,
    dates_are_iso_8601,
);
