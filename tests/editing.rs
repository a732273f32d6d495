//! Editing over the API: the sample column walked from a draft to a
//! published revision, edited, signed off again and republished; two
//! editors racing from one revision; and random sequences of edits,
//! sign-offs and workflow steps, after each of which the public must see
//! only a published, signed-off revision.

mod common;

use api::auth;
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
    let (_, physician) = auth::create_key_for(&app.db, Role::Supervisor, "Dr. Suita", Some("shinichi-suita"))
        .await
        .expect("key");
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
        status revision headRevision reviewedBySupervisor isOutdated translatedFromRevision
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
    let published = step(&app, &k.admin, "publish", WALKED, 1).await;
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
    let refused = step(&app, &k.admin, "publish", WALKED, 2).await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused:#}");
    let stale = sign(&app, &k.physician, WALKED, 1).await;
    assert_eq!(code(&stale), "CONFLICT");
    assert_eq!(stale["errors"][0]["extensions"]["currentRevision"], 2);

    // A new sign-off, then revision 2 goes out with it.
    assert_eq!(
        sign(&app, &k.physician, WALKED, 2).await["data"]["signOff"]["revision"],
        2
    );
    let public = page(&app, None, WALKED, "ja").await;
    assert_eq!(public["revision"], 1, "signing off publishes nothing");
    assert_eq!(public["contributors"][0]["signedOffRevision"], 1);
    let republished = step(&app, &k.admin, "publish", WALKED, 2).await;
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
    let created = app
        .as_key(
            Some(&k.editor),
            "mutation($input: CreateArticleInput!) { createArticle(input: $input) { revision } }",
            json!({ "input": { "document": sample_column(WALKED) } }),
        )
        .await;
    assert_eq!(created["data"]["createArticle"]["revision"], 1, "{created:#}");
    let (a, b) = tokio::join!(
        edit_heading(&app, &k.editor, WALKED, 1, "what-is-an-exosome", "見出しA"),
        edit_heading(&app, &k.admin, WALKED, 1, "what-is-an-exosome", "見出しB"),
    );
    let outcomes = [&a, &b];
    let won: Vec<&&Value> = outcomes.iter().filter(|r| r.get("errors").is_none()).collect();
    let lost: Vec<&&Value> = outcomes.iter().filter(|r| r.get("errors").is_some()).collect();
    assert_eq!((won.len(), lost.len()), (1, 1), "{a:#} {b:#}");
    assert_eq!(won[0]["data"]["editSection"]["revision"], 2);
    assert_eq!(code(lost[0]), "CONFLICT", "{:#}", lost[0]);
    assert_eq!(lost[0]["errors"][0]["extensions"]["currentRevision"], 2);
    // The winner's text is what is stored; nothing half-written.
    let winner = if a.get("errors").is_none() {
        "見出しA"
    } else {
        "見出しB"
    };
    let seen = page(&app, Some(&k.editor), WALKED, "ja").await;
    assert_eq!(heading(&seen, "what-is-an-exosome"), winner);
    assert_eq!(seen["headRevision"], 2);
    // The loser retries from the revision the error named, and both
    // edits are in the history.
    let loser = if winner == "見出しA" {
        "見出しB"
    } else {
        "見出しA"
    };
    let retried = edit_heading(&app, &k.editor, WALKED, 2, "what-is-an-exosome", loser).await;
    assert_eq!(retried["data"]["editSection"]["revision"], 3, "{retried:#}");
    let history = app
        .as_key(
            Some(&k.editor),
            "query($s: String!) { articleRevisions(slug: $s) { revisions { number } } }",
            json!({ "s": WALKED }),
        )
        .await;
    assert_eq!(
        history["data"]["articleRevisions"]["revisions"],
        json!([{ "number": 3 }, { "number": 2 }, { "number": 1 }])
    );
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
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Edit),
        2 => Just(Op::SignOff),
        1 => Just(Op::Submit),
        3 => Just(Op::Publish),
        1 => Just(Op::Schedule),
        1 => Just(Op::Archive),
    ]
}

