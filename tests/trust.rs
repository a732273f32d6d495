//! The holes an independent review found, each closed: an EDITOR cannot
//! take an article out of its sign-off or put another name on one; a
//! cached list drops what an archive hides, by the keys a CDN purges by;
//! a key's persisted document is not the public's; `/metrics` names no
//! editor's operation and can be closed; failed authentications are
//! limited per address; and every audit entry says what changed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::editorial::auth;
use common::{Backend, TestApp, first_code as code};
use entity::enums::Role;
use serde_json::{Value, json};

const COLUMN: &str = "exosome-effects-and-side-effects";

/// Sends `field(input: { document, reason })` of the entity mutations.
async fn save_entity(app: &TestApp, token: &str, field: &str, document: Value, reason: Option<&str>) -> Value {
    let query = format!("mutation($input: SaveEntityInput!) {{ {field}(input: $input) {{ kind key created }} }}");
    app.as_key(
        Some(token),
        &query,
        json!({ "input": { "document": document, "reason": reason } }),
    )
    .await
}

/// The newest revision of `slug` as a document.
async fn document(app: &TestApp, token: &str, slug: &str, number: i32) -> Value {
    let body = app
        .as_key(
            Some(token),
            "query($s: String!, $n: Int!) { articleRevision(slug: $s, number: $n) }",
            json!({ "s": slug, "n": number }),
        )
        .await;
    body["data"]["articleRevision"].clone()
}

async fn save_article(app: &TestApp, token: &str, slug: &str, base: i32, doc: &Value, note: Option<&str>) -> Value {
    app.as_key(
        Some(token),
        "mutation($input: SaveArticleInput!) { saveArticle(input: $input) { revision } }",
        json!({ "input": { "slug": slug, "baseRevision": base, "document": doc, "note": note } }),
    )
    .await
}

async fn audit(app: &TestApp, admin: &str) -> Vec<Value> {
    let log = app
        .as_key(
            Some(admin),
            "{ auditLog(first: 200) { actor action target detail } }",
            json!({}),
        )
        .await;
    log["data"]["auditLog"].as_array().cloned().unwrap_or_default()
}

/// A category that needs no sign-off, in the test database.
const NEWS: &str = r#"
categories:
  - { slug: clinic-news, source_locale: ja, medical: false, name: { ja: お知らせ } }
"#;

async fn an_editor_cannot_take_an_article_out_of_its_sign_off(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, editor) = auth::create_key(&app.db, Role::Editor, "desk").await.expect("key");
    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");

    // No new category that publishes without a physician.
    let news = json!({ "slug": "no-doctor-needed", "source_locale": "ja", "medical": false, "name": { "ja": "雑記" } });
    let refused = save_entity(&app, &editor, "saveCategory", news.clone(), Some("just news")).await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused:#}");
    // Nor a flag flipped on the column's own category.
    let flipped = json!({ "slug": "regenerative-medicine", "source_locale": "ja", "medical": false,
                          "name": { "ja": "再生医療コラム", "en": "Regenerative Medicine Column" } });
    assert_eq!(
        code(&save_entity(&app, &editor, "saveCategory", flipped, Some("x")).await),
        "FORBIDDEN"
    );

    // A category that needs none exists (an ADMIN made it); moving the
    // published, signed-off column into it is still not an editor's call.
    app.import(&api::content::Bundle::from_yaml(NEWS).expect("parses"))
        .await
        .expect("imports");
    let mut moved = document(&app, &editor, COLUMN, 1).await;
    moved["category"] = json!("clinic-news");
    moved["sections"][0]["heading"]["ja"] = json!("署名のない改訂");
    let refused = save_article(&app, &editor, COLUMN, 1, &moved, Some("tidy")).await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused:#}");
    // An ADMIN may, but only saying why.
    let unexplained = save_article(&app, &admin, COLUMN, 1, &moved, None).await;
    assert_eq!(code(&unexplained), "BAD_USER_INPUT", "{unexplained:#}");
    let page = app
        .as_key(
            None,
            r#"{ article(slug: "exosome-effects-and-side-effects") { revision category { slug } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        page["data"]["article"],
        json!({ "revision": 1, "category": { "slug": "regenerative-medicine" } }),
        "nothing refused was saved"
    );
    let saved = save_article(
        &app,
        &admin,
        COLUMN,
        1,
        &moved,
        Some("the clinic's notice, not medicine"),
    )
    .await;
    assert_eq!(saved["data"]["saveArticle"]["revision"], 2, "{saved:#}");
    let entries = audit(&app, &admin).await;
    let move_entry = entries
        .iter()
        .find(|e| e["action"] == "CATEGORY_MOVE")
        .expect("the move is audited");
    let detail = move_entry["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("category `regenerative-medicine` → `clinic-news` (medical → not medical)")
            && detail.contains("reason: the clinic's notice, not medicine"),
        "{detail}"
    );
    assert_eq!(move_entry["actor"], "ops");
}

