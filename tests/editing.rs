//! Editing over the API: the sample column walked from a draft to a
//! published revision, edited, signed off again and republished; two
//! editors racing from one revision; and random sequences of edits,
//! sign-offs and workflow steps, after each of which the public must see
//! only a published, signed-off revision.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::editorial::auth;
use common::{Backend, TestApp, first_code as code};
use entity::enums::Role;
use proptest::prelude::*;
use serde_json::{Value, json};

/// The slug the walked copy of the sample column is created under (the
/// sample itself is already published in every test database).
const WALKED: &str = "exosome-column-walked";

/// The sample exosome column as a document for `createArticle`: its
/// content, without the sign-off a document may not carry.
fn sample_column(slug: &str) -> Value {
    let bundle = api::content::sample::bundle().expect("the sample parses");
    let doc = bundle
        .articles
        .into_iter()
        .find(|a| a.slug == "exosome-effects-and-side-effects")
        .expect("the sample column");
    let mut value = serde_json::to_value(doc).expect("serializes");
    value["slug"] = json!(slug);
    for c in value["contributors"].as_array_mut().expect("contributors") {
        // The walked copy is signed off in the fictional physician's name,
        // never in the real one's.
        c["supervisor"] = json!(common::PHYSICIAN);
        for field in [
            "signed_off_revision",
            "signed_off_at",
            "signed_off_locales",
            "signed_off_claims",
        ] {
            c.as_object_mut().expect("an object").remove(field);
        }
    }
    value
}

/// Creates `doc` as a new draft with `token`, as revision 1.
async fn create_article(app: &TestApp, token: &str, doc: Value) {
    let created = app
        .as_key(
            Some(token),
            "mutation($input: CreateArticleInput!) { createArticle(input: $input) { revision } }",
            json!({ "input": { "document": doc } }),
        )
        .await;
    assert_eq!(created["data"]["createArticle"]["revision"], 1, "{created:#}");
}

/// Keys for every role in the walk.
struct Keys {
    editor: String,
    admin: String,
    preview: String,
    physician: String,
}

async fn keys(app: &TestApp) -> Keys {
    let (_, editor) = auth::create_key(&app.db, Role::Editor, "desk").await.expect("key");
    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");
    let (_, preview) = auth::create_key(&app.db, Role::Preview, "app").await.expect("key");
    let physician = common::physician_key(app, "Dr. Mihon").await;
    Keys {
        editor,
        admin,
        preview,
        physician,
    }
}

/// What `token` (the public for `None`) reads of `slug` in `locale`.
async fn page(app: &TestApp, token: Option<&str>, slug: &str, locale: &str) -> Value {
    let query = r#"query($slug: String!, $locale: Locale!) {
      article(slug: $slug, locale: $locale) {
        status locale title revision headRevision reviewedBySupervisor isOutdated translatedFromRevision
        contributors { signedOffRevision signedOffCurrentRevision }
        sections { anchor heading isOutdated reviewedBySupervisor }
      }
    }"#;
    let body = app
        .as_key(token, query, json!({ "slug": slug, "locale": locale }))
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"]["article"].clone()
}

/// The heading of section `anchor` in a page.
fn heading<'a>(page: &'a Value, anchor: &str) -> &'a str {
    page["sections"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["anchor"] == anchor))
        .and_then(|s| s["heading"].as_str())
        .unwrap_or("")
}

async fn step(app: &TestApp, token: &str, field: &str, slug: &str, revision: i32) -> Value {
    let input = if field == "publish" {
        "PublishInput"
    } else {
        "StepInput"
    };
    let query = format!("mutation($input: {input}!) {{ {field}(input: $input) {{ status revision }} }}");
    app.as_key(
        Some(token),
        &query,
        json!({ "input": { "slug": slug, "revision": revision } }),
    )
    .await
}

/// The reason the walks give for publishing the sample column's text,
/// which the medical-advertising lint holds back (it lacks the disclosures
/// an unapproved product needs); `tests/trust.rs` shows the gate itself.
const OVERRIDE: &str = "the sample column's text, kept as supervised";

/// Publishes revision `revision` of `slug` with the lint overridden.
async fn publish_overriding(app: &TestApp, token: &str, slug: &str, revision: i32) -> Value {
    app.as_key(
        Some(token),
        "mutation($input: PublishInput!) { publish(input: $input) { status revision } }",
        json!({ "input": { "slug": slug, "revision": revision, "lintOverrideReason": OVERRIDE } }),
    )
    .await
}

async fn sign(app: &TestApp, token: &str, slug: &str, revision: i32) -> Value {
    app.as_key(
        Some(token),
        "mutation($input: SignOffInput!) { signOff(input: $input) { revision } }",
        json!({ "input": { "slug": slug, "revision": revision, "locales": ["ja"], "claims": false } }),
    )
    .await
}

async fn edit_heading(app: &TestApp, token: &str, slug: &str, base: i32, anchor: &str, text: &str) -> Value {
    app.as_key(
        Some(token),
        "mutation($input: EditSectionInput!) { editSection(input: $input) { revision liveRevision status } }",
        json!({ "input": { "slug": slug, "baseRevision": base, "anchor": anchor, "locale": "ja", "heading": text } }),
    )
    .await
}