/// Tries `steps` in order as an admin; a refusal must say why
/// (`BAD_USER_INPUT`), never fail otherwise.
async fn try_steps(app: &TestApp, admin: &str, slug: &str, head: i32, steps: &[&str], publish_at: Option<&str>) {
    for field in steps {
        let (query, mut input) = if *field == "publish" {
            (
                "mutation($input: PublishInput!) { publish(input: $input) { status } }".to_owned(),
                json!({ "slug": slug, "revision": head }),
            )
        } else {
            (
                format!("mutation($input: StepInput!) {{ {field}(input: $input) {{ status }} }}"),
                json!({ "slug": slug, "revision": head }),
            )
        };
        if let (true, Some(at)) = (*field == "publish", publish_at) {
            input["publishAt"] = json!(at);
        }
        let body = app.as_key(Some(admin), &query, json!({ "input": input })).await;
        if body.get("errors").is_some() {
            assert_eq!(code(&body), "BAD_USER_INPUT", "{field}: {body:#}");
        }
    }
}

/// A small medical article naming its supervising physician.
fn small_article(slug: &str) -> Value {
    json!({
        "slug": slug,
        "category": "regenerative-medicine",
        "source_locale": "ja",
        "status": "DRAFT",
        "contributors": [{ "supervisor": "shinichi-suita", "role": "SUPERVISOR" }],
        "translations": { "ja": { "title": "題", "lead": "リード", "status": "DRAFT" } },
        "sections": [{ "anchor": "body", "heading": { "ja": "v1" } }],
    })
}

fn the_public_sees_only_signed_off_published_revisions(backend: Backend) {
    common::property(
        backend,
        24,
        proptest::collection::vec(op(), 1..14),
        async |app: &TestApp, case: usize, ops: Vec<Op>| {
            let k = keys(app).await;
            let slug = format!("prop-{case}");
            let created = app
                .as_key(
                    Some(&k.editor),
                    "mutation($input: CreateArticleInput!) { createArticle(input: $input) { revision } }",
                    json!({ "input": { "document": small_article(&slug) } }),
                )
                .await;
            assert_eq!(created["data"]["createArticle"]["revision"], 1, "{created:#}");
            let mut head = 1;
            // Revisions a physician signed off, and each revision's heading.
            let mut signed = std::collections::HashSet::new();
            let mut headings = std::collections::HashMap::from([(1, "v1".to_owned())]);
            for op in &ops {
                match op {
                    Op::Edit => {
                        let text = format!("v{}", head + 1);
                        let body = edit_heading(app, &k.editor, &slug, head, "body", &text).await;
                        assert!(body.get("errors").is_none(), "{op:?}: {body:#}");
                        head += 1;
                        headings.insert(head, text);
                    }
                    Op::SignOff => {
                        let body = sign(app, &k.physician, &slug, head).await;
                        assert!(body.get("errors").is_none(), "{op:?}: {body:#}");
                        signed.insert(head);
                    }
                    Op::Submit => try_steps(app, &k.admin, &slug, head, &["submitForReview"], None).await,
                    Op::Publish => {
                        let steps = ["submitForReview", "approve", "publish"];
                        try_steps(app, &k.admin, &slug, head, &steps, None).await;
                    }
                    Op::Schedule => {
                        let steps = ["submitForReview", "approve", "publish"];
                        try_steps(app, &k.admin, &slug, head, &steps, Some("2999-01-01T00:00:00Z")).await;
                    }
                    Op::Archive => try_steps(app, &k.admin, &slug, head, &["archive"], None).await,
                }
                let public = page(app, None, &slug, "ja").await;
                if public.is_null() {
                    continue;
                }
                let revision = public["revision"].as_i64().unwrap_or(0) as i32;
                assert!(
                    signed.contains(&revision),
                    "after {ops:?} the public reads revision {revision}, which was never signed off"
                );
                assert_eq!(
                    Some(heading(&public, "body")),
                    headings.get(&revision).map(String::as_str),
                    "after {ops:?} the public reads text that is not revision {revision}'s"
                );
                assert_eq!(public["status"], "PUBLISHED");
                assert_eq!(public["reviewedBySupervisor"], true, "after {ops:?}");
            }
        },
    );
}

db_tests!(
    the_sample_column_walks_through_an_edit_that_voids_its_sign_off,
    two_edits_from_one_revision_one_wins_one_conflicts,
);
db_properties!(the_public_sees_only_signed_off_published_revisions);