async fn an_editor_cannot_rename_a_physician_and_a_changed_profile_covers_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    common::supervised_by_fiction(&app, COLUMN).await;
    let (_, editor) = auth::create_key(&app.db, Role::Editor, "desk").await.expect("key");
    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");
    let physician = common::physician_key(&app, "Dr. Mihon").await;
    let read = r#"{ article(slug: "exosome-effects-and-side-effects", locale: "ja") {
        reviewedBySupervisor
        contributors { profileConfirmed signedOffProfileRevision supervisor { name profileRevision qualifications { name } } }
    } }"#;
    let signed = app
        .as_key(
            Some(&physician),
            "mutation($i: SignOffInput!) { signOff(input: $i) { revision profileRevision } }",
            json!({ "i": { "slug": COLUMN, "revision": 1, "locales": ["ja"], "claims": false } }),
        )
        .await;
    assert_eq!(
        signed["data"]["signOff"],
        json!({ "revision": 1, "profileRevision": 1 }),
        "{signed:#}"
    );
    let before = app.as_key(None, read, json!({})).await;
    assert_eq!(before["data"]["article"]["reviewedBySupervisor"], true);
    // An answer that names nobody but says the text was reviewed: cached.
    let flag = r#"{ article(slug: "exosome-effects-and-side-effects", locale: "ja") { reviewedBySupervisor } }"#;
    for _ in 0..2 {
        assert_eq!(
            app.as_key(None, flag, json!({})).await["data"]["article"]["reviewedBySupervisor"],
            true
        );
    }
    assert_eq!(before["data"]["article"]["contributors"][0]["profileConfirmed"], true);
    assert_eq!(
        before["data"]["article"]["contributors"][0]["signedOffProfileRevision"],
        1
    );

    let renamed = json!({
        "slug": common::PHYSICIAN, "source_locale": "ja",
        "profile": { "ja": { "name": "別人太郎", "affiliation": "Kiji見本クリニック（架空）" } },
        "qualifications": [{ "kind": "BOARD_CERTIFICATION", "name": { "ja": "架空の学会認定専門医" } }],
    });
    // An editor may not put another name or invented qualifications on
    // her sign-off.
    let refused = save_entity(&app, &editor, "saveSupervisor", renamed.clone(), Some("typo")).await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused:#}");
    assert_eq!(
        app.as_key(None, read, json!({})).await,
        before,
        "nothing refused was saved"
    );
    // Nor a biography, which can claim credentials as well as a
    // qualification can.
    let bundle = api::content::sample::bundle().expect("sample");
    let mut doc = serde_json::to_value(
        bundle
            .supervisors
            .iter()
            .find(|s| s.slug == common::PHYSICIAN)
            .expect("the fictional physician"),
    )
    .expect("serializes");
    let kept_bio = doc["profile"]["ja"]["bio"].clone();
    doc["profile"]["ja"]["bio"] = json!("架空の医師です。日本一の名医として知られる。");
    let bio = save_entity(&app, &editor, "saveSupervisor", doc.clone(), None).await;
    assert_eq!(code(&bio), "FORBIDDEN", "{bio:#}");
    // Whether she is listed before any article uses her is an editor's call.
    doc["profile"]["ja"]["bio"] = kept_bio;
    doc["public"] = json!(true);
    let listed = save_entity(&app, &editor, "saveSupervisor", doc, None).await;
    assert_eq!(listed["data"]["saveSupervisor"]["created"], false, "{listed:#}");
    let profile = app.as_key(None, read, json!({})).await;
    assert_eq!(profile["data"]["article"]["reviewedBySupervisor"], true, "{profile:#}");

    // An ADMIN may change who she is, with a reason; it is a new profile
    // revision, and her sign-off covers nothing until she confirms it.
    let changed = save_entity(&app, &admin, "saveSupervisor", renamed, Some("registry correction")).await;
    assert_eq!(changed["data"]["saveSupervisor"]["created"], false, "{changed:#}");
    assert_eq!(
        app.as_key(None, flag, json!({})).await["data"]["article"]["reviewedBySupervisor"],
        false,
        "the cached answer went with the profile change"
    );
    let after = app.as_key(None, read, json!({})).await;
    let article = &after["data"]["article"];
    assert_eq!(article["reviewedBySupervisor"], false, "{after:#}");
    assert_eq!(article["contributors"][0]["profileConfirmed"], false);
    assert_eq!(article["contributors"][0]["supervisor"]["name"], "別人太郎");
    assert_eq!(article["contributors"][0]["supervisor"]["profileRevision"], 2);
    let entries = audit(&app, &admin).await;
    let replace = entries
        .iter()
        .find(|e| e["action"] == "REPLACE" && e["target"] == "supervisor:hanako-mihon" && e["actor"] == "ops")
        .expect("the change is audited");
    let detail = replace["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("profile.ja.name: \"見本花子\" → \"別人太郎\"")
            && detail.contains("reason: registry correction"),
        "before and after: {detail}"
    );

    // A sign-off shown the old profile does not confirm the new one.
    let stale_sign = app
        .as_key(
            Some(&physician),
            "mutation($i: SignOffInput!) { signOff(input: $i) { revision } }",
            json!({ "i": { "slug": COLUMN, "revision": 1, "locales": ["ja"], "claims": false, "profileRevision": 1 } }),
        )
        .await;
    assert_eq!(code(&stale_sign), "CONFLICT", "{stale_sign:#}");
    let unseen = app
        .as_key(
            Some(&physician),
            "mutation($i: SignOffInput!) { signOff(input: $i) { revision } }",
            json!({ "i": { "slug": COLUMN, "revision": 1, "locales": ["ja"], "claims": false } }),
        )
        .await;
    assert_eq!(unseen["data"]["signOff"]["revision"], 1, "{unseen:#}");
    assert_eq!(
        app.as_key(None, read, json!({})).await["data"]["article"]["reviewedBySupervisor"],
        false,
        "a sign-off that names no profile revision confirms none"
    );
    // Her key confirms the profile she reads, and only that one.
    let confirm = "mutation($i: ConfirmProfileInput!) { confirmProfile(input: $i) { slug revision } }";
    let stale = app
        .as_key(Some(&physician), confirm, json!({ "i": { "revision": 1 } }))
        .await;
    assert_eq!(code(&stale), "CONFLICT", "{stale:#}");
    assert_eq!(stale["errors"][0]["extensions"]["currentRevision"], 2);
    assert_eq!(
        code(
            &app.as_key(Some(&editor), confirm, json!({ "i": { "revision": 2 } }))
                .await
        ),
        "FORBIDDEN"
    );
    let confirmed = app
        .as_key(Some(&physician), confirm, json!({ "i": { "revision": 2 } }))
        .await;
    assert_eq!(confirmed["data"]["confirmProfile"]["revision"], 2, "{confirmed:#}");
    let now = app.as_key(None, read, json!({})).await;
    assert_eq!(now["data"]["article"]["reviewedBySupervisor"], true, "{now:#}");
    assert_eq!(now["data"]["article"]["contributors"][0]["profileConfirmed"], true);
}

