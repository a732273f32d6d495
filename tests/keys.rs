//! API keys: bearer tokens stored only as hashes, one role each; wrong,
//! malformed and revoked keys are refused alike; each key has a rate limit;
//! keyed answers are never cached or shared.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::editorial::auth;
use common::{Backend, TestApp, TestDatabase};
use entity::enums::Role;
use serde_json::{Value, json};

const VIEWER: &str = "{ viewer { role keyName } }";

/// POSTs `query` with `Authorization: Bearer token`, returning the status,
/// the headers and the body.
async fn as_key(app: &TestApp, token: &str, query: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(json!({ "query": query }).to_string())
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.expect("JSON body");
    (status, headers, body)
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("<none>")
}

async fn a_key_names_its_role_and_the_public_needs_none(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, token) = auth::create_key(&app.db, Role::Editor, "column desk")
        .await
        .expect("key");
    let (status, headers, body) = as_key(&app, &token, VIEWER).await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(
        body["data"]["viewer"],
        json!({ "role": "EDITOR", "keyName": "column desk" })
    );
    // What a key reads may hold drafts: no shared cache may keep it.
    assert_eq!(headers["cache-control"], "private, no-store");
    assert_eq!(headers["cdn-cache-control"], "no-store");
    assert!(headers.get("etag").is_none() && headers.get("surrogate-key").is_none());

    let public = app.gql(VIEWER, json!({})).await;
    assert_eq!(public.data()["viewer"], json!({ "role": null, "keyName": null }));
}

async fn wrong_malformed_and_revoked_keys_are_refused_alike(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (key, token) = auth::create_key(&app.db, Role::Admin, "to be revoked")
        .await
        .expect("key");
    let (status, _, _) = as_key(&app, &token, VIEWER).await;
    assert_eq!(status, 200);

    // A well-formed token that was never issued: the same length and alphabet.
    let mut forged = token.clone();
    forged.replace_range(10..11, if &token[10..11] == "A" { "B" } else { "A" });
    auth::revoke_key(&app.db, &key.prefix).await.expect("revoke by prefix");
    let mut messages = Vec::new();
    for sent in [forged.as_str(), token.as_str(), "not-a-kiji-token", ""] {
        let (status, headers, body) = as_key(&app, sent, VIEWER).await;
        assert_eq!(status, 401, "{sent}: {body:#}");
        assert_eq!(code(&body), "UNAUTHENTICATED");
        assert_eq!(headers["www-authenticate"], "Bearer");
        assert!(body.get("data").is_none(), "nothing is answered: {body:#}");
        messages.push(body["errors"][0]["message"].clone());
    }
    assert!(
        messages.windows(2).all(|w| w[0] == w[1]),
        "an answer must not tell a revoked key from a wrong one: {messages:?}"
    );

    // A valid key beside another header value is ambiguous: refused.
    let (_, valid) = auth::create_key(&app.db, Role::Editor, "valid").await.expect("key");
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {valid}"))
        .header("authorization", "Bearer kiji_other")
        .body(json!({ "query": VIEWER }).to_string())
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 401);
}

async fn keys_are_stored_only_as_hashes(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, token) = auth::create_key(&app.db, Role::Preview, "app preview")
        .await
        .expect("key");
    let (_, other) = auth::create_key(&app.db, Role::Preview, "app preview")
        .await
        .expect("key");
    assert_ne!(token, other, "every token is new");
    let listed = auth::list_keys(&app.db).await.expect("list");
    assert_eq!(listed.len(), 2);
    for row in &listed {
        let stored = format!("{row:?}");
        assert!(!stored.contains(&token) && !stored.contains(&other[5..]), "{stored}");
        assert!(token.starts_with(&row.prefix) || other.starts_with(&row.prefix));
    }
    // A prefix two keys share names neither.
    let shared = auth::revoke_key(&app.db, "kiji_").await;
    assert!(matches!(shared, Err(auth::KeyError::Ambiguous(_))), "{shared:?}");
    let unknown = auth::revoke_key(&app.db, "0192f0c1-0000-7000-8000-000000000000").await;
    assert!(matches!(unknown, Err(auth::KeyError::NotFound(_))), "{unknown:?}");
}

async fn a_key_over_its_rate_limit_waits_and_others_do_not(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| config.key_rate_limit = 3).await else {
        return;
    };
    let (_, busy) = auth::create_key(&app.db, Role::Editor, "busy").await.expect("key");
    let (_, calm) = auth::create_key(&app.db, Role::Editor, "calm").await.expect("key");
    for _ in 0..3 {
        assert_eq!(as_key(&app, &busy, VIEWER).await.0, 200);
    }
    let (status, headers, body) = as_key(&app, &busy, VIEWER).await;
    assert_eq!(status, 429, "{body:#}");
    assert_eq!(code(&body), "RATE_LIMITED");
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(
        (1..=20).contains(&retry_after),
        "one request per 20 s comes back: {retry_after}"
    );
    assert_eq!(as_key(&app, &calm, VIEWER).await.0, 200, "the limit is per key");
    assert_eq!(app.gql(VIEWER, json!({})).await.status, 200, "the public is not keyed");
}

db_tests!(
    a_key_names_its_role_and_the_public_needs_none,
    wrong_malformed_and_revoked_keys_are_refused_alike,
    keys_are_stored_only_as_hashes,
    a_key_over_its_rate_limit_waits_and_others_do_not,
);

async fn the_command_line_prints_a_token_once_and_revokes_it(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let kiji = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_kiji"))
            .args(["--database-url", &database.url, "--log", "warn", "keys"])
            .args(args)
            .output()
            .expect("kiji runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.success(), stdout, stderr)
    };
    // The physician the key speaks for must exist: the app loads the sample.
    let app = TestApp::spawn_on(&database.url, |_| {}).await;
    let (ok, _, stderr) = kiji(&["create", "--role", "supervisor", "--name", "Dr. review"]);
    assert!(
        !ok && stderr.contains("--supervisor"),
        "a SUPERVISOR key names its physician: {stderr}"
    );
    let (ok, created, stderr) = kiji(&[
        "create",
        "--role",
        "supervisor",
        "--name",
        "Dr. review",
        "--supervisor",
        common::PHYSICIAN,
    ]);
    assert!(ok, "{stderr}");
    let token = created
        .lines()
        .find(|l| l.starts_with("kiji_"))
        .expect("the token is printed")
        .to_owned();
    assert!(
        created.contains("SUPERVISOR") && created.contains("Dr. review"),
        "{created}"
    );

    let (status, _, body) = as_key(&app, &token, VIEWER).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["viewer"]["role"], "SUPERVISOR");

    let (ok, listed, _) = kiji(&["list"]);
    assert!(ok);
    assert!(listed.contains("Dr. review") && !listed.contains(&token), "{listed}");
    let id = listed.split_whitespace().next().expect("an id").to_owned();
    let (ok, revoked, _) = kiji(&["revoke", &id]);
    assert!(ok && revoked.contains("revoked"), "{revoked}");
    assert_eq!(as_key(&app, &token, VIEWER).await.0, 401, "revocation is at once");

    let (ok, _, stderr) = kiji(&["create", "--role", "owner", "--name", "x"]);
    assert!(!ok && stderr.contains("not a role"), "{stderr}");
}

db_tests!(the_command_line_prints_a_token_once_and_revokes_it);
