//! `signOff`: a supervising physician signs off the current revision of an
//! article; readers see it at once; a stale revision is a `CONFLICT`; no
//! other role may sign.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::editorial::auth;
use common::{Backend, TestApp, first_code as code};
use entity::enums::Role;
use serde_json::json;

const SIGN: &str = r#"mutation($input: SignOffInput!) {
  signOff(input: $input) { slug revision locales claims signedOffAt }
}"#;

const READ: &str = r#"query($slug: String!, $locale: Locale) {
  article(slug: $slug, locale: $locale) {
    reviewedBySupervisor
    contributors { role signedOffRevision signedOffLocales signedOffClaims supervisor { slug } }
    claims { reviewedBySupervisor }
  }
}"#;

const COLUMN: &str = "exosome-effects-and-side-effects";
const LAW: &str = "regenerative-medicine-law-risk-classes";

/// A key for the fictional physician, made the column's supervisor in
/// this test's database: nothing here signs in a real person's name.
async fn physician(app: &TestApp) -> String {
    common::supervised_by_fiction(app, COLUMN).await;
    common::physician_key(app, "Dr. Mihon").await
}

async fn a_sign_off_is_seen_by_readers_at_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let en = json!({ "slug": COLUMN, "locale": "en" });
    // Read twice: the second answer comes from the response cache.
    for _ in 0..2 {
        let before = app.as_key(None, READ, en.clone()).await;
        assert_eq!(before["data"]["article"]["reviewedBySupervisor"], false);
    }
    let token = physician(&app).await;
    let input = json!({ "input": { "slug": COLUMN, "revision": 1, "locales": ["ja", "en"], "claims": true } });
    let signed = app.as_key(Some(&token), SIGN, input).await;
    assert_eq!(signed["data"]["signOff"]["locales"], json!(["en", "ja"]), "{signed:#}");
    assert_eq!(signed["data"]["signOff"]["claims"], true);

    let after = app.as_key(None, READ, en).await;
    let article = &after["data"]["article"];
    assert_eq!(
        article["reviewedBySupervisor"], true,
        "the cached answer was dropped: {after:#}"
    );
    assert!(
        article["claims"]
            .as_array()
            .expect("claims")
            .iter()
            .all(|c| c["reviewedBySupervisor"] == true)
    );
    assert_eq!(
        article["contributors"],
        json!([{ "role": "SUPERVISOR", "signedOffRevision": 1, "signedOffLocales": ["en", "ja"],
                 "signedOffClaims": true, "supervisor": { "slug": common::PHYSICIAN } }])
    );
}

async fn a_stale_revision_is_a_conflict_naming_the_current_one(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let token = physician(&app).await;
    let stale = json!({ "input": { "slug": LAW, "revision": 1, "locales": ["ja"], "claims": false } });
    let body = app.as_key(Some(&token), SIGN, stale).await;
    assert_eq!(code(&body), "CONFLICT", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["currentRevision"], 2);
    let unchanged = app.as_key(None, READ, json!({ "slug": LAW, "locale": "ja" })).await;
    assert_eq!(
        unchanged["data"]["article"]["contributors"],
        json!([]),
        "nothing was signed"
    );

    // The current revision, but the article does not name this physician:
    // a key cannot attach a name to any article it likes.
    let current = json!({ "input": { "slug": LAW, "revision": 2, "locales": ["ja"], "claims": false } });
    let body = app.as_key(Some(&token), SIGN, current).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body:#}");
    let still = app.as_key(None, READ, json!({ "slug": LAW, "locale": "ja" })).await;
    assert_eq!(still["data"]["article"]["contributors"], json!([]));
    assert_eq!(still["data"]["article"]["reviewedBySupervisor"], false);

    let missing = json!({ "input": { "slug": COLUMN, "revision": 1, "locales": ["ko"], "claims": false } });
    let body = app.as_key(Some(&token), SIGN, missing).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
}

async fn only_a_supervisor_key_signs_off(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let input = json!({ "input": { "slug": COLUMN, "revision": 1, "locales": ["en"], "claims": true } });
    let before = api::store::changes::latest(&app.db).await.expect("latest");
    let public = app.as_key(None, SIGN, input.clone()).await;
    assert_eq!(code(&public), "FORBIDDEN", "{public:#}");
    for role in [Role::Editor, Role::Admin, Role::Preview] {
        let (_, token) = auth::create_key(&app.db, role, "not a physician").await.expect("key");
        let body = app.as_key(Some(&token), SIGN, input.clone()).await;
        assert_eq!(code(&body), "FORBIDDEN", "{role:?}: {body:#}");
    }
    // Refused before anything is looked up: the same answer for an article
    // that does not exist.
    let (_, token) = auth::create_key(&app.db, Role::Editor, "editor").await.expect("key");
    let nowhere = json!({ "input": { "slug": "no-such-article", "revision": 1, "locales": ["en"], "claims": true } });
    assert_eq!(code(&app.as_key(Some(&token), SIGN, nowhere).await), "FORBIDDEN");
    assert_eq!(
        api::store::changes::latest(&app.db).await.expect("latest"),
        before,
        "nothing was written"
    );
    let en = app.as_key(None, READ, json!({ "slug": COLUMN, "locale": "en" })).await;
    assert_eq!(en["data"]["article"]["reviewedBySupervisor"], false);
}

db_tests!(
    a_sign_off_is_seen_by_readers_at_once,
    a_stale_revision_is_a_conflict_naming_the_current_one,
    only_a_supervisor_key_signs_off,
);