/// Two physicians for one article.
const TWO_PHYSICIANS: &str = r#"
supervisors:
  - slug: second-physician
    source_locale: ja
    profile: { ja: { name: 架空次郎 } }
articles:
  - slug: two-physicians
    category: regenerative-medicine
    source_locale: ja
    status: DRAFT
    contributors:
      - { supervisor: hanako-mihon, role: SUPERVISOR }
      - { supervisor: second-physician, role: SUPERVISOR }
    translations:
      ja: { title: 二人の監修, lead: リード, status: DRAFT }
    sections:
      - anchor: body
        heading: { ja: 本文 }
"#;

async fn a_physician_is_not_listed_on_a_revision_they_did_not_sign(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&api::content::Bundle::from_yaml(TWO_PHYSICIANS).expect("parses"))
        .await
        .expect("imports");
    let (_, editor) = auth::create_key(&app.db, Role::Editor, "desk").await.expect("key");
    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");
    let first = common::physician_key(&app, "Dr. Mihon").await;
    let (_, second) = auth::create_key_for(&app.db, Role::Supervisor, "Dr. Two", Some("second-physician"))
        .await
        .expect("key");
    let step = |field: &'static str, revision: i32| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let input = if field == "publish" {
                "PublishInput"
            } else {
                "StepInput"
            };
            app.as_key(
                Some(&admin),
                &format!("mutation($i: {input}!) {{ {field}(input: $i) {{ status }} }}"),
                json!({ "i": { "slug": "two-physicians", "revision": revision } }),
            )
            .await
        }
    };
    let sign = |token: String, revision: i32| {
        let app = &app;
        async move {
            app.as_key(
                Some(&token),
                "mutation($i: SignOffInput!) { signOff(input: $i) { revision } }",
                json!({ "i": { "slug": "two-physicians", "revision": revision, "locales": ["ja"], "claims": false } }),
            )
            .await
        }
    };
    assert_eq!(
        step("submitForReview", 1).await["data"]["submitForReview"]["status"],
        "IN_REVIEW"
    );
    assert_eq!(sign(first.clone(), 1).await["data"]["signOff"]["revision"], 1);
    assert_eq!(sign(second.clone(), 1).await["data"]["signOff"]["revision"], 1);
    assert_eq!(step("approve", 1).await["data"]["approve"]["status"], "APPROVED");
    assert_eq!(step("publish", 1).await["data"]["publish"]["status"], "PUBLISHED");
    let read = r#"{
      article(slug: "two-physicians") { contributors { supervisor { slug } signedOffRevision } }
      articles(filter: { supervisor: "second-physician" }) { totalCount }
      supervisor(slug: "second-physician") { slug }
    }"#;
    let both = app.as_key(None, read, json!({})).await;
    assert_eq!(
        both["data"]["article"]["contributors"].as_array().map(Vec::len),
        Some(2),
        "{both:#}"
    );
    assert_eq!(both["data"]["articles"]["totalCount"], 1);

    // Revision 2, signed by the first physician only, goes out: the second
    // reviewed none of it, and readers no longer see her name on it.
    let mut doc = document(&app, &editor, "two-physicians", 1).await;
    doc["sections"][0]["heading"]["ja"] = json!("書き直した本文");
    assert_eq!(
        save_article(&app, &editor, "two-physicians", 1, &doc, None).await["data"]["saveArticle"]["revision"],
        2
    );
    assert_eq!(sign(first, 2).await["data"]["signOff"]["revision"], 2);
    assert_eq!(step("publish", 2).await["data"]["publish"]["status"], "PUBLISHED");
    let one = app.as_key(None, read, json!({})).await;
    assert_eq!(
        one["data"]["article"]["contributors"],
        json!([{ "supervisor": { "slug": common::PHYSICIAN }, "signedOffRevision": 2 }]),
        "{one:#}"
    );
    assert_eq!(one["data"]["articles"]["totalCount"], 0);
    assert_eq!(one["data"]["supervisor"], Value::Null);
}

