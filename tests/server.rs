//! The `kiji` binary as a user runs it: options documented in `--help`, bad
//! configuration refused clearly, a fresh database migrated and loaded with
//! the sample, and a clean exit on SIGTERM.

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
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
        assert!(help.contains(&format!("env: {env}")), "--help lacks env {env}");
    }
    for command in ["serve", "import", "print-schema"] {
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

db_tests!(fresh_database_is_migrated_loaded_and_served_until_sigterm);
