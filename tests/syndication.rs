//! Partner syndication: a partner key reads exactly what its licences
//! cover, and nothing tells it what lies beyond; the change feed gives
//! every caller upserts and tombstones that, replayed from the start, hold
//! exactly what it may read now; changes the clock makes (a scheduled first
//! publication, a licence's end) enter the feed when they happen.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use std::collections::BTreeSet;

use api::content::Bundle;
use api::editorial::audit::Actor;
use api::editorial::partners::{self, Covers, NewLicence};
use api::locale::Locale;
use chrono::{Duration, Utc};
use common::{Backend, TestApp};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Two categories that need no sign-off, and three articles: two in the
/// first, one in the second.
const CONTENT: &str = r#"
categories:
  - { slug: clinic-news, source_locale: ja, medical: false, name: { ja: お知らせ } }
  - { slug: clinic-events, source_locale: ja, medical: false, name: { ja: イベント } }
tags:
  - { slug: licensed-tag, source_locale: ja, name: { ja: 許諾 } }
  - { slug: hidden-tag, source_locale: ja, name: { ja: 非公開 } }
articles:
  - slug: licensed-one
    category: clinic-news
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-01T00:00:00Z
    tags: [licensed-tag]
    translations:
      ja: { title: 許諾一, lead: リード, status: PUBLISHED }
      en: { title: Licensed one, lead: Lead, status: PUBLISHED }
  - slug: other-news
    category: clinic-news
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-02T00:00:00Z
    translations:
      ja: { title: 他のお知らせ, lead: リード, status: PUBLISHED }
  - slug: event-only
    category: clinic-events
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-03T00:00:00Z
    tags: [hidden-tag]
    translations:
      ja: { title: イベント, lead: リード, status: PUBLISHED }
      en: { title: Event, lead: Lead, status: PUBLISHED }
"#;

fn locales(tags: &[&str]) -> Vec<Locale> {
    tags.iter().map(|t| Locale::parse(t).unwrap()).collect()
}

fn licence(partner: &str, covers: Covers, tags: &[&str]) -> NewLicence {
    NewLicence {
        partner: partner.to_owned(),
        covers,
        locales: locales(tags),
        starts_at: None,
        ends_at: None,
        attribution: format!("Courtesy of the clinic, for {partner}"),
        terms: "Republish unchanged, with attribution.".to_owned(),
        canonical_url_template: None,
    }
}

/// Creates partner `slug` and returns a key's token for it.
async fn partner(app: &TestApp, slug: &str) -> String {
    partners::create_partner(&app.db, Actor::CommandLine, slug, slug)
        .await
        .unwrap();
    api::editorial::auth::create_partner_key(&app.db, &format!("{slug} key"), slug)
        .await
        .unwrap()
        .1
}

async fn grant(app: &TestApp, new: NewLicence) -> uuid::Uuid {
    partners::grant(&app.db, &app.followers, Actor::CommandLine, new)
        .await
        .unwrap()
        .id
}

fn slugs(body: &Value, path: &[&str]) -> BTreeSet<String> {
    let mut node = &body["data"];
    for step in path {
        node = &node[step];
    }
    node.as_array()
        .unwrap_or_else(|| panic!("a list at {path:?}: {body:#}"))
        .iter()
        .map(|n| n["slug"].as_str().unwrap().to_owned())
        .collect()
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("none")
}