/// A published article whose tag, category and physician no other
/// published article has.
const LONE: &str = r#"
categories:
  - { slug: lone-category, source_locale: ja, name: { ja: 単独カテゴリ } }
tags:
  - { slug: lone-tag, source_locale: ja, name: { ja: 単独タグ } }
supervisors:
  - slug: lone-physician
    source_locale: ja
    profile: { ja: { name: 架空一郎 } }
articles:
  - slug: lone-article
    category: lone-category
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-01T00:00:00Z
    tags: [lone-tag]
    contributors:
      - { supervisor: lone-physician, role: SUPERVISOR, signed_off_revision: 1, signed_off_at: 2025-01-01T00:00:00Z }
    translations:
      ja: { title: 単独の記事, lead: リード, status: PUBLISHED }
    sections:
      - anchor: body
        heading: { ja: 本文 }
"#;

async fn a_cached_taxonomy_list_drops_what_an_archive_hides(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&api::content::Bundle::from_yaml(LONE).expect("parses"))
        .await
        .expect("imports");
    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");
    let lists = "{ tags { slug } categories { slug } supervisors { slug } }";
    let ask = || async {
        let response = app
            .client
            .post(format!("{}/graphql", app.base))
            .header("content-type", "application/json")
            .body(json!({ "query": lists }).to_string())
            .send()
            .await
            .expect("answered");
        let keys = response
            .headers()
            .get("surrogate-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body: Value = response.json().await.expect("json");
        (body, keys)
    };
    let slugs = |body: &Value, list: &str| -> Vec<String> {
        body["data"][list]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v["slug"].as_str().map(str::to_owned))
            .collect()
    };
    // Asked twice: the second answer comes from the response cache.
    let hits_before = app.metric("kiji_response_cache_lookups_total{result=\"hit\"}").await;
    let (first, _) = ask().await;
    let (cached, keys) = ask().await;
    assert_eq!(first, cached);
    assert_eq!(
        app.metric("kiji_response_cache_lookups_total{result=\"hit\"}").await,
        hits_before + 1.0,
        "the second answer was the cached one"
    );
    assert!(slugs(&cached, "tags").contains(&"lone-tag".to_owned()));
    assert!(slugs(&cached, "categories").contains(&"lone-category".to_owned()));
    assert!(slugs(&cached, "supervisors").contains(&"lone-physician".to_owned()));

    let archived = app
        .as_key(
            Some(&admin),
            "mutation($i: StepInput!) { archive(input: $i) { status } }",
            json!({ "i": { "slug": "lone-article", "revision": 1 } }),
        )
        .await;
    assert_eq!(archived["data"]["archive"]["status"], "ARCHIVED", "{archived:#}");

    // The change names what the cached answer carries: a CDN purging by the
    // change's keys drops it too.
    let latest = api::store::changes::latest(&app.db).await.expect("latest");
    let change = api::store::changes::after(&app.db, latest - 1, 1)
        .await
        .expect("reads")
        .pop()
        .expect("the archive's change");
    let touched: Vec<String> = serde_json::from_value(change.entities).expect("keys");
    let carried: Vec<&str> = keys.split(' ').collect();
    for kind in ["tag:", "category:", "supervisor:"] {
        assert!(
            touched
                .iter()
                .any(|k| k.starts_with(kind) && carried.contains(&k.as_str())),
            "the archive names the {kind} the list showed: {touched:?} / {keys}"
        );
    }
    let (after, _) = ask().await;
    assert!(!slugs(&after, "tags").contains(&"lone-tag".to_owned()), "{after:#}");
    assert!(
        !slugs(&after, "categories").contains(&"lone-category".to_owned()),
        "{after:#}"
    );
    assert!(
        !slugs(&after, "supervisors").contains(&"lone-physician".to_owned()),
        "{after:#}"
    );
}