async fn the_sample_column_walks_through_an_edit_that_voids_its_sign_off(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let k = keys(&app).await;
    let created = app
        .as_key(
            Some(&k.editor),
            "mutation($input: CreateArticleInput!) { createArticle(input: $input) { revision status } }",
            json!({ "input": { "document": sample_column(WALKED), "note": "the sample column, as a draft" } }),
        )
        .await;
    assert_eq!(
        created["data"]["createArticle"],
        json!({ "revision": 1, "status": "DRAFT" }),
        "{created:#}"
    );
    let first = "what-is-an-exosome";
    let original = heading(&page(&app, Some(&k.editor), WALKED, "ja").await, first).to_owned();
    assert!(!original.is_empty(), "the column has a section `{first}`");

    // A draft: the public sees nothing, preview and editor see the draft.
    assert_eq!(page(&app, None, WALKED, "ja").await, Value::Null);
    for token in [&k.preview, &k.editor] {
        let seen = page(&app, Some(token), WALKED, "ja").await;
        assert_eq!(seen["status"], "DRAFT");
        assert_eq!(seen["reviewedBySupervisor"], false, "nobody signed it off");
    }

    // Review, sign-off, approval, publication.
    assert_eq!(
        step(&app, &k.editor, "submitForReview", WALKED, 1).await["data"]["submitForReview"]["status"],
        "IN_REVIEW"
    );
    let signed = sign(&app, &k.physician, WALKED, 1).await;
    assert_eq!(signed["data"]["signOff"]["revision"], 1, "{signed:#}");
    assert_eq!(
        page(&app, None, WALKED, "ja").await,
        Value::Null,
        "signed is not published"
    );
    assert_eq!(
        step(&app, &k.editor, "approve", WALKED, 1).await["data"]["approve"]["status"],
        "APPROVED"
    );
    let published = publish_overriding(&app, &k.admin, WALKED, 1).await;
    assert_eq!(published["data"]["publish"]["status"], "PUBLISHED", "{published:#}");
    let public = page(&app, None, WALKED, "ja").await;
    assert_eq!(public["revision"], 1);
    assert_eq!(
        public["headRevision"],
        Value::Null,
        "the public is not told about drafts"
    );
    assert_eq!(public["reviewedBySupervisor"], true);
    assert_eq!(heading(&public, first), original);

    // An edit of the published column: revision 2 waits, unsigned; readers
    // keep reading revision 1 with its sign-off.
    let edited = edit_heading(&app, &k.editor, WALKED, 1, first, "エクソソームとは（改訂）").await;
    assert_eq!(
        edited["data"]["editSection"],
        json!({ "revision": 2, "liveRevision": 1, "status": "PUBLISHED" }),
        "{edited:#}"
    );
    let public = page(&app, None, WALKED, "ja").await;
    assert_eq!(
        (public["revision"].clone(), heading(&public, first)),
        (json!(1), original.as_str())
    );
    assert_eq!(
        public["reviewedBySupervisor"], true,
        "revision 1 is still the one signed off"
    );
    let editor_view = page(&app, Some(&k.editor), WALKED, "ja").await;
    assert_eq!(
        (editor_view["revision"].clone(), editor_view["headRevision"].clone()),
        (json!(1), json!(2))
    );
    // A preview key reads revision 2 through the same delivery query;
    // readers asking for it get nothing.
    let pending = r#"query($s: String!) {
      article(slug: $s, locale: "ja", revision: 2) {
        slug status revision reviewedBySupervisor sections { anchor heading }
      }
    }"#;
    let draft = app.as_key(Some(&k.preview), pending, json!({ "s": WALKED })).await;
    let draft = &draft["data"]["article"];
    assert_eq!(
        (
            draft["slug"].clone(),
            draft["status"].clone(),
            draft["revision"].clone()
        ),
        (json!(WALKED), json!("DRAFT"), json!(2)),
        "{draft:#}"
    );
    assert_eq!(heading(draft, first), "エクソソームとは（改訂）");
    assert_eq!(draft["reviewedBySupervisor"], false, "nobody signed revision 2");
    let readers = app.as_key(None, pending, json!({ "s": WALKED })).await;
    assert_eq!(readers["data"]["article"], Value::Null, "{readers:#}");
    let preview = app
        .as_key(
            Some(&k.preview),
            "query($s: String!) { articleRevision(slug: $s, number: 2) }",
            json!({ "s": WALKED }),
        )
        .await;
    let sections = preview["data"]["articleRevision"]["sections"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(sections[0]["heading"]["ja"], "エクソソームとは（改訂）", "{preview:#}");
    let diff = app
        .as_key(
            Some(&k.preview),
            "query($s: String!) { articleRevisionDiff(slug: $s, from: 1, to: 2) { path before after } }",
            json!({ "s": WALKED }),
        )
        .await;
    let paths: Vec<&str> = diff["data"]["articleRevisionDiff"]
        .as_array()
        .map(|d| d.iter().filter_map(|c| c["path"].as_str()).collect())
        .unwrap_or_default();
    assert!(paths.contains(&"sections[what-is-an-exosome].heading.ja"), "{diff:#}");
    // The English translation now lags the Japanese it was made from.
    let en = page(&app, Some(&k.editor), WALKED, "en").await;
    assert_eq!(en["isOutdated"], false, "revision 1 is live; its English was current");

    // The sign-off of revision 1 does not cover revision 2: it cannot be
    // published, and revision 1 can no longer be signed off.
    let refused = publish_overriding(&app, &k.admin, WALKED, 2).await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused:#}");
    let stale = sign(&app, &k.physician, WALKED, 1).await;
    assert_eq!(code(&stale), "CONFLICT");
    assert_eq!(stale["errors"][0]["extensions"]["currentRevision"], 2);

    // A new sign-off, then revision 2 goes out with it.
    assert_eq!(
        sign(&app, &k.physician, WALKED, 2).await["data"]["signOff"]["revision"],
        2
    );
    let draft = app.as_key(Some(&k.preview), pending, json!({ "s": WALKED })).await;
    assert_eq!(
        draft["data"]["article"]["reviewedBySupervisor"], true,
        "the preview shows the new sign-off"
    );
    let public = page(&app, None, WALKED, "ja").await;
    assert_eq!(public["revision"], 1, "signing off publishes nothing");
    assert_eq!(public["contributors"][0]["signedOffRevision"], 1);
    let republished = publish_overriding(&app, &k.admin, WALKED, 2).await;
    assert_eq!(republished["data"]["publish"]["status"], "PUBLISHED", "{republished:#}");
    let public = page(&app, None, WALKED, "ja").await;
    assert_eq!(public["revision"], 2);
    assert_eq!(heading(&public, first), "エクソソームとは（改訂）");
    assert_eq!(public["reviewedBySupervisor"], true);
    assert_eq!(
        public["contributors"][0],
        json!({ "signedOffRevision": 2, "signedOffCurrentRevision": true })
    );
    // The English page: the changed section's translation is outdated,
    // and so is the translation as a whole.
    let en = page(&app, Some(&k.editor), WALKED, "en").await;
    assert_eq!(en["isOutdated"], true, "{en:#}");
    let section = en["sections"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["anchor"] == first))
        .cloned()
        .unwrap_or_default();
    assert_eq!(section["isOutdated"], true, "{en:#}");
    let others_outdated = en["sections"]
        .as_array()
        .map(|s| {
            s.iter()
                .filter(|s| s["anchor"] != first && s["isOutdated"] == true)
                .count()
        })
        .unwrap_or(0);
    assert_eq!(others_outdated, 0, "only the changed section lags: {en:#}");

    // The history lists both revisions, with who saved them.
    let history = app
        .as_key(
            Some(&k.preview),
            "query($s: String!) { articleRevisions(slug: $s) { headRevision liveRevision revisions { number baseRevision savedBy } } }",
            json!({ "s": WALKED }),
        )
        .await;
    assert_eq!(
        history["data"]["articleRevisions"],
        json!({ "headRevision": 2, "liveRevision": 2, "revisions": [
            { "number": 2, "baseRevision": 1, "savedBy": "desk" },
            { "number": 1, "baseRevision": null, "savedBy": "desk" },
        ] }),
        "{history:#}"
    );
}

