//! The `kiji` binary as a user runs it: options documented in `--help`, bad
//! configuration refused clearly, a fresh database migrated and loaded with
//! the sample, and a clean exit on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Backend, TestDatabase};
use serde_json::json;

const KIJI: &str = env!("CARGO_BIN_EXE_kiji");

#[test]
fn help_documents_every_option_with_its_environment_variable() {
    let output = Command::new(KIJI).arg("--help").output().expect("kiji runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for (flag, env) in [
        ("--listen", "KIJI_LISTEN"),
        ("--database-url", "DATABASE_URL"),
        ("--db-max-connections", "KIJI_DB_MAX_CONNECTIONS"),
        ("--default-locale", "KIJI_DEFAULT_LOCALE"),
        ("--fallback-locales", "KIJI_FALLBACK_LOCALES"),
        ("--load-sample", "KIJI_LOAD_SAMPLE"),
        ("--request-timeout-secs", "KIJI_REQUEST_TIMEOUT_SECS"),
        ("--shutdown-grace-secs", "KIJI_SHUTDOWN_GRACE_SECS"),
        ("--log", "KIJI_LOG"),
        ("--log-format", "KIJI_LOG_FORMAT"),
        ("--max-in-flight", "KIJI_MAX_IN_FLIGHT"),
        ("--cors-origins", "KIJI_CORS_ORIGINS"),
        ("--max-tokens", "KIJI_MAX_TOKENS"),
        ("--max-nesting", "KIJI_MAX_NESTING"),
        ("--max-depth", "KIJI_MAX_DEPTH"),
        ("--max-fields", "KIJI_MAX_FIELDS"),
        ("--max-aliases", "KIJI_MAX_ALIASES"),
        ("--max-directives", "KIJI_MAX_DIRECTIVES"),
        ("--max-operations", "KIJI_MAX_OPERATIONS"),
        ("--max-variables", "KIJI_MAX_VARIABLES"),
        ("--response-cache-mb", "KIJI_RESPONSE_CACHE_MB"),
        ("--cache-max-age", "KIJI_CACHE_MAX_AGE"),
        ("--cache-stale-while-revalidate", "KIJI_CACHE_STALE_WHILE_REVALIDATE"),
        ("--change-poll-ms", "KIJI_CHANGE_POLL_MS"),
        ("--trusted-documents-only", "KIJI_TRUSTED_DOCUMENTS_ONLY"),
        ("--key-rate-limit", "KIJI_KEY_RATE_LIMIT"),
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
        assert!(help.contains(&format!("env: {env}")), "--help lacks env {env}");
    }
    for command in ["serve", "import", "print-schema", "operations", "keys"] {
        assert!(help.contains(command), "--help lacks the {command} command");
    }
}

#[test]
fn invalid_configuration_is_refused_naming_the_option() {
    let output = Command::new(KIJI)
        .args(["--default-locale", "no such locale", "print-schema"])
        .output()
        .expect("kiji runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--default-locale"), "{stderr}");
    assert!(stderr.contains("no such locale"), "{stderr}");

    let output = Command::new(KIJI)
        .args(["--max-in-flight", "0", "print-schema"])
        .output()
        .expect("kiji runs");
    assert!(!output.status.success(), "a cap of 0 would refuse every request");
    assert!(String::from_utf8_lossy(&output.stderr).contains("--max-in-flight"));

    let output = Command::new(KIJI)
        .args(["--listen", "nowhere:port"])
        .output()
        .expect("kiji runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--listen"));
}

/// Starts the binary on a free port and returns it with its base URL, read
/// from the address it prints.
fn start(database_url: &str) -> (Child, String) {
    let mut child = Command::new(KIJI)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            database_url,
            "--log",
            "warn",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("kiji starts");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines.next().expect("kiji prints its address").expect("readable stdout");
        if let Some(url) = line.trim().strip_prefix("GraphiQL: ") {
            break url.trim_end_matches('/').to_owned();
        }
    };
    // Keep reading, so the server's stdout never fills or closes under it.
    std::thread::spawn(move || lines.for_each(drop));
    (child, base)
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("wait on kiji") {
            return status;
        }
        assert!(Instant::now() < deadline, "kiji did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn fresh_database_is_migrated_loaded_and_served_until_sigterm(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (mut child, base) = start(&database.url);
    let client = reqwest::Client::new();
    let ready = client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("readyz answers");
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": "{ article(slug: \"exosome-effects-and-side-effects\", locale: \"en\") { title } }" }))
        .send()
        .await
        .expect("graphql answers")
        .json()
        .await
        .expect("json body");
    assert_eq!(
        body["data"]["article"]["title"],
        "Exosomes: Effects and Side Effects Explained"
    );

    let status = terminate(&mut child);
    assert!(status.success(), "kiji exits cleanly on SIGTERM: {status:?}");

    // A second start on the same database neither re-migrates destructively
    // nor loads the sample twice.
    let (mut child, base) = start(&database.url);
    let body: serde_json::Value = client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": "{ articles { totalCount } }" }))
        .send()
        .await
        .expect("graphql answers")
        .json()
        .await
        .expect("json body");
    assert_eq!(body["data"]["articles"]["totalCount"], 3);
    assert!(terminate(&mut child).success());
}

/// Runs `kiji import` on an empty database with the given log options and
/// returns what it wrote to stderr (migrations log at `info`).
async fn import_logs(backend: Backend, options: &[&str]) -> Option<String> {
    let database = TestDatabase::create(backend).await?;
    let file = std::env::temp_dir().join(format!("kiji-logs-{}.yaml", uuid::Uuid::now_v7().simple()));
    std::fs::write(
        &file,
        "categories:\n  - { slug: logs, source_locale: en, name: { en: Logs } }\n",
    )
    .expect("write");
    let output = Command::new(KIJI)
        .args(["--database-url", &database.url, "--log", "info"])
        .args(options)
        .arg("import")
        .arg(&file)
        .output()
        .expect("kiji runs");
    let _ = std::fs::remove_file(&file);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    Some(String::from_utf8_lossy(&output.stderr).into_owned())
}

async fn logs_are_json_lines_on_request_and_never_colour_escapes_in_files(backend: Backend) {
    let Some(json_logs) = import_logs(backend, &["--log-format", "json"]).await else {
        return;
    };
    let lines: Vec<&str> = json_logs.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "migrations log at info");
    for line in lines {
        let event: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(event["level"].is_string() && event["timestamp"].is_string(), "{line}");
    }
    let Some(text_logs) = import_logs(backend, &[]).await else {
        return;
    };
    assert!(!text_logs.trim().is_empty());
    assert!(
        !text_logs.contains('\u{1b}'),
        "no ANSI escapes when stderr is not a terminal: {text_logs:?}"
    );
}

db_tests!(
    fresh_database_is_migrated_loaded_and_served_until_sigterm,
    logs_are_json_lines_on_request_and_never_colour_escapes_in_files,
);