async fn a_document_a_key_registered_is_not_the_publics_by_its_hash(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, editor) = auth::create_key(&app.db, Role::Editor, "desk").await.expect("key");
    let secret = r#"query DeskCheck { article(slug: "exosome-treatment-costs") { title status } }"#;
    let hash = api::http::documents::sha256_hex(secret);
    let persisted = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let bearer = format!("Bearer {editor}");
    let registered = app
        .post(
            &json!({ "query": secret, "extensions": persisted }),
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(registered.data()["article"]["status"], "DRAFT");
    // The editor's own hash works for the editor.
    let again = app
        .post(&json!({ "extensions": persisted }), &[("authorization", &bearer)])
        .await;
    assert_eq!(again.data()["article"]["status"], "DRAFT");
    // An outsider who guesses the text learns nothing from its hash: the
    // answer is that of an unknown hash.
    let outsider = app.post(&json!({ "extensions": persisted }), &[]).await;
    assert_eq!(outsider.codes(), ["PERSISTED_QUERY_NOT_FOUND"], "{}", outsider.text);
    let unknown = app
        .post(
            &json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "0".repeat(64) } } }),
            &[],
        )
        .await;
    assert_eq!(outsider.text, unknown.text, "indistinguishable from an unknown hash");
    // Sent in full by the public, it is the public's (and shows no draft).
    let public = app
        .post(&json!({ "query": secret, "extensions": persisted }), &[])
        .await;
    assert_eq!(public.data()["article"], Value::Null);
    let hit = app.post(&json!({ "extensions": persisted }), &[]).await;
    assert_eq!(hit.data()["article"], Value::Null);
    // A trusted document is everyone's by its hash.
    let trusted = r#"query TrustedTitle { article(slug: "exosome-effects-and-side-effects") { title } }"#;
    api::http::documents::register(&app.db, "trusted.graphql", trusted)
        .await
        .expect("registers");
    let by_hash = app
        .post(
            &json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": api::http::documents::sha256_hex(trusted) } } }),
            &[],
        )
        .await;
    assert!(by_hash.data()["article"]["title"].is_string());
}