async fn a_partner_reads_exactly_what_its_licences_cover(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&Bundle::from_yaml(CONTENT).unwrap()).await.unwrap();
    let a = partner(&app, "partner-a").await;
    let b = partner(&app, "partner-b").await;
    grant(
        &app,
        licence("partner-a", Covers::Article("licensed-one".into()), &["ja"]),
    )
    .await;
    grant(
        &app,
        licence("partner-b", Covers::Category("clinic-events".into()), &["ja", "en"]),
    )
    .await;

    let list = "{ articles(first: 50) { totalCount nodes { slug availableLocales } } }";
    // The public reads all of them, the sample column included.
    let public = app.as_key(None, list, json!({})).await;
    assert!(slugs(&public, &["articles", "nodes"]).len() >= 4, "{public:#}");
    // Each partner its own, and the count is of its own.
    let seen_a = app.as_key(Some(&a), list, json!({})).await;
    assert_eq!(
        slugs(&seen_a, &["articles", "nodes"]),
        BTreeSet::from(["licensed-one".to_owned()])
    );
    assert_eq!(seen_a["data"]["articles"]["totalCount"], 1, "{seen_a:#}");
    assert_eq!(
        seen_a["data"]["articles"]["nodes"][0]["availableLocales"],
        json!(["ja"])
    );
    let seen_b = app.as_key(Some(&b), list, json!({})).await;
    assert_eq!(
        slugs(&seen_b, &["articles", "nodes"]),
        BTreeSet::from(["event-only".to_owned()])
    );
    let counted = app
        .as_key(
            Some(&a),
            r#"{ articles(first: 1, filter: { category: "clinic-news" }) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        counted["data"]["articles"]["totalCount"], 1,
        "a category's kept count is the public's: {counted:#}"
    );

    // Asking for an unlicensed locale finds nothing, and counts nothing.
    let english_only = app
        .as_key(
            Some(&a),
            r#"{ articles(first: 5, filter: { availableIn: "en" }) { totalCount nodes { slug } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        english_only["data"]["articles"],
        json!({ "totalCount": 0, "nodes": [] }),
        "{english_only:#}"
    );
    // An unlicensed locale falls back to the licensed one.
    let english = app
        .as_key(
            Some(&a),
            r#"{ article(slug: "licensed-one", locale: "en") { title locale isFallback } }"#,
            json!({}),
        )
        .await;
    assert_eq!(english["data"]["article"]["locale"], "ja", "{english:#}");
    assert_eq!(english["data"]["article"]["isFallback"], true);

    // B's article, and an article nobody has, look the same to A.
    for slug in ["event-only", "no-such-article"] {
        let body = app
            .as_key(
                Some(&a),
                "query($s: String!) { article(slug: $s) { title } }",
                json!({ "s": slug }),
            )
            .await;
        assert_eq!(code(&body), "NOT_FOUND", "{slug}: {body:#}");
        assert_eq!(body["data"]["article"], Value::Null);
        let message = body["errors"][0]["message"].as_str().unwrap().replace(slug, "SLUG");
        assert_eq!(message, "no article `SLUG`");
    }
    // By global id too, which the public can learn.
    let id = app
        .as_key(None, r#"{ article(slug: "event-only") { id } }"#, json!({}))
        .await["data"]["article"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let node = app
        .as_key(
            Some(&a),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(code(&node), "NOT_FOUND", "{node:#}");
    // The taxonomy shows only what A's articles use.
    let taxonomy = app
        .as_key(
            Some(&a),
            "{ categories { slug } tags { slug } supervisors { slug } }",
            json!({}),
        )
        .await;
    assert_eq!(
        slugs(&taxonomy, &["categories"]),
        BTreeSet::from(["clinic-news".to_owned()]),
        "{taxonomy:#}"
    );
    assert_eq!(slugs(&taxonomy, &["tags"]), BTreeSet::from(["licensed-tag".to_owned()]));
    assert!(slugs(&taxonomy, &["supervisors"]).is_empty(), "{taxonomy:#}");
    // A partner reads no drafts and no revisions.
    let revisions = app
        .as_key(
            Some(&a),
            r#"{ articleRevisions(slug: "event-only") { headRevision } }"#,
            json!({}),
        )
        .await;
    assert_eq!(code(&revisions), "NOT_FOUND", "{revisions:#}");

    // A public answer, cached, is not what a partner gets, nor the reverse.
    for _ in 0..2 {
        let again = app.as_key(Some(&a), list, json!({})).await;
        assert_eq!(again, seen_a);
        let again = app.as_key(None, list, json!({})).await;
        assert_eq!(again, public);
    }
}

/// Every event of the feed for `token`, from the start.
async fn replay(app: &TestApp, token: Option<&str>) -> (Vec<Value>, BTreeSet<(String, String)>) {
    let query = "query($after: String) { changes(after: $after, first: 7) { \
                 nodes { cursor type reason articleId locale article { id locale } } endCursor hasMore } }";
    let mut after = Value::Null;
    let mut events = Vec::new();
    let mut held = BTreeSet::new();
    loop {
        let body = app.as_key(token, query, json!({ "after": after })).await;
        let page = &body["data"]["changes"];
        assert!(page.is_object(), "{body:#}");
        for event in page["nodes"].as_array().unwrap() {
            let key = (
                event["articleId"].as_str().unwrap().to_owned(),
                event["locale"].as_str().unwrap().to_owned(),
            );
            match event["type"].as_str().unwrap() {
                "UPSERT" => {
                    held.insert(key);
                }
                "TOMBSTONE" => {
                    held.remove(&key);
                }
                other => panic!("type {other}"),
            }
            events.push(event.clone());
        }
        after = page["endCursor"].clone();
        if page["hasMore"] == false {
            return (events, held);
        }
    }
}

/// What `token` may read now, by the delivery queries.
async fn readable(app: &TestApp, token: Option<&str>) -> BTreeSet<(String, String)> {
    let body = app
        .as_key(
            token,
            "{ articles(first: 100) { nodes { id availableLocales } } }",
            json!({}),
        )
        .await;
    let mut out = BTreeSet::new();
    for node in body["data"]["articles"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body:#}"))
    {
        for locale in node["availableLocales"].as_array().unwrap() {
            out.insert((
                node["id"].as_str().unwrap().to_owned(),
                locale.as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

async fn licences_ending_or_revoked_leave_tombstones_at_that_time(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&Bundle::from_yaml(CONTENT).unwrap()).await.unwrap();
    let a = partner(&app, "partner-a").await;
    let mut ending = licence("partner-a", Covers::Category("clinic-events".into()), &["ja", "en"]);
    let end = Utc::now() + Duration::hours(1);
    ending.ends_at = Some(end);
    grant(&app, ending).await;
    let revoked = grant(
        &app,
        licence("partner-a", Covers::Article("licensed-one".into()), &["en"]),
    )
    .await;
    let (_, held) = replay(&app, Some(&a)).await;
    assert_eq!(held, readable(&app, Some(&a)).await);
    assert_eq!(held.len(), 3, "event-only in ja and en, licensed-one in en: {held:?}");

    // Before its date, the clock logs nothing for the licence.
    let logged = api::store::due::log_due(&app.db, &app.followers, end - Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(logged.ended, 0);
    let (events, _) = replay(&app, Some(&a)).await;
    assert!(events.iter().all(|e| e["type"] == "UPSERT"), "{events:#?}");
    // At its date, the end is logged once, as tombstones for what it covered.
    let logged = api::store::due::log_due(&app.db, &app.followers, end).await.unwrap();
    assert_eq!(logged.ended, 1);
    let logged = api::store::due::log_due(&app.db, &app.followers, end).await.unwrap();
    assert_eq!(logged.ended, 0, "logged once");
    let (events, held) = replay(&app, Some(&a)).await;
    let ended: Vec<&Value> = events.iter().filter(|e| e["reason"] == "LICENCE_ENDED").collect();
    assert_eq!(ended.len(), 2, "{events:#?}");
    assert!(ended.iter().all(|e| e["type"] == "TOMBSTONE" && e["article"].is_null()));
    assert_eq!(held.len(), 1, "{held:?}");

    partners::revoke(&app.db, &app.followers, Actor::CommandLine, revoked)
        .await
        .unwrap();
    let (events, held) = replay(&app, Some(&a)).await;
    let last = events.last().unwrap();
    assert_eq!(
        (last["type"].as_str(), last["reason"].as_str()),
        (Some("TOMBSTONE"), Some("LICENCE_REVOKED"))
    );
    assert!(held.is_empty(), "{held:?}");
    // The delivery queries go by the wall clock, which has not reached the
    // end date this test logged: the category licence still reads there.
    let now = readable(&app, Some(&a)).await;
    assert_eq!(now.len(), 2, "event-only, licensed-one gone: {now:?}");
    // The public's feed never mentioned the licences.
    let (public, held) = replay(&app, None).await;
    assert!(public.iter().all(|e| e["type"] == "UPSERT"), "{public:#?}");
    assert_eq!(held, readable(&app, None).await);
}

async fn a_scheduled_first_publication_enters_the_feed_when_it_goes_public(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let at = Utc::now() + Duration::hours(2);
    let scheduled = CONTENT.replace(
        "published_at: 2025-01-03T00:00:00Z",
        &format!("published_at: {}", at.to_rfc3339()),
    );
    app.import(&Bundle::from_yaml(&scheduled).unwrap()).await.unwrap();
    let (before, held) = replay(&app, None).await;
    assert_eq!(held, readable(&app, None).await, "the scheduled article is in neither");
    // Nor in the cursor the feed hands out: it names a position only.
    let scheduled_id = stored(&app, "event-only").await.unwrap().id.simple().to_string();
    let cursor = app
        .as_key(None, "{ changes(first: 1000) { endCursor } }", json!({}))
        .await["data"]["changes"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&cursor)
        .unwrap();
    assert!(!String::from_utf8_lossy(&decoded).contains(&scheduled_id), "{cursor}");
    let logged = api::store::due::log_due(&app.db, &app.followers, at - Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(logged.published, 0, "not before its time");
    let logged = api::store::due::log_due(&app.db, &app.followers, at).await.unwrap();
    assert_eq!(logged.published, 1, "at its time");
    let (after, _) = replay(&app, None).await;
    assert_eq!(
        after.len(),
        before.len() + 2,
        "ja and en of event-only: {before:#?} {after:#?}"
    );
    let new: Vec<&Value> = after[before.len()..].iter().collect();
    let stored = stored(&app, "event-only").await.unwrap();
    let id = json!(api::delivery::ids::global_id(
        api::delivery::ids::Kind::Article,
        stored.id
    ));
    // The delivery queries go by the wall clock, two hours short of the
    // time this test logged: `article` is null until then.
    assert!(
        new.iter().all(|e| e["type"] == "UPSERT" && e["articleId"] == id),
        "{new:#?}"
    );
    let change = api::store::changes::after(&app.db, 0, 10_000).await.unwrap();
    assert_eq!(change.last().unwrap().kind, "CLOCK", "logged by the clock job");
}

/// One step of a random history.
#[derive(Debug, Clone)]
enum Step {
    /// Creates article `article` (once) in category `category`, published,
    /// with its English translation published or a draft.
    Create {
        article: usize,
        category: usize,
        english: bool,
    },
    /// Archives it, if published.
    Archive { article: usize },
    /// Publishes it again, if archived.
    Republish { article: usize },
    /// Publishes or withdraws its English translation.
    English { article: usize, publish: bool },
    /// Moves it to category `category` and publishes that revision.
    Move { article: usize, category: usize },
    /// Grants partner `partner` a licence to a category or an article.
    Grant {
        partner: usize,
        category: Option<usize>,
        article: usize,
        english: bool,
        japanese: bool,
    },
    /// Revokes the `which`-th licence granted so far, if any.
    Revoke { which: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize, 0..2usize, any::<bool>())
            .prop_map(|(article, category, english)| Step::Create { article, category, english }),
        1 => (0..3usize).prop_map(|article| Step::Archive { article }),
        1 => (0..3usize).prop_map(|article| Step::Republish { article }),
        1 => (0..3usize, any::<bool>()).prop_map(|(article, publish)| Step::English { article, publish }),
        1 => (0..3usize, 0..2usize).prop_map(|(article, category)| Step::Move { article, category }),
        2 => (0..2usize, proptest::option::of(0..2usize), 0..3usize, any::<bool>(), any::<bool>())
            .prop_map(|(partner, category, article, english, japanese)| Step::Grant { partner, category, article, english, japanese }),
        1 => (0..8usize).prop_map(|which| Step::Revoke { which }),
    ]
}

fn article_doc(case: usize, article: usize, category: usize, english: bool) -> String {
    format!(
        r#"
articles:
  - slug: c{case}-a{article}
    category: c{case}-k{category}
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-01T00:00:00Z
    translations:
      ja: {{ title: 記事{article}, lead: リード, status: PUBLISHED }}
      en: {{ title: Article {article}, lead: Lead, status: {en} }}
"#,
        en = if english { "PUBLISHED" } else { "DRAFT" },
    )
}

/// Article `slug` as stored, if it exists.
async fn stored(app: &TestApp, slug: &str) -> Option<entity::article::Model> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entity::article::Entity::find()
        .filter(entity::article::Column::Slug.eq(slug))
        .filter(entity::article::Column::DraftOf.is_null())
        .one(&app.db)
        .await
        .unwrap()
}

/// Runs an ADMIN mutation that must succeed.
async fn admin(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let body = app.as_key(Some(token), query, variables).await;
    assert!(body.get("errors").is_none(), "{query}: {body:#}");
    body
}

/// Applies `step` of case `case`; `granted` holds the licences so far.
async fn apply(app: &TestApp, token: &str, case: usize, step: &Step, granted: &mut Vec<uuid::Uuid>) {
    let slug = |article: &usize| format!("c{case}-a{article}");
    let step_input =
        |found: &entity::article::Model| json!({ "input": { "slug": found.slug, "revision": found.head_revision } });
    match step {
        Step::Create {
            article,
            category,
            english,
        } => {
            if stored(app, &slug(article)).await.is_none() {
                let doc = article_doc(case, *article, *category, *english);
                app.import(&Bundle::from_yaml(&doc).unwrap()).await.unwrap();
            }
        }
        Step::Archive { article } => {
            if let Some(found) = stored(app, &slug(article))
                .await
                .filter(|a| a.status == entity::enums::Status::Published)
            {
                admin(
                    app,
                    token,
                    "mutation($input: StepInput!) { archive(input: $input) { status } }",
                    step_input(&found),
                )
                .await;
            }
        }
        Step::Republish { article } => {
            if let Some(found) = stored(app, &slug(article))
                .await
                .filter(|a| a.status == entity::enums::Status::Archived)
            {
                admin(
                    app,
                    token,
                    "mutation($input: PublishInput!) { publish(input: $input) { status } }",
                    step_input(&found),
                )
                .await;
            }
        }
        Step::English { article, publish } => {
            if let Some(found) = stored(app, &slug(article))
                .await
                .filter(|a| a.status == entity::enums::Status::Published)
            {
                let field = if *publish {
                    "publishTranslation"
                } else {
                    "withdrawTranslation"
                };
                let mut input = step_input(&found);
                input["input"]["locale"] = json!("en");
                admin(
                    app,
                    token,
                    &format!("mutation($input: TranslationStepInput!) {{ {field}(input: $input) {{ status }} }}"),
                    input,
                )
                .await;
            }
        }
        Step::Move { article, category } => {
            if let Some(found) = stored(app, &slug(article))
                .await
                .filter(|a| a.status == entity::enums::Status::Published)
            {
                let doc = admin(
                    app,
                    token,
                    "query($s: String!, $n: Int!) { articleRevision(slug: $s, number: $n) }",
                    json!({ "s": found.slug, "n": found.head_revision }),
                )
                .await["data"]["articleRevision"]
                    .clone();
                let mut doc = doc;
                let target = json!(format!("c{case}-k{category}"));
                if doc["category"] == target {
                    return;
                }
                doc["category"] = target;
                let saved = admin(
                    app,
                    token,
                    "mutation($input: SaveArticleInput!) { saveArticle(input: $input) { revision } }",
                    json!({ "input": { "slug": found.slug, "baseRevision": found.head_revision, "document": doc } }),
                )
                .await;
                let revision = saved["data"]["saveArticle"]["revision"].clone();
                admin(
                    app,
                    token,
                    "mutation($input: PublishInput!) { publish(input: $input) { status } }",
                    json!({ "input": { "slug": found.slug, "revision": revision } }),
                )
                .await;
            }
        }
        Step::Grant {
            partner,
            category,
            article,
            english,
            japanese,
        } => {
            let mut tags = Vec::new();
            if *japanese || !*english {
                tags.push("ja");
            }
            if *english {
                tags.push("en");
            }
            let covers = match category {
                Some(c) => Covers::Category(format!("c{case}-k{c}")),
                None if stored(app, &slug(article)).await.is_some() => Covers::Article(slug(article)),
                None => return,
            };
            granted.push(grant(app, licence(&format!("c{case}-p{partner}"), covers, &tags)).await);
        }
        Step::Revoke { which } => {
            if let Some(id) = granted.get(*which) {
                partners::revoke(&app.db, &app.followers, Actor::CommandLine, *id)
                    .await
                    .unwrap();
            }
        }
    }
}

fn replaying_the_feed_holds_exactly_what_each_caller_may_read(backend: Backend) {
    common::property(
        backend,
        16,
        proptest::collection::vec(step(), 1..16),
        async |app, case, steps| {
            let categories = format!(
                "categories:\n  - {{ slug: c{case}-k0, source_locale: ja, medical: false, name: {{ ja: 零 }} }}\n  \
             - {{ slug: c{case}-k1, source_locale: ja, medical: false, name: {{ ja: 一 }} }}\n"
            );
            app.import(&Bundle::from_yaml(&categories).unwrap()).await.unwrap();
            let (_, token) =
                api::editorial::auth::create_key(&app.db, entity::enums::Role::Admin, &format!("admin {case}"))
                    .await
                    .unwrap();
            let mut tokens = Vec::new();
            for p in 0..2 {
                tokens.push(partner(app, &format!("c{case}-p{p}")).await);
            }
            let mut granted = Vec::new();
            for step in &steps {
                apply(app, &token, case, step, &mut granted).await;
            }
            let (_, public) = replay(app, None).await;
            assert_eq!(public, readable(app, None).await, "public, after {steps:?}");
            for token in &tokens {
                let (_, held) = replay(app, Some(token)).await;
                assert_eq!(held, readable(app, Some(token)).await, "partner, after {steps:?}");
            }
        },
    );
}

async fn admins_manage_partners_and_partners_their_own_endpoints(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| config.webhooks = false).await else {
        return;
    };
    app.import(&Bundle::from_yaml(CONTENT).unwrap()).await.unwrap();
    let (_, admin) = api::editorial::auth::create_key(&app.db, entity::enums::Role::Admin, "admin")
        .await
        .unwrap();
    let ok = |body: Value| {
        assert!(body.get("errors").is_none(), "{body:#}");
        body["data"].clone()
    };
    ok(app
        .as_key(
            Some(&admin),
            r#"mutation { createPartner(slug: "over-api", name: "Over the API") { slug } }"#,
            json!({}),
        )
        .await);
    let granted = ok(app
        .as_key(
            Some(&admin),
            r#"mutation { grantLicense(input: { partner: "over-api", category: "clinic-news", locales: ["ja"],
                 attribution: "Courtesy", validUntil: "2099-01-01T00:00:00Z" }) { id category locales validUntil } }"#,
            json!({}),
        )
        .await);
    assert_eq!(granted["grantLicense"]["category"], "clinic-news");
    let (_, token) = api::editorial::auth::create_partner_key(&app.db, "over-api key", "over-api")
        .await
        .unwrap();
    let listed = app
        .as_key(Some(&token), "{ articles(first: 10) { nodes { slug } } }", json!({}))
        .await;
    assert_eq!(slugs(&listed, &["articles", "nodes"]).len(), 2, "{listed:#}");
    // The partner registers its own endpoint, on the public internet only.
    let refused = app
        .as_key(
            Some(&token),
            r#"mutation { registerWebhook(url: "http://127.0.0.1:9/x", allowPrivateNetwork: true) { secret } }"#,
            json!({}),
        )
        .await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused:#}");
    let registered = ok(app
        .as_key(
            Some(&token),
            r#"mutation { registerWebhook(url: "https://partner.example/hooks") { secret endpoint { id url } } }"#,
            json!({}),
        )
        .await);
    assert!(
        registered["registerWebhook"]["secret"]
            .as_str()
            .unwrap()
            .starts_with("whsec_")
    );
    let own = ok(app
        .as_key(Some(&token), "{ webhookEndpoints { url } }", json!({}))
        .await);
    assert_eq!(
        own["webhookEndpoints"],
        json!([{ "url": "https://partner.example/hooks" }])
    );
    // Another partner cannot touch it, nor tell it exists.
    let other = partner(&app, "other-partner").await;
    let id = registered["registerWebhook"]["endpoint"]["id"].clone();
    let foreign = app
        .as_key(
            Some(&other),
            "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(code(&foreign), "NOT_FOUND", "{foreign:#}");
    let none = app
        .as_key(
            Some(&other),
            "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }",
            json!({ "id": uuid::Uuid::now_v7().to_string() }),
        )
        .await;
    assert_eq!(
        foreign["errors"][0]["message"].as_str().map(|m| m.len()),
        none["errors"][0]["message"].as_str().map(|m| m.len())
    );
    assert!(
        ok(app
            .as_key(Some(&other), "{ webhookEndpoints { url } }", json!({}))
            .await)["webhookEndpoints"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Partners' management is an ADMIN's: a partner is told nothing of it.
    let listing = app.as_key(Some(&token), "{ partners { slug } }", json!({})).await;
    assert_eq!(code(&listing), "NOT_FOUND", "{listing:#}");
    let revoked = ok(app
        .as_key(
            Some(&admin),
            "mutation($id: ID!) { revokeLicense(id: $id) { revokedAt } }",
            json!({ "id": granted["grantLicense"]["id"] }),
        )
        .await);
    assert!(revoked["revokeLicense"]["revokedAt"].is_string());
    let listed = app
        .as_key(Some(&token), "{ articles(first: 10) { nodes { slug } } }", json!({}))
        .await;
    assert!(slugs(&listed, &["articles", "nodes"]).is_empty());
}

async fn ids_stay_stable_across_revisions(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| config.webhooks = false).await else {
        return;
    };
    let doc = r#"
categories:
  - { slug: clinic-news, source_locale: ja, medical: false, name: { ja: お知らせ } }
articles:
  - slug: claimed
    category: clinic-news
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-01T00:00:00Z
    translations:
      ja: { title: 主張, lead: リード, status: PUBLISHED }
    sections:
      - anchor: body
        heading: { ja: 本文 }
        blocks: { ja: [{ type: paragraph, text: 段落 }] }
        claims:
          - { kind: PRACTICAL, evidence: EXPERT_OPINION, text: { ja: 一つ目の主張 } }
          - { kind: PRACTICAL, evidence: EXPERT_OPINION, text: { ja: 二つ目の主張 } }
"#;
    app.import(&Bundle::from_yaml(doc).unwrap()).await.unwrap();
    let (_, admin) = api::editorial::auth::create_key(&app.db, entity::enums::Role::Admin, "admin")
        .await
        .unwrap();
    let ids = |body: &Value| -> Vec<String> {
        body["data"]["article"]["claims"]
            .as_array()
            .unwrap_or_else(|| panic!("{body:#}"))
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let read = r#"{ article(slug: "claimed") { id revision sections { id } claims { id text } } }"#;
    let before = app.as_key(None, read, json!({})).await;
    // A new revision rewrites the second claim and adds a third.
    let mut document = app
        .as_key(
            Some(&admin),
            r#"{ articleRevision(slug: "claimed", number: 1) }"#,
            json!({}),
        )
        .await["data"]["articleRevision"]
        .clone();
    let claims = document["sections"][0]["claims"].as_array_mut().unwrap();
    claims[1]["text"]["ja"] = json!("書き直した二つ目の主張");
    claims.push(json!({ "kind": "PRACTICAL", "evidence": "EXPERT_OPINION", "text": { "ja": "三つ目の主張" } }));
    let saved = app
        .as_key(
            Some(&admin),
            "mutation($input: SaveArticleInput!) { saveArticle(input: $input) { revision } }",
            json!({ "input": { "slug": "claimed", "baseRevision": 1, "document": document } }),
        )
        .await;
    let revision = saved["data"]["saveArticle"]["revision"].clone();
    assert_eq!(revision, 2, "{saved:#}");
    let published = app
        .as_key(
            Some(&admin),
            "mutation($input: PublishInput!) { publish(input: $input) { revision } }",
            json!({ "input": { "slug": "claimed", "revision": revision } }),
        )
        .await;
    assert!(published.get("errors").is_none(), "{published:#}");
    let after = app.as_key(None, read, json!({})).await;
    assert_eq!(after["data"]["article"]["revision"], 2);
    assert_eq!(after["data"]["article"]["id"], before["data"]["article"]["id"]);
    assert_eq!(
        after["data"]["article"]["sections"],
        before["data"]["article"]["sections"]
    );
    let (old, new) = (ids(&before), ids(&after));
    assert_eq!(new.len(), 3);
    assert_eq!(
        new[..2],
        old[..],
        "the two claims keep their ids, the rewritten one too"
    );
    assert!(!old.contains(&new[2]));
    assert_eq!(after["data"]["article"]["claims"][1]["text"], "書き直した二つ目の主張");
}

db_tests!(
    ids_stay_stable_across_revisions,
    admins_manage_partners_and_partners_their_own_endpoints,
    a_partner_reads_exactly_what_its_licences_cover,
    licences_ending_or_revoked_leave_tombstones_at_that_time,
    a_scheduled_first_publication_enters_the_feed_when_it_goes_public,
);

db_properties!(replaying_the_feed_holds_exactly_what_each_caller_may_read);
