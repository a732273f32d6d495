//! Test harness: every test gets its own application on a random local port
//! with its own fresh database, SQLite or PostgreSQL, and talks to it over
//! HTTP like any client.
//!
//! PostgreSQL tests need `DATABASE_URL=postgres://…` naming a server where the
//! user may create databases; each test creates `kiji_test_<uuid>` there and
//! drops it afterwards. Without such a URL they are skipped with a notice —
//! except under `CI`, where a skipped PostgreSQL test would be a silent hole,
//! so they fail instead.

#![allow(dead_code)]

use std::path::PathBuf;

use api::Config;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A fresh SQLite file in the temp directory.
    Sqlite,
    /// A fresh database on the server named by `DATABASE_URL`.
    Postgres,
}

/// Generates one `#[tokio::test]` per backend for each listed async test
/// function taking a [`Backend`]: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::common::Backend::Postgres).await
            }
        }
    )*};
}

/// Like [`db_tests!`] for synchronous test functions taking a [`Backend`],
/// such as property tests driven by [`property`].
#[macro_export]
macro_rules! db_properties {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name($crate::common::Backend::Sqlite)
            }
            #[test]
            fn postgres() {
                super::$name($crate::common::Backend::Postgres)
            }
        }
    )*};
}

/// Runs a property test against one application with its own database:
/// proptest generates (and on failure shrinks) the cases on this thread,
/// and each case runs on the application's runtime. `check` gets the case
/// number, so every case can write under names of its own.
pub fn property<S: proptest::strategy::Strategy>(
    backend: Backend,
    cases: u32,
    strategy: S,
    check: impl AsyncFn(&TestApp, usize, S::Value),
) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let Some(app) = runtime.block_on(TestApp::spawn(backend)) else {
        return;
    };
    let config = proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let case = std::cell::Cell::new(0);
    let result = runner.run(&strategy, |value| {
        case.set(case.get() + 1);
        runtime.block_on(check(&app, case.get(), value));
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{backend:?}: {failure}");
    }
}

/// A running application with its own database.
pub struct TestApp {
    /// `http://127.0.0.1:port`
    pub base: String,
    /// Where `/metrics` is served when `--metrics-listen` put it apart.
    pub metrics_base: Option<String>,
    /// Direct connection, for setting up content through the importer.
    pub db: DatabaseConnection,
    /// What a write by this application wakes: an import a test makes
    /// through it is seen at once, as a server's own writes are.
    pub followers: api::store::write::Followers,
    /// HTTP client.
    pub client: reqwest::Client,
    _database: Option<TestDatabase>,
}