async fn metrics_name_only_trusted_operations_and_can_be_closed(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| {
        config.metrics_token = Some("scrape-secret".to_owned());
    })
    .await
    else {
        return;
    };
    let (_, editor) = auth::create_key(&app.db, Role::Editor, "desk").await.expect("key");
    let bearer = format!("Bearer {editor}");
    let answered = app
        .post(
            &json!({ "query": "query QuarterlyLayoffsDraftReview { categories { slug } }" }),
            &[("authorization", &bearer)],
        )
        .await;
    assert!(answered.data()["categories"].is_array());
    for n in 0..3 {
        let anonymous_name = format!("query MadeUp{n} {{ tags {{ slug }} }}");
        app.post(&json!({ "query": anonymous_name }), &[]).await;
    }
    let closed = app.send(app.client.get(format!("{}/metrics", app.base))).await;
    assert_eq!(closed.status, 401, "{}", closed.text);
    assert_eq!(closed.codes(), ["UNAUTHENTICATED"]);
    let wrong = app
        .send(
            app.client
                .get(format!("{}/metrics", app.base))
                .bearer_auth("scrape-secret-not"),
        )
        .await;
    assert_eq!(wrong.status, 401);
    let open = app
        .send(
            app.client
                .get(format!("{}/metrics", app.base))
                .bearer_auth("scrape-secret"),
        )
        .await;
    assert_eq!(open.status, 200);
    let text = open.text;
    assert!(text.contains(r#"operation="unregistered""#), "{text}");
    for name in ["QuarterlyLayoffsDraftReview", "MadeUp0", "MadeUp2"] {
        assert!(!text.contains(name), "{name} labels nothing: {text}");
    }

    // On an address of its own, `/metrics` leaves the API's address.
    let Some(apart) = TestApp::spawn_with(backend, |config| {
        config.metrics_listen = Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    })
    .await
    else {
        return;
    };
    let gone = apart.send(apart.client.get(format!("{}/metrics", apart.base))).await;
    assert_eq!(gone.status, 404);
    let base = apart.metrics_base.clone().expect("the metrics address");
    let there = apart.send(apart.client.get(format!("{base}/metrics"))).await;
    assert_eq!(there.status, 200);
    assert!(there.text.contains("kiji_http_requests"), "{}", there.text);
}

async fn failed_authentication_is_limited_per_address(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| config.auth_failure_limit = 5).await else {
        return;
    };
    let (_, editor) = auth::create_key(&app.db, Role::Editor, "desk").await.expect("key");
    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");
    // The editor works from the same address as the guesser (one proxy,
    // one office): her key authenticates before the guessing starts.
    let before = app
        .post(
            &json!({ "query": "{ viewer { role } }" }),
            &[("authorization", &format!("Bearer {editor}"))],
        )
        .await;
    assert_eq!(before.data()["viewer"]["role"], "EDITOR");
    let guess = |n: usize| format!("Bearer kiji_{n:0>43}");
    for n in 0..5 {
        let refused = app
            .post(
                &json!({ "query": "{ viewer { role } }" }),
                &[("authorization", &guess(n))],
            )
            .await;
        assert_eq!(refused.status, 401, "{}", refused.text);
    }
    let limited = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("content-type", "application/json")
        .header("authorization", guess(99))
        .body(json!({ "query": "{ viewer { role } }" }).to_string())
        .send()
        .await
        .expect("answered");
    assert_eq!(limited.status(), 429);
    let statements = app.statements().await;
    let retry: u64 = limited
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    let body: Value = limited.json().await.expect("json");
    assert_eq!(code(&body), "RATE_LIMITED");
    // While held back, a key from that address that was not seen to
    // authenticate is not even looked up…
    let unseen = app
        .post(
            &json!({ "query": "{ viewer { role } }" }),
            &[("authorization", &format!("Bearer {admin}"))],
        )
        .await;
    assert_eq!(unseen.status, 429);
    assert_eq!(app.statements().await, statements, "no lookup while held back");
    // …while the editor's key, seen to work, still does.
    let editor_again = app
        .post(
            &json!({ "query": "{ viewer { role } }" }),
            &[("authorization", &format!("Bearer {editor}"))],
        )
        .await;
    assert_eq!(editor_again.data()["viewer"]["role"], "EDITOR");
    // …and the public is not held back at all.
    let public = app.post(&json!({ "query": "{ viewer { role } }" }), &[]).await;
    assert_eq!(public.status, 200);
    assert_eq!(public.data()["viewer"]["role"], Value::Null);

    // Behind a proxy, the address is the one the proxy added last: a client
    // cannot dodge the limit by writing addresses of its own in front.
    let Some(proxied) = TestApp::spawn_with(backend, |config| {
        config.auth_failure_limit = 2;
        config.client_ip_header = Some(axum::http::HeaderName::from_static("x-forwarded-for"));
    })
    .await
    else {
        return;
    };
    let guess_from = |app: &TestApp, n: usize, forwarded: String| {
        let app = app.base.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{app}/graphql"))
                .header("content-type", "application/json")
                .header("authorization", guess(n))
                .header("x-forwarded-for", forwarded)
                .body(json!({ "query": "{ viewer { role } }" }).to_string())
                .send()
                .await
                .expect("answered")
                .status()
                .as_u16()
        }
    };
    let statuses = [
        guess_from(&proxied, 1, "10.0.0.1, 203.0.113.7".into()).await,
        guess_from(&proxied, 2, "10.0.0.2, 203.0.113.7".into()).await,
        guess_from(&proxied, 3, "10.0.0.3, 203.0.113.7".into()).await,
    ];
    assert_eq!(statuses, [401, 401, 429], "one client, whatever it writes in front");
    assert_eq!(
        guess_from(&proxied, 4, "203.0.113.7, 198.51.100.9".into()).await,
        401,
        "another client is not held back"
    );
}