async fn two_edits_from_one_revision_one_wins_one_conflicts(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let k = keys(&app).await;
    create_article(&app, &k.editor, sample_column(WALKED)).await;
    // Several rounds, so the two requests overlap in at least some.
    let mut base = 1;
    for round in 0..6 {
        let (text_a, text_b) = (format!("見出しA{round}"), format!("見出しB{round}"));
        let (a, b) = tokio::join!(
            edit_heading(&app, &k.editor, WALKED, base, "what-is-an-exosome", &text_a),
            edit_heading(&app, &k.admin, WALKED, base, "what-is-an-exosome", &text_b),
        );
        let outcomes = [&a, &b];
        let won: Vec<&&Value> = outcomes.iter().filter(|r| r.get("errors").is_none()).collect();
        let lost: Vec<&&Value> = outcomes.iter().filter(|r| r.get("errors").is_some()).collect();
        assert_eq!((won.len(), lost.len()), (1, 1), "{a:#} {b:#}");
        assert_eq!(won[0]["data"]["editSection"]["revision"], base + 1);
        assert_eq!(code(lost[0]), "CONFLICT", "{:#}", lost[0]);
        assert_eq!(lost[0]["errors"][0]["extensions"]["currentRevision"], base + 1);
        // The winner's text is what is stored; nothing half-written.
        let winner = if a.get("errors").is_none() { "A" } else { "B" };
        let seen = page(&app, Some(&k.editor), WALKED, "ja").await;
        assert_eq!(heading(&seen, "what-is-an-exosome"), format!("見出し{winner}{round}"));
        assert_eq!(seen["headRevision"], base + 1);
        base += 1;
    }
    // The loser retries from the revision the error named, and every
    // edit is in the history.
    let loser = "見出し（再）";
    let retried = edit_heading(&app, &k.editor, WALKED, base, "what-is-an-exosome", loser).await;
    assert_eq!(retried["data"]["editSection"]["revision"], base + 1, "{retried:#}");
    let history = app
        .as_key(
            Some(&k.editor),
            "query($s: String!) { articleRevisions(slug: $s) { revisions { number } } }",
            json!({ "s": WALKED }),
        )
        .await;
    let numbers: Vec<i64> = history["data"]["articleRevisions"]["revisions"]
        .as_array()
        .map(|r| r.iter().filter_map(|v| v["number"].as_i64()).collect())
        .unwrap_or_default();
    assert_eq!(numbers, (1..=8).rev().collect::<Vec<i64>>(), "every save, once");
}

/// One thing an editor, physician or admin may do next. Publishing and
/// scheduling push the article through review and approval first, as a
/// desk would, so most sequences reach a publication attempt.
#[derive(Debug, Clone)]
enum Op {
    Edit,
    SignOff,
    Submit,
    Publish,
    Schedule,
    Archive,
    /// Restores revision 1 as the newest.
    Restore,
    /// Moves the article between a medical and a non-medical category.
    SwapCategory,
    /// Writes (or rewrites) the English title.
    TranslateEn,
    /// Publishes the English translation.
    PublishEn,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Edit),
        2 => Just(Op::SignOff),
        1 => Just(Op::Submit),
        3 => Just(Op::Publish),
        1 => Just(Op::Schedule),
        1 => Just(Op::Archive),
        1 => Just(Op::Restore),
        1 => Just(Op::SwapCategory),
        1 => Just(Op::TranslateEn),
        1 => Just(Op::PublishEn),
    ]
}

/// Tries `steps` in order as an admin; a refusal must say why
/// (`BAD_USER_INPUT`), never fail otherwise. Whether the last succeeded.
async fn try_steps(
    app: &TestApp,
    admin: &str,
    slug: &str,
    head: i32,
    steps: &[&str],
    publish_at: Option<&str>,
) -> bool {
    let mut ok = false;
    for field in steps {
        let (query, mut input) = match *field {
            "publish" => (
                "mutation($input: PublishInput!) { publish(input: $input) { status } }".to_owned(),
                json!({ "slug": slug, "revision": head }),
            ),
            "publishTranslation" => (
                "mutation($input: TranslationStepInput!) { publishTranslation(input: $input) { status } }".to_owned(),
                json!({ "slug": slug, "revision": head, "locale": "en" }),
            ),
            _ => (
                format!("mutation($input: StepInput!) {{ {field}(input: $input) {{ status }} }}"),
                json!({ "slug": slug, "revision": head }),
            ),
        };
        if let (true, Some(at)) = (*field == "publish", publish_at) {
            input["publishAt"] = json!(at);
        }
        let body = app.as_key(Some(admin), &query, json!({ "input": input })).await;
        ok = body.get("errors").is_none();
        if !ok {
            assert_eq!(code(&body), "BAD_USER_INPUT", "{field}: {body:#}");
        }
    }
    ok
}

/// A small medical article naming its supervising physician.
fn small_article(slug: &str) -> Value {
    json!({
        "slug": slug,
        "category": "regenerative-medicine",
        "source_locale": "ja",
        "status": "DRAFT",
        "contributors": [{ "supervisor": common::PHYSICIAN, "role": "SUPERVISOR" }],
        "translations": { "ja": { "title": "題", "lead": "リード", "status": "DRAFT" } },
        "sections": [{ "anchor": "body", "heading": { "ja": "v1" } }],
    })
}

/// What each revision holds, as the model of the property test knows it.
#[derive(Clone, Default)]
struct Kept {
    heading: String,
    medical: bool,
    english: Option<String>,
}