/// The GraphQL endpoint's answer.
pub struct GqlResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type` header.
    pub content_type: String,
    /// Parsed body.
    pub body: Value,
    /// The body as sent, for what parsing loses (the order of keys).
    pub text: String,
}

impl GqlResponse {
    /// `data` of a response that must have no errors.
    pub fn data(&self) -> &Value {
        assert!(self.body.get("errors").is_none(), "unexpected errors: {:#}", self.body);
        &self.body["data"]
    }

    /// `extensions.code` of every error.
    pub fn codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["extensions"]["code"].as_str().unwrap_or("<none>").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Message of the first error.
    pub fn first_message(&self) -> String {
        self.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// `extensions.code` of the first error of a JSON answer.
pub fn first_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("<none>")
}

impl TestApp {
    /// An application with the sample content; `None` when the backend is
    /// not available outside CI.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// An application whose configuration `adjust` may change first.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Option<Self> {
        let database = TestDatabase::create(backend).await?;
        let mut app = Self::spawn_on(&database.url, adjust).await;
        app._database = Some(database);
        Some(app)
    }

    /// Another instance on the database at `url`, which the caller keeps.
    pub async fn spawn_on(url: &str, adjust: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::with_database(url.to_owned());
        adjust(&mut config);
        let state = api::build_state(&config).await.expect("application starts");
        let db = state.db.clone();
        let followers = state.followers.clone();
        // `--metrics-listen`: /metrics on an address of its own, as `serve`
        // does it.
        let metrics_base = match config.metrics_listen {
            Some(_) => {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a local port");
                let addr = listener.local_addr().expect("local address");
                let router = api::http::metrics_router(&state, &config);
                tokio::spawn(async move {
                    let _ = axum::serve(listener, router).await;
                });
                Some(format!("http://{addr}"))
            }
            None => None,
        };
        let router = api::app(state, &config);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a local port");
        let addr = listener.local_addr().expect("local address");
        tokio::spawn(async move {
            let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
            let _ = axum::serve(listener, service).await;
        });
        Self {
            base: format!("http://{addr}"),
            metrics_base,
            db,
            followers,
            client: reqwest::Client::new(),
            _database: None,
        }
    }

    /// Imports `bundle` as `kiji import` does, waking this application's
    /// response cache as its own writes do.
    pub async fn import(
        &self,
        bundle: &api::content::Bundle,
    ) -> Result<api::content::import::ImportReport, api::content::import::ImportError> {
        api::editorial::import::import(&self.db, bundle, &self.followers).await
    }

    /// The URL of this application's database, for a second instance on it.
    pub fn database_url(&self) -> String {
        self._database.as_ref().map(|d| d.url.clone()).unwrap_or_default()
    }

    /// The text of `/metrics`.
    async fn metrics_text(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("metrics reachable")
            .text()
            .await
            .expect("metrics body")
    }

    /// A number from `/metrics`: the first sample whose line starts with
    /// `prefix` (name and labels), 0 when there is none.
    pub async fn metric(&self, prefix: &str) -> f64 {
        let text = self.metrics_text().await;
        text.lines()
            .find_map(|line| line.strip_prefix(prefix))
            .and_then(|rest| rest.trim().split(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    /// POSTs a GraphQL request as JSON with the given extra headers.
    pub async fn post(&self, body: &Value, headers: &[(&str, &str)]) -> GqlResponse {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .header("content-type", "application/json")
            .body(body.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::read(request.send().await.expect("request sent")).await
    }

    /// Sends `query` with `variables`, with `Authorization: Bearer token`
    /// when given, and returns the JSON body.
    pub async fn as_key(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = bearer.iter().map(|b| ("authorization", b.as_str())).collect();
        self.post(&json!({ "query": query, "variables": variables }), &headers)
            .await
            .body
    }

    /// Runs a query with variables; the response must be 200.
    pub async fn gql(&self, query: &str, variables: Value) -> GqlResponse {
        let response = self.post(&json!({ "query": query, "variables": variables }), &[]).await;
        assert_eq!(response.status, 200, "body: {:#}", response.body);
        response
    }

    /// Sends any request to a path and reads the answer.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> GqlResponse {
        Self::read(request.send().await.expect("request sent")).await
    }

    async fn read(response: reqwest::Response) -> GqlResponse {
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await.expect("body read");
        let body = match serde_json::from_str(&text) {
            Ok(json) => json,
            Err(_) => Value::String(text.clone()),
        };
        GqlResponse {
            status,
            content_type,
            body,
            text,
        }
    }

    /// SQL statements the application has sent so far, read from `/metrics`.
    pub async fn statements(&self) -> u64 {
        let text = self.metrics_text().await;
        text.lines()
            .find_map(|line| line.strip_prefix("kiji_db_statements_total "))
            .and_then(|v| v.trim().parse().ok())
            .expect("kiji_db_statements_total in /metrics")
    }
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    /// Connection URL of the database.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Files(Vec<PathBuf>),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A fresh, empty database; `None` when the backend is not available
    /// outside CI.
    pub async fn create(backend: Backend) -> Option<Self> {
        let id = uuid::Uuid::now_v7().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("kiji-test-{id}.db"));
                let files = ["", "-wal", "-shm"]
                    .iter()
                    .map(|suffix| PathBuf::from(format!("{}{suffix}", path.display())))
                    .collect();
                Some(Self {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    cleanup: Cleanup::Files(files),
                })
            }
            Backend::Postgres => {
                let Some(admin_url) = postgres_url() else {
                    assert!(
                        std::env::var_os("CI").is_none(),
                        "CI must run the PostgreSQL tests: set DATABASE_URL=postgres://…"
                    );
                    eprintln!("skipped: set DATABASE_URL=postgres://… to run the PostgreSQL variant");
                    return None;
                };
                let name = format!("kiji_test_{id}");
                let admin = Database::connect(&admin_url).await.expect("PostgreSQL reachable");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create the test database");
                admin.close().await.ok();
                Some(Self {
                    url: with_database_name(&admin_url, &name),
                    cleanup: Cleanup::Postgres { admin_url, name },
                })
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Files(files) => {
                for file in files {
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime, which cannot block on
                // async work; a short-lived thread with its own runtime can.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
                    if let Ok(runtime) = runtime {
                        runtime.block_on(async {
                            if let Ok(admin) = Database::connect(&admin_url).await {
                                let _ = admin
                                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                                    .await;
                                let _ = admin.close().await;
                            }
                        });
                    }
                })
                .join();
            }
        }
    }
}

/// The PostgreSQL server URL tests may create databases on.
pub fn postgres_url() -> Option<String> {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| url.starts_with("postgres://") || url.starts_with("postgresql://"))
}

/// `url` with its database name replaced by `name`.
fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(query) => format!("{root}/{name}?{query}"),
        None => format!("{root}/{name}"),
    }
}

/// The full article-page query a web frontend sends for one column page.
pub const ARTICLE_PAGE: &str = r#"
query ArticlePage($slug: String!, $locale: Locale) {
  article(slug: $slug, locale: $locale) {
    slug title lead locale isFallback availableLocales publishedAt revision
    intro { ...Blocks }
    category { slug name locale }
    tags { slug name }
    tableOfContents { anchor heading level children { anchor heading level children { anchor heading level } } }
    contributors {
      role signedOffRevision signedOffAt signedOffCurrentRevision
      supervisor {
        name affiliation locale
        qualifications { kind name }
        career { text organization role }
      }
    }
    sections { ...Section children { ...Section children { ...Section children { ...Section } } } }
    references { key title doi pmid link citation }
  }
}
fragment Section on Section {
  anchor heading level kind locale isFallback availableLocales
  blocks { ...Blocks }
  claims { kind evidenceLevel text locale references { locator reference { key doi pmid link } } }
}
fragment Blocks on Block {
  __typename
  ... on ParagraphBlock { text }
  ... on ListBlock { ordered items { text list { ordered items { text } } } }
  ... on QuestionAnswerBlock { question answer }
  ... on NoteBlock { tone title text }
}
"#;

/// The sample's fictional physician. Tests and walkthroughs sign off as
/// her, never as a real person.
pub const PHYSICIAN: &str = "hanako-mihon";

/// The sample column's real supervising physician: tests read his name,
/// and never sign in it.
pub const REAL_PHYSICIAN: &str = "shinichi-suita";

/// A SUPERVISOR key for the fictional physician.
pub async fn physician_key(app: &TestApp, name: &str) -> String {
    api::editorial::auth::create_key_for(&app.db, entity::enums::Role::Supervisor, name, Some(PHYSICIAN))
        .await
        .expect("a key for the fictional physician")
        .1
}

/// In this test's database only, makes the fictional physician the
/// supervisor of sample article `slug` in place of the real one, with his
/// recorded sign-off: a test that signs the sample column off then does it
/// in a fictional name.
pub async fn supervised_by_fiction(app: &TestApp, slug: &str) {
    use entity::{article, article_supervisor, sign_off, supervisor};
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let id_of = |slug: &'static str| async move {
        supervisor::Entity::find()
            .filter(supervisor::Column::Slug.eq(slug))
            .one(&app.db)
            .await
            .expect("reads")
            .expect("the sample's physicians")
            .id
    };
    let (fiction, real) = (id_of(PHYSICIAN).await, id_of(REAL_PHYSICIAN).await);
    let article = article::Entity::find()
        .filter(article::Column::Slug.eq(slug))
        .one(&app.db)
        .await
        .expect("reads")
        .expect("the article")
        .id;
    article_supervisor::Entity::update_many()
        .col_expr(article_supervisor::Column::SupervisorId, Expr::value(fiction))
        .filter(article_supervisor::Column::ArticleId.eq(article))
        .filter(article_supervisor::Column::SupervisorId.eq(real))
        .exec(&app.db)
        .await
        .expect("swaps the link");
    sign_off::Entity::update_many()
        .col_expr(sign_off::Column::SupervisorId, Expr::value(fiction))
        .filter(sign_off::Column::ArticleId.eq(article))
        .filter(sign_off::Column::SupervisorId.eq(real))
        .exec(&app.db)
        .await
        .expect("swaps the sign-off");
}

/// The Node.js packages tests run against Kiji (`tests/js`): real GraphQL
/// clients, and the reference Standard Webhooks verifier.
pub mod js {
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::Mutex;

    /// One install per test binary: the two backends' tests share it.
    static INSTALLED: Mutex<Option<bool>> = Mutex::new(None);

    pub fn dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("js")
    }

    /// Installs the clients (`npm ci`, from the committed lock file); `false`
    /// when Node.js is not there outside CI.
    pub fn install() -> bool {
        let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(done) = *installed {
            return done;
        }
        let has_node = Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !has_node {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run the JavaScript client tests: install Node.js and npm"
            );
            eprintln!("skipped: no Node.js on PATH");
            *installed = Some(false);
            return false;
        }
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(dir())
            .status()
            .expect("npm runs");
        assert!(status.success(), "npm ci failed in tests/js");
        *installed = Some(true);
        true
    }
}