async fn every_audit_entry_says_what_changed(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, editor) = auth::create_key(&app.db, Role::Editor, "desk").await.expect("key");
    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");
    let tag = json!({ "slug": "audited", "source_locale": "ja", "name": { "ja": "監査" } });
    save_entity(&app, &editor, "saveTag", tag.clone(), None).await;
    let mut renamed = tag;
    renamed["name"]["en"] = json!("Audited");
    save_entity(&app, &editor, "saveTag", renamed.clone(), None).await;
    save_entity(&app, &editor, "saveTag", renamed, None).await;
    let category = json!({ "slug": "audited-cat", "source_locale": "ja", "name": { "ja": "監査" } });
    save_entity(&app, &editor, "saveCategory", category, None).await;
    let reference =
        json!({ "key": "audited-ref", "kind": "WEBPAGE", "title": "A page", "url": "https://example.org/" });
    save_entity(&app, &editor, "saveReference", reference, None).await;
    let entries = audit(&app, &admin).await;
    assert!(entries.len() >= 8, "{entries:#?}");
    for entry in &entries {
        let detail = entry["detail"].as_str().unwrap_or_default();
        assert!(!detail.trim().is_empty(), "an entry says nothing: {entry:#}");
    }
    let replaced: Vec<&str> = entries
        .iter()
        .filter(|e| e["action"] == "REPLACE" && e["target"] == "tag:audited")
        .filter_map(|e| e["detail"].as_str())
        .collect();
    assert_eq!(
        replaced,
        ["saved unchanged", "name.en: (none) → \"Audited\""],
        "newest first, each with what changed"
    );
}

db_tests!(
    a_physician_is_not_listed_on_a_revision_they_did_not_sign,
    an_editor_cannot_take_an_article_out_of_its_sign_off,
    an_editor_cannot_rename_a_physician_and_a_changed_profile_covers_nothing,
    a_cached_taxonomy_list_drops_what_an_archive_hides,
    a_document_a_key_registered_is_not_the_publics_by_its_hash,
    metrics_name_only_trusted_operations_and_can_be_closed,
    failed_authentication_is_limited_per_address,
    every_audit_entry_says_what_changed,
);