fn the_public_sees_only_signed_off_published_revisions(backend: Backend) {
    common::property(
        backend,
        24,
        proptest::collection::vec(op(), 1..16),
        async |app: &TestApp, case: usize, ops: Vec<Op>| {
            if case == 1 {
                app.import(&api::content::Bundle::from_yaml(MORE).expect("parses"))
                    .await
                    .expect("imports");
            }
            let k = keys(app).await;
            let slug = format!("prop-{case}");
            create_article(app, &k.editor, small_article(&slug)).await;
            let mut head = 1;
            let mut signed = std::collections::HashSet::new();
            let mut kept = std::collections::HashMap::from([(
                1,
                Kept {
                    heading: "v1".to_owned(),
                    medical: true,
                    english: None,
                },
            )]);
            let mut english_published = false;
            for op in &ops {
                let saved = |body: &Value, field: &str| {
                    assert!(body.get("errors").is_none(), "{op:?}: {body:#}");
                    body["data"][field]["revision"].as_i64().unwrap_or(0) as i32
                };
                let before = kept.get(&head).cloned().unwrap_or_default();
                match op {
                    Op::Edit => {
                        let text = format!("v{}", head + 1);
                        let body = edit_heading(app, &k.editor, &slug, head, "body", &text).await;
                        head = saved(&body, "editSection");
                        kept.insert(
                            head,
                            Kept {
                                heading: text,
                                ..before
                            },
                        );
                    }
                    Op::SwapCategory => {
                        let mut doc = document(app, &k.editor, &slug, head).await;
                        doc["category"] = json!(if before.medical {
                            "clinic-news"
                        } else {
                            "regenerative-medicine"
                        });
                        // Out of a medical category only an ADMIN moves
                        // it, saying why; in, anyone who edits.
                        let body = if before.medical {
                            save_noted(app, &k.admin, &slug, head, &doc, "not medical after all").await
                        } else {
                            save(app, &k.editor, &slug, head, &doc).await
                        };
                        head = saved(&body, "saveArticle");
                        kept.insert(
                            head,
                            Kept {
                                medical: !before.medical,
                                ..before
                            },
                        );
                    }
                    Op::Restore => {
                        if head == 1 {
                            continue;
                        }
                        let body = app
                            .as_key(
                                Some(&k.editor),
                                "mutation($input: RestoreRevisionInput!) { restoreRevision(input: $input) { revision } }",
                                json!({ "input": { "slug": slug, "baseRevision": head, "number": 1 } }),
                            )
                            .await;
                        let first = kept.get(&1).cloned().unwrap_or_default();
                        let restored = saved(&body, "restoreRevision");
                        // Revision 1 differs from the newest unless it is the same.
                        if restored != head {
                            head = restored;
                            kept.insert(head, first);
                        }
                    }
                    Op::TranslateEn => {
                        let title = format!("en{}", head + 1);
                        let body = app
                            .as_key(
                                Some(&k.editor),
                                "mutation($input: EditTranslationInput!) { editTranslation(input: $input) { revision } }",
                                json!({ "input": { "slug": slug, "baseRevision": head, "locale": "en", "title": title, "lead": "Lead" } }),
                            )
                            .await;
                        head = saved(&body, "editTranslation");
                        kept.insert(
                            head,
                            Kept {
                                english: Some(title),
                                ..before
                            },
                        );
                    }
                    Op::SignOff => {
                        let body = sign(app, &k.physician, &slug, head).await;
                        assert!(body.get("errors").is_none(), "{op:?}: {body:#}");
                        signed.insert(head);
                    }
                    Op::Submit => {
                        try_steps(app, &k.admin, &slug, head, &["submitForReview"], None).await;
                    }
                    Op::Publish => {
                        let steps = ["submitForReview", "approve", "publish"];
                        try_steps(app, &k.admin, &slug, head, &steps, None).await;
                    }
                    Op::Schedule => {
                        let steps = ["submitForReview", "approve", "publish"];
                        try_steps(app, &k.admin, &slug, head, &steps, Some("2999-01-01T00:00:00Z")).await;
                    }
                    Op::Archive => {
                        try_steps(app, &k.admin, &slug, head, &["archive"], None).await;
                    }
                    Op::PublishEn => {
                        english_published |= try_steps(app, &k.admin, &slug, head, &["publishTranslation"], None).await;
                    }
                }
                let public = page(app, None, &slug, "ja").await;
                // Listed once at most: a preview copy is never listed.
                let listed = app
                    .as_key(None, "{ articles(first: 100) { nodes { slug revision } } }", json!({}))
                    .await;
                let mine: Vec<&Value> = listed["data"]["articles"]["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|n| n["slug"] == slug.as_str())
                    .collect();
                assert!(mine.len() <= 1, "after {ops:?}: {mine:?}");
                if public.is_null() {
                    assert!(mine.is_empty(), "after {ops:?} listed but not readable: {mine:?}");
                    continue;
                }
                assert_eq!(
                    mine.first().map(|n| &n["revision"]),
                    Some(&public["revision"]),
                    "after {ops:?}"
                );
                let revision = public["revision"].as_i64().unwrap_or(0) as i32;
                let shown = kept.get(&revision).cloned().unwrap_or_default();
                assert_eq!(
                    heading(&public, "body"),
                    shown.heading,
                    "after {ops:?} the public reads text that is not revision {revision}'s"
                );
                assert_eq!(public["status"], "PUBLISHED");
                if shown.medical {
                    assert!(
                        signed.contains(&revision),
                        "after {ops:?} the public reads revision {revision} of a medical article, never signed off"
                    );
                    assert_eq!(public["reviewedBySupervisor"], true, "after {ops:?}");
                }
                let english = page(app, None, &slug, "en").await;
                if english["locale"] == "en" {
                    assert!(english_published, "after {ops:?} English is public, never published");
                    assert_eq!(
                        english["title"].as_str(),
                        shown.english.as_deref(),
                        "after {ops:?} the public reads English that is not revision {revision}'s"
                    );
                }
            }
        },
    );
}

/// A second physician and a category that is not medical.
const MORE: &str = r#"
categories:
  - { slug: clinic-news, source_locale: ja, medical: false, name: { ja: お知らせ } }
supervisors:
  - slug: other-physician
    source_locale: ja
    profile: { ja: { name: 別の医師 } }
"#;

/// Saves `doc` over `slug` from `base` with `token`.
async fn save(app: &TestApp, token: &str, slug: &str, base: i32, doc: &Value) -> Value {
    app.as_key(
        Some(token),
        "mutation($input: SaveArticleInput!) { saveArticle(input: $input) { revision liveRevision status } }",
        json!({ "input": { "slug": slug, "baseRevision": base, "document": doc } }),
    )
    .await
}

/// [`save`], with a note (the reason an ADMIN gives for a move out of a
/// medical category).
async fn save_noted(app: &TestApp, token: &str, slug: &str, base: i32, doc: &Value, note: &str) -> Value {
    app.as_key(
        Some(token),
        "mutation($input: SaveArticleInput!) { saveArticle(input: $input) { revision liveRevision status } }",
        json!({ "input": { "slug": slug, "baseRevision": base, "document": doc, "note": note } }),
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
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"]["articleRevision"].clone()
}

async fn a_pending_revision_is_judged_by_its_own_category_and_physicians(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&api::content::Bundle::from_yaml(MORE).expect("parses"))
        .await
        .expect("imports");
    let k = keys(&app).await;
    let (_, other) = auth::create_key_for(&app.db, Role::Supervisor, "Dr. Other", Some("other-physician"))
        .await
        .expect("key");
    let slug = "news-then-medicine";
    let mut doc = small_article(slug);
    doc["category"] = json!("clinic-news");
    doc["contributors"] = json!([]);
    create_article(&app, &k.editor, doc).await;
    for field in ["submitForReview", "approve", "publish"] {
        let body = step(&app, &k.admin, field, slug, 1).await;
        assert!(body.get("errors").is_none(), "not medical, no sign-off: {body:#}");
    }

    // Revision 2 moves it into a medical category under a physician: it
    // needs his sign-off, although the live revision needed none.
    let mut moved = document(&app, &k.editor, slug, 1).await;
    moved["category"] = json!("regenerative-medicine");
    moved["contributors"] = json!([{ "supervisor": common::PHYSICIAN, "role": "SUPERVISOR" }]);
    moved["sections"][0]["heading"]["ja"] = json!("医療の話");
    assert_eq!(
        save(&app, &k.editor, slug, 1, &moved).await["data"]["saveArticle"]["revision"],
        2
    );
    let refused = step(&app, &k.admin, "publish", slug, 2).await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused:#}");
    assert_eq!(page(&app, None, slug, "ja").await["revision"], 1);
    // The physician the pending revision names may sign it off.
    let signed = sign(&app, &k.physician, slug, 2).await;
    assert_eq!(signed["data"]["signOff"]["revision"], 2, "{signed:#}");

    // Revision 3 names another physician: the first one's name no longer
    // counts, and he may not sign it off.
    let mut swapped = document(&app, &k.editor, slug, 2).await;
    swapped["contributors"] = json!([{ "supervisor": "other-physician", "role": "SUPERVISOR" }]);
    assert_eq!(
        save(&app, &k.editor, slug, 2, &swapped).await["data"]["saveArticle"]["revision"],
        3
    );
    assert_eq!(code(&sign(&app, &k.physician, slug, 3).await), "FORBIDDEN");
    assert_eq!(code(&step(&app, &k.admin, "publish", slug, 3).await), "BAD_USER_INPUT");
    assert_eq!(sign(&app, &other, slug, 3).await["data"]["signOff"]["revision"], 3);
    let published = step(&app, &k.admin, "publish", slug, 3).await;
    assert_eq!(published["data"]["publish"]["status"], "PUBLISHED", "{published:#}");
    let public = page(&app, None, slug, "ja").await;
    assert_eq!(public["revision"], 3);
    assert_eq!(heading(&public, "body"), "医療の話");
    assert_eq!(public["reviewedBySupervisor"], true);
    assert_eq!(
        public["contributors"],
        json!([{ "signedOffRevision": 3, "signedOffCurrentRevision": true }])
    );
}

async fn each_role_edits_only_what_it_may(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let k = keys(&app).await;
    let (_, translator) = auth::create_key(&app.db, Role::Translator, "translation desk")
        .await
        .expect("key");
    create_article(&app, &k.editor, sample_column(WALKED)).await;
    let en_edit = |token: String, locale: &'static str| {
        let app = &app;
        async move {
            app.as_key(
                Some(&token),
                "mutation($input: EditSectionInput!) { editSection(input: $input) { revision } }",
                json!({ "input": { "slug": WALKED, "baseRevision": 1, "anchor": "what-is-an-exosome", "locale": locale, "heading": "X" } }),
            )
            .await
        }
    };
    // Roles that do not write, and a translator in the source locale.
    for token in [&k.preview, &k.physician] {
        assert_eq!(code(&en_edit(token.clone(), "en").await), "FORBIDDEN");
    }
    assert_eq!(code(&en_edit(translator.clone(), "ja").await), "FORBIDDEN");
    // A locale key spelled otherwise cannot stand in for the source.
    let mut doc = document(&app, &k.editor, WALKED, 1).await;
    let ja = doc["translations"]["ja"].clone();
    let mut hijack = ja.clone();
    hijack["title"] = json!("hijacked");
    doc["translations"]["ja-u-ca-japanese"] = hijack;
    let body = save(&app, &translator, WALKED, 1, &doc).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(document(&app, &k.editor, WALKED, 1).await["translations"]["ja"], ja);
    // The translator's own locale is fine.
    assert_eq!(en_edit(translator, "en").await["data"]["editSection"]["revision"], 2);
}

