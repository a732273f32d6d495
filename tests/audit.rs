//! The audit trail: who imported, created or revoked a key, or signed off
//! what, and when; readable by ADMIN keys only; a refused write leaves none.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::editorial::auth;
use common::{Backend, TestApp};
use entity::enums::Role;
use serde_json::json;

const LOG: &str = "{ auditLog(first: 10) { actor keyId action target detail } }";

async fn the_trail_names_who_did_what(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");
    common::supervised_by_fiction(&app, "exosome-effects-and-side-effects").await;
    let (physician_key, physician) =
        auth::create_key_for(&app.db, Role::Supervisor, "Dr. Mihon", Some(common::PHYSICIAN))
            .await
            .expect("key");
    let sign = r#"mutation($input: SignOffInput!) { signOff(input: $input) { revision } }"#;
    let stale = json!({ "input": { "slug": "regenerative-medicine-law-risk-classes", "revision": 1, "locales": ["ja"], "claims": false } });
    let refused = app.as_key(Some(&physician), sign, stale).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "CONFLICT");
    let current = json!({ "input": { "slug": "exosome-effects-and-side-effects", "revision": 1, "locales": ["ja"], "claims": false } });
    let signed = app.as_key(Some(&physician), sign, current).await;
    assert!(signed.get("errors").is_none(), "{signed:#}");
    auth::revoke_key(&app.db, &physician_key.id.to_string())
        .await
        .expect("revoke");

    let log = app.as_key(Some(&admin), LOG, json!({})).await;
    let entries = log["data"]["auditLog"].as_array().expect("entries").clone();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        actions,
        [
            "KEY_REVOKE",
            "SIGN_OFF",
            "KEY_CREATE",
            "KEY_CREATE",
            "IMPORT",
            "LINT_OVERRIDE"
        ],
        "newest first; the refused sign-off left nothing: {entries:#?}"
    );
    assert_eq!(
        entries[1],
        json!({
            "actor": "Dr. Mihon", "keyId": physician_key.id.to_string(), "action": "SIGN_OFF",
            "target": "article:exosome-effects-and-side-effects",
            "detail": "revision 1; locales ja; claims not reviewed; under profile revision 1"
        })
    );
    assert_eq!(entries[0]["actor"], "command line");
    assert_eq!(
        entries[4]["actor"], "command line",
        "the sample was imported at start-up"
    );
    // With the override its published column needs, and the reason for it.
    assert_eq!(entries[5]["target"], "article:exosome-effects-and-side-effects");
    let detail = entries[5]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("DISC-UNAPPROVED") && detail.contains("reason: Sample column kept verbatim"),
        "{detail}"
    );
}

async fn only_admins_read_the_trail(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let public = app.as_key(None, LOG, json!({})).await;
    assert_eq!(public["errors"][0]["extensions"]["code"], "FORBIDDEN");
    for role in [Role::Editor, Role::Translator, Role::Preview] {
        let (_, token) = auth::create_key(&app.db, role, "not admin").await.expect("key");
        let body = app.as_key(Some(&token), LOG, json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{role:?}");
    }
}

db_tests!(the_trail_names_who_did_what, only_admins_read_the_trail);