async fn sections_are_added_moved_deleted_and_restored(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let k = keys(&app).await;
    let slug = "structure";
    create_article(&app, &k.editor, small_article(slug)).await;
    assert_eq!(
        step(&app, &k.editor, "submitForReview", slug, 1).await["data"]["submitForReview"]["status"],
        "IN_REVIEW"
    );
    let run = |query: &'static str, input: Value| {
        let app = &app;
        let token = k.editor.clone();
        async move { app.as_key(Some(&token), query, json!({ "input": input })).await }
    };
    let add = "mutation($input: AddSectionInput!) { addSection(input: $input) { revision status } }";
    let body = run(add, json!({ "slug": slug, "baseRevision": 1, "parent": "body", "section": { "anchor": "child", "heading": { "ja": "子" } } })).await;
    // An edit of what was sent to review sends it back to DRAFT.
    assert_eq!(
        body["data"]["addSection"],
        json!({ "revision": 2, "status": "DRAFT" }),
        "{body:#}"
    );
    let body = run(add, json!({ "slug": slug, "baseRevision": 2, "position": 9, "section": { "anchor": "far", "heading": { "ja": "遠い" } } })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    let body = run(add, json!({ "slug": slug, "baseRevision": 2, "section": { "anchor": "bad", "heading": { "ja": "悪い" }, "blocks": { "ja": [{ "type": "note", "tone": "LOUD", "text": "x" }] } } })).await;
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("section.blocks.ja[0]"),
        "the path of the bad field: {message}"
    );

    let mv = "mutation($input: MoveSectionInput!) { moveSection(input: $input) { revision } }";
    let body = run(
        mv,
        json!({ "slug": slug, "baseRevision": 2, "anchor": "body", "parent": "child", "position": 0 }),
    )
    .await;
    assert_eq!(
        code(&body),
        "BAD_USER_INPUT",
        "a section cannot move into itself: {body:#}"
    );
    let body = run(
        mv,
        json!({ "slug": slug, "baseRevision": 2, "anchor": "child", "position": 0 }),
    )
    .await;
    assert_eq!(body["data"]["moveSection"]["revision"], 3, "{body:#}");
    let seen = page(&app, Some(&k.editor), slug, "ja").await;
    let anchors: Vec<&str> = seen["sections"]
        .as_array()
        .map(|s| s.iter().filter_map(|x| x["anchor"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(anchors, ["child", "body"]);

    let del = "mutation($input: DeleteSectionInput!) { deleteSection(input: $input) { revision } }";
    assert_eq!(
        run(del, json!({ "slug": slug, "baseRevision": 3, "anchor": "child" })).await["data"]["deleteSection"]["revision"],
        4
    );
    let restore = "mutation($input: RestoreRevisionInput!) { restoreRevision(input: $input) { revision } }";
    assert_eq!(
        run(restore, json!({ "slug": slug, "baseRevision": 4, "number": 3 })).await["data"]["restoreRevision"]["revision"],
        5
    );
    let seen = page(&app, Some(&k.editor), slug, "ja").await;
    let anchors: Vec<&str> = seen["sections"]
        .as_array()
        .map(|s| s.iter().filter_map(|x| x["anchor"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(anchors, ["child", "body"], "revision 3 is back, as revision 5");
    assert_eq!(
        page(&app, None, slug, "ja").await,
        Value::Null,
        "and the public saw none of it"
    );
}

async fn a_translation_step_on_an_unpublished_revision_is_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let k = keys(&app).await;
    let column = "exosome-effects-and-side-effects";
    // The sample column is published; its English is live and reviewed by nobody.
    let edited = edit_heading(&app, &k.editor, column, 1, "what-is-an-exosome", "改訂").await;
    assert_eq!(edited["data"]["editSection"]["revision"], 2, "{edited:#}");
    let query = "mutation($input: TranslationStepInput!) { withdrawTranslation(input: $input) { revision } }";
    let body = app
        .as_key(
            Some(&k.admin),
            query,
            json!({ "input": { "slug": column, "revision": 2, "locale": "en" } }),
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    let en = app
        .as_key(
            None,
            r#"{ article(slug: "exosome-effects-and-side-effects", locale: "en") { locale } }"#,
            json!({}),
        )
        .await;
    assert_eq!(en["data"]["article"]["locale"], "en", "the live English is untouched");
}

async fn references_tags_and_categories_are_saved_in_place(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let k = keys(&app).await;
    let (_, translator) = auth::create_key(&app.db, Role::Translator, "translation desk")
        .await
        .expect("key");
    let because = |token: String, field: &'static str, input: Value, reason: Option<&'static str>| {
        let app = &app;
        async move {
            let query =
                format!("mutation($input: SaveEntityInput!) {{ {field}(input: $input) {{ kind key created }} }}");
            app.as_key(
                Some(&token),
                &query,
                json!({ "input": { "document": input, "reason": reason } }),
            )
            .await
        }
    };
    let run = |token: String, field: &'static str, input: Value| because(token, field, input, None);
    let kalluri = json!({
        "key": "kalluri2020", "kind": "JOURNAL_ARTICLE",
        "title": "The biology, function, and biomedical applications of exosomes (corrected)",
        "authors": ["Kalluri R", "LeBleu VS"], "container_title": "Science", "year": 2020,
        "volume": "367", "issue": "6478", "pages": "eaau6977",
        "doi": "10.1126/science.aau6977", "pmid": "32029601",
    });
    assert_eq!(
        code(&run(translator.clone(), "saveReference", kalluri.clone()).await),
        "FORBIDDEN"
    );
    // Replacing a cited work changes what reviewed claims rest on: an
    // ADMIN key's decision.
    let refused = run(k.editor.clone(), "saveReference", kalluri.clone()).await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused:#}");
    let unexplained = run(k.admin.clone(), "saveReference", kalluri.clone()).await;
    assert_eq!(
        code(&unexplained),
        "BAD_USER_INPUT",
        "an ADMIN says why: {unexplained:#}"
    );
    let body = because(
        k.admin.clone(),
        "saveReference",
        kalluri.clone(),
        Some("the publisher corrected the title"),
    )
    .await;
    assert_eq!(
        body["data"]["saveReference"],
        json!({ "kind": "reference", "key": "kalluri2020", "created": false }),
        "{body:#}"
    );
    // The claims that cite it keep citing it, and readers see the correction.
    let cited = app
        .as_key(
            None,
            r#"{ article(slug: "exosome-effects-and-side-effects", locale: "ja") { claims { references { reference { key title } } } } }"#,
            json!({}),
        )
        .await;
    let titles: Vec<&str> = cited["data"]["article"]["claims"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["references"].as_array().into_iter().flatten())
        .filter(|r| r["reference"]["key"] == "kalluri2020")
        .filter_map(|r| r["reference"]["title"].as_str())
        .collect();
    assert!(!titles.is_empty(), "{cited:#}");
    assert!(titles.iter().all(|t| t.ends_with("(corrected)")), "{titles:?}");
    // Another work with the same DOI is refused, naming the owner.
    let mut twin = kalluri.clone();
    twin["key"] = json!("kalluri-twin");
    let body = run(k.editor.clone(), "saveReference", twin).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("kalluri2020"),
        "{body:#}"
    );
    // A malformed DOI is named by its field.
    let mut bad = kalluri.clone();
    bad["doi"] = json!("doi.org/10.1126");
    assert_eq!(
        code(&run(k.admin.clone(), "saveReference", bad).await),
        "BAD_USER_INPUT"
    );

    // A tag and a category: created, then replaced.
    let tag = json!({ "slug": "new-topic", "public": true, "source_locale": "ja", "name": { "ja": "新しい話題" } });
    assert_eq!(
        run(k.editor.clone(), "saveTag", tag.clone()).await["data"]["saveTag"]["created"],
        true
    );
    let mut renamed = tag.clone();
    renamed["name"] = json!({ "ja": "新しい話題", "en": "A new topic" });
    assert_eq!(
        run(k.admin.clone(), "saveTag", renamed).await["data"]["saveTag"]["created"],
        false
    );
    let tags = app
        .as_key(None, r#"{ tags(locale: "en") { slug name } }"#, json!({}))
        .await;
    let names: Vec<&Value> = tags["data"]["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["slug"] == "new-topic")
        .map(|t| &t["name"])
        .collect();
    assert_eq!(names, [&json!("A new topic")], "{tags:#}");
    let category =
        json!({ "slug": "clinic-news", "source_locale": "ja", "medical": false, "name": { "ja": "お知らせ" } });
    // A category whose articles need no sign-off is an ADMIN key's call.
    assert_eq!(
        code(&run(k.editor.clone(), "saveCategory", category.clone()).await),
        "FORBIDDEN"
    );
    let body = because(
        k.admin.clone(),
        "saveCategory",
        category,
        Some("clinic news, not medicine"),
    )
    .await;
    assert_eq!(body["data"]["saveCategory"]["created"], true, "{body:#}");
    // Whether a category needs a sign-off at all is an ADMIN key's call.
    let flipped = json!({ "slug": "regenerative-medicine", "source_locale": "ja", "medical": false, "name": { "ja": "再生医療コラム" } });
    assert_eq!(code(&run(k.editor.clone(), "saveCategory", flipped).await), "FORBIDDEN");
    let body = run(
        k.editor.clone(),
        "saveCategory",
        json!({ "slug": "clinic-news", "name": { "ja": "x" } }),
    )
    .await;
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("source_locale"), "a missing field is named: {message}");

    // A supervisor's profile is replaced in place: the article keeps her.
    // Who she is (title, qualifications) is an ADMIN key's to change.
    common::supervised_by_fiction(&app, "exosome-effects-and-side-effects").await;
    let profile = json!({
        "slug": common::PHYSICIAN, "source_locale": "ja",
        "profile": { "ja": { "name": "見本花子", "title": "院長（更新）" } },
        "qualifications": [{ "kind": "LICENSE", "name": { "ja": "医師免許" } }],
    });
    assert_eq!(
        code(&run(k.editor.clone(), "saveSupervisor", profile.clone()).await),
        "FORBIDDEN"
    );
    let body = because(k.admin.clone(), "saveSupervisor", profile, Some("she became director")).await;
    assert_eq!(body["data"]["saveSupervisor"]["created"], false, "{body:#}");
    let seen = app
        .as_key(
            None,
            r#"{ article(slug: "exosome-effects-and-side-effects", locale: "ja") { contributors { supervisor { slug title qualifications { name } } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        seen["data"]["article"]["contributors"][0]["supervisor"],
        json!({ "slug": common::PHYSICIAN, "title": "院長（更新）", "qualifications": [{ "name": "医師免許" }] }),
        "{seen:#}"
    );
}

async fn a_scheduled_revision_goes_live_at_its_time_even_after_a_restart(backend: Backend) {
    let Some(database) = common::TestDatabase::create(backend).await else {
        return;
    };
    let app = TestApp::spawn_on(&database.url, |_| {}).await;
    let k = keys(&app).await;
    let column = "exosome-effects-and-side-effects";
    common::supervised_by_fiction(&app, column).await;
    assert_eq!(
        edit_heading(&app, &k.editor, column, 1, "what-is-an-exosome", "予定の改訂").await["data"]["editSection"]["revision"],
        2
    );
    assert_eq!(
        sign(&app, &k.physician, column, 2).await["data"]["signOff"]["revision"],
        2
    );
    let at = chrono::Utc::now() + chrono::Duration::hours(1);
    let body = app
        .as_key(
            Some(&k.admin),
            "mutation($input: PublishInput!) { publish(input: $input) { status revision scheduledAt } }",
            json!({ "input": { "slug": column, "revision": 2, "publishAt": at.to_rfc3339(), "lintOverrideReason": OVERRIDE } }),
        )
        .await;
    assert_eq!(body["data"]["publish"]["status"], "PUBLISHED", "{body:#}");
    assert!(body["data"]["publish"]["scheduledAt"].is_string(), "{body:#}");
    // Not yet: readers keep revision 1.
    assert_eq!(
        api::editorial::workflow::publish_due(
            &app.db,
            &api::editorial::lint::Rules::builtin(),
            &app.followers,
            chrono::Utc::now()
        )
        .await
        .expect("runs"),
        0
    );
    assert_eq!(page(&app, None, column, "ja").await["revision"], 1);

    // Another instance on the same database (a restart) finds the
    // schedule and, once it is due, publishes revision 2.
    let restarted = TestApp::spawn_on(&database.url, |_| {}).await;
    let later = at + chrono::Duration::minutes(1);
    assert_eq!(
        api::editorial::workflow::publish_due(
            &restarted.db,
            &api::editorial::lint::Rules::builtin(),
            &restarted.followers,
            later
        )
        .await
        .expect("runs"),
        1
    );
    let public = page(&restarted, None, column, "ja").await;
    assert_eq!(public["revision"], 2);
    assert_eq!(heading(&public, "what-is-an-exosome"), "予定の改訂");
    assert_eq!(public["reviewedBySupervisor"], true);
    assert_eq!(
        api::editorial::workflow::publish_due(
            &restarted.db,
            &api::editorial::lint::Rules::builtin(),
            &restarted.followers,
            later
        )
        .await
        .expect("runs"),
        0,
        "once"
    );

    // An edit after scheduling cancels the schedule: what was checked is
    // no longer the newest revision.
    assert_eq!(
        edit_heading(&app, &k.editor, column, 2, "what-is-an-exosome", "三度目").await["data"]["editSection"]["revision"],
        3
    );
    assert_eq!(
        sign(&app, &k.physician, column, 3).await["data"]["signOff"]["revision"],
        3
    );
    let body = app
        .as_key(
            Some(&k.admin),
            "mutation($input: PublishInput!) { publish(input: $input) { scheduledAt } }",
            json!({ "input": { "slug": column, "revision": 3, "publishAt": at.to_rfc3339(), "lintOverrideReason": OVERRIDE } }),
        )
        .await;
    assert!(body["data"]["publish"]["scheduledAt"].is_string(), "{body:#}");
    assert_eq!(
        edit_heading(&app, &k.editor, column, 3, "what-is-an-exosome", "四度目").await["data"]["editSection"]["revision"],
        4
    );
    assert_eq!(
        api::editorial::workflow::publish_due(&app.db, &api::editorial::lint::Rules::builtin(), &app.followers, later)
            .await
            .expect("runs"),
        0
    );
    assert_eq!(page(&app, None, column, "ja").await["revision"], 2);

    // A schedule whose sign-off no longer holds at its time is dropped,
    // and says so, rather than going live whenever one turns up.
    assert_eq!(
        sign(&app, &k.physician, column, 4).await["data"]["signOff"]["revision"],
        4
    );
    let body = app
        .as_key(
            Some(&k.admin),
            "mutation($input: PublishInput!) { publish(input: $input) { scheduledAt } }",
            json!({ "input": { "slug": column, "revision": 4, "publishAt": at.to_rfc3339(), "lintOverrideReason": OVERRIDE } }),
        )
        .await;
    assert!(body["data"]["publish"]["scheduledAt"].is_string(), "{body:#}");
    let seen = app
        .as_key(
            Some(&k.editor),
            "query($s: String!) { article(slug: $s) { scheduledRevision scheduledAt } }",
            json!({ "s": column }),
        )
        .await;
    assert_eq!(seen["data"]["article"]["scheduledRevision"], 4, "{seen:#}");
    let public = app
        .as_key(
            None,
            "query($s: String!) { article(slug: $s) { scheduledRevision } }",
            json!({ "s": column }),
        )
        .await;
    assert_eq!(public["data"]["article"]["scheduledRevision"], Value::Null);
    let narrowed = app
        .as_key(
            Some(&k.physician),
            "mutation($input: SignOffInput!) { signOff(input: $input) { revision } }",
            json!({ "input": { "slug": column, "revision": 4, "locales": ["en"], "claims": false } }),
        )
        .await;
    assert_eq!(narrowed["data"]["signOff"]["revision"], 4, "{narrowed:#}");
    assert_eq!(
        api::editorial::workflow::publish_due(&app.db, &api::editorial::lint::Rules::builtin(), &app.followers, later)
            .await
            .expect("runs"),
        0
    );
    let audit = app
        .as_key(Some(&k.admin), "{ auditLog(first: 5) { actor action } }", json!({}))
        .await;
    assert_eq!(
        audit["data"]["auditLog"][0],
        json!({ "actor": "scheduler", "action": "SCHEDULE_DROPPED" }),
        "{audit:#}"
    );
    assert_eq!(
        sign(&app, &k.physician, column, 4).await["data"]["signOff"]["revision"],
        4
    );
    assert_eq!(
        api::editorial::workflow::publish_due(&app.db, &api::editorial::lint::Rules::builtin(), &app.followers, later)
            .await
            .expect("runs"),
        0,
        "dropped for good"
    );
    assert_eq!(page(&app, None, column, "ja").await["revision"], 2);
}

async fn a_published_article_with_the_longest_slug_can_be_edited(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&api::content::Bundle::from_yaml(MORE).expect("parses"))
        .await
        .expect("imports");
    let k = keys(&app).await;
    let slug = "a".repeat(200);
    let mut doc = small_article(&slug);
    doc["category"] = json!("clinic-news");
    create_article(&app, &k.editor, doc).await;
    for field in ["submitForReview", "approve", "publish"] {
        let body = step(&app, &k.admin, field, &slug, 1).await;
        assert!(body.get("errors").is_none(), "{body:#}");
    }
    let edited = edit_heading(&app, &k.editor, &slug, 1, "body", "v2").await;
    assert_eq!(edited["data"]["editSection"]["revision"], 2, "{edited:#}");
}

async fn a_reviewer_is_named_to_readers_only_once_he_signed_off(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&api::content::Bundle::from_yaml(MORE).expect("parses"))
        .await
        .expect("imports");
    let k = keys(&app).await;
    let (_, reviewer) = auth::create_key_for(&app.db, Role::Supervisor, "Dr. Other", Some("other-physician"))
        .await
        .expect("key");
    let column = "exosome-effects-and-side-effects";
    common::supervised_by_fiction(&app, column).await;
    let mut doc = document(&app, &k.editor, column, 1).await;
    doc["contributors"]
        .as_array_mut()
        .expect("contributors")
        .push(json!({ "supervisor": "other-physician", "role": "REVIEWER" }));
    assert_eq!(
        save(&app, &k.editor, column, 1, &doc).await["data"]["saveArticle"]["revision"],
        2
    );
    assert_eq!(
        sign(&app, &k.physician, column, 2).await["data"]["signOff"]["revision"],
        2
    );
    let published = publish_overriding(&app, &k.admin, column, 2).await;
    assert_eq!(published["data"]["publish"]["status"], "PUBLISHED", "{published:#}");
    let seen = r#"query($s: String!) {
      article(slug: $s, locale: "ja") { contributors { role supervisor { slug } } }
      supervisor(slug: "other-physician") { slug }
      articles(filter: { supervisor: "other-physician" }) { totalCount }
    }"#;
    let public = app.as_key(None, seen, json!({ "s": column })).await;
    assert_eq!(
        public["data"]["article"]["contributors"],
        json!([{ "role": "SUPERVISOR", "supervisor": { "slug": common::PHYSICIAN } }]),
        "the reviewer reviewed nothing yet: {public:#}"
    );
    assert_eq!(public["data"]["supervisor"], Value::Null);
    assert_eq!(public["data"]["articles"]["totalCount"], 0);
    // He reviews revision 2 and signs it off: now readers see his name.
    let signed = sign(&app, &reviewer, column, 2).await;
    assert_eq!(signed["data"]["signOff"]["revision"], 2, "{signed:#}");
    let public = app.as_key(None, seen, json!({ "s": column })).await;
    let roles: Vec<&Value> = public["data"]["article"]["contributors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| &c["role"])
        .collect();
    assert_eq!(roles, [&json!("SUPERVISOR"), &json!("REVIEWER")], "{public:#}");
    assert_eq!(public["data"]["supervisor"]["slug"], "other-physician");
    assert_eq!(public["data"]["articles"]["totalCount"], 1);
}

db_tests!(
    a_published_article_with_the_longest_slug_can_be_edited,
    a_reviewer_is_named_to_readers_only_once_he_signed_off,
    a_scheduled_revision_goes_live_at_its_time_even_after_a_restart,
    references_tags_and_categories_are_saved_in_place,
    the_sample_column_walks_through_an_edit_that_voids_its_sign_off,
    two_edits_from_one_revision_one_wins_one_conflicts,
    a_pending_revision_is_judged_by_its_own_category_and_physicians,
    each_role_edits_only_what_it_may,
    sections_are_added_moved_deleted_and_restored,
    a_translation_step_on_an_unpublished_revision_is_refused,
);
db_properties!(the_public_sees_only_signed_off_published_revisions);
