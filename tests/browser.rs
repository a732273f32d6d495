//! Kiji in a real browser: headless Chromium, driven through the DevTools
//! protocol, with every host but 127.0.0.1 unreachable, as on a clinic
//! intranet or an offline laptop.
//!
//! Chromium is Debian's `chromium` package (`.ci/run` installs it; set
//! `KIJI_CHROMIUM` to use another binary). Without it these tests are
//! skipped with a notice, except under `CI`, where they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use std::path::PathBuf;
use std::time::Duration;

use axum::response::Html;
use chromiumoxide::cdp::browser_protocol::network::EventRequestWillBeSent;
use chromiumoxide::{Browser, BrowserConfig, Page};
use common::{Backend, TestApp};
use futures_util::StreamExt;
use serde_json::json;
use tokio::net::TcpListener;

/// How long any one step in the browser may take before the test fails.
const STEP: Duration = Duration::from_secs(30);

/// The Chromium binary, or `None` (outside CI) when there is none.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("KIJI_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the browser tests: install Debian's `chromium` or set KIJI_CHROMIUM"
    );
    eprintln!("skipped: no Chromium at {} (set KIJI_CHROMIUM)", path.display());
    None
}

/// A headless Chromium that can reach 127.0.0.1 and nothing else.
struct Chromium {
    browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    profile: PathBuf,
}

impl Chromium {
    async fn launch() -> Option<Self> {
        let executable = chromium()?;
        let profile = std::env::temp_dir().join(format!("kiji-chromium-{}", uuid::Uuid::now_v7().simple()));
        let config = BrowserConfig::builder()
            .chrome_executable(executable)
            .new_headless_mode()
            .no_sandbox()
            .user_data_dir(&profile)
            .launch_timeout(STEP)
            .request_timeout(STEP)
            .args([
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--no-first-run",
                // Any other host resolves to nothing: a page that needs the
                // internet fails here as it would offline.
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            ])
            .build()
            .expect("browser configuration");
        let (browser, mut events) = Browser::launch(config).await.expect("Chromium starts");
        let handler = tokio::spawn(async move { while events.next().await.is_some() {} });
        Some(Self {
            browser,
            handler,
            profile,
        })
    }

    async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.handler.abort();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Evaluates `script` (which may return a promise) within [`STEP`].
async fn eval<T: serde::de::DeserializeOwned>(page: &Page, script: &str) -> T {
    tokio::time::timeout(STEP, page.evaluate_expression(script))
        .await
        .unwrap_or_else(|_| panic!("timed out: {script}"))
        .unwrap_or_else(|err| panic!("{err}: {script}"))
        .into_value()
        .unwrap_or_else(|err| panic!("{err}: {script}"))
}

/// A promise that resolves with `expr` once it is truthy, checked on every
/// animation frame: the browser waits for the page, the test waits for the
/// browser.
fn when(expr: &str) -> String {
    format!(
        "new Promise(resolve => {{ const check = () => {{ let v; try {{ v = ({expr}); }} catch (_) {{}} \
         if (v) resolve(v); else requestAnimationFrame(check); }}; check(); }})"
    )
}

async fn english_title(app: &TestApp) -> String {
    let response = app
        .gql(
            r#"{ article(slug: "exosome-effects-and-side-effects", locale: "en") { title } }"#,
            json!({}),
        )
        .await;
    response.data()["article"]["title"]
        .as_str()
        .expect("a title")
        .to_owned()
}

async fn graphiql_runs_the_prefilled_query_with_no_network_beyond_localhost(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let title = english_title(&app).await;
    let page = chromium.browser.new_page("about:blank").await.expect("a tab");
    let mut requests = page
        .event_listener::<EventRequestWillBeSent>()
        .await
        .expect("network events");
    page.goto(format!("{}/", app.base)).await.expect("GraphiQL loads");

    let editor: String = eval(
        &page,
        &when("document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"),
    )
    .await;
    assert!(
        editor.contains("exosome-effects-and-side-effects"),
        "pre-filled: {editor}"
    );
    let button = page
        .find_element(".graphiql-execute-button")
        .await
        .expect("the run button");
    button.click().await.expect("click");
    let result: String = eval(
        &page,
        &when(&format!(
            "(() => {{ const v = document.querySelector('.result-window .CodeMirror').CodeMirror.getValue(); \
             return v.includes({}) && v; }})()",
            serde_json::to_string(&title).expect("json")
        )),
    )
    .await;
    let answer: serde_json::Value = serde_json::from_str(&result).expect("GraphiQL shows JSON");
    assert_eq!(answer["data"]["article"]["title"], title.as_str());
    assert!(
        answer["data"]["article"]["tableOfContents"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );

    let mut urls = Vec::new();
    while let Some(Some(event)) = futures_util::FutureExt::now_or_never(requests.next()) {
        urls.push(event.request.url.clone());
    }
    assert!(urls.iter().any(|u| u.ends_with("/graphql")), "{urls:?}");
    let foreign: Vec<&String> = urls
        .iter()
        .filter(|u| !u.starts_with(&app.base) && !u.starts_with("data:") && !u.starts_with("about:"))
        .collect();
    assert!(foreign.is_empty(), "requests to other hosts: {foreign:?}");
    chromium.close().await;
}

async fn a_page_on_another_origin_fetches_an_article(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let title = english_title(&app).await;
    // A web frontend on another origin (another port), calling Kiji the way
    // a browser application does: fetch with a JSON body, so the browser
    // sends a CORS preflight first.
    let frontend = format!(
        r#"<!doctype html><meta charset="utf-8"><p id="result">loading</p>
<script>
fetch({endpoint}, {{
  method: "POST",
  headers: {{ "content-type": "application/json", "accept-language": "en" }},
  body: JSON.stringify({{ query: "{{ article(slug: \"exosome-effects-and-side-effects\") {{ title locale }} }}" }})
}})
  .then(r => r.json())
  .then(j => {{ document.getElementById("result").textContent = j.data.article.title; }})
  .catch(e => {{ document.getElementById("result").textContent = "failed: " + e; }});
</script>"#,
        endpoint = serde_json::to_string(&format!("{}/graphql", app.base)).expect("json")
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let origin = format!("http://{}", listener.local_addr().expect("address"));
    let site = axum::Router::new().route("/", axum::routing::get(move || async move { Html(frontend) }));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, site).await;
    });

    let page = chromium.browser.new_page("about:blank").await.expect("a tab");
    page.goto(format!("{origin}/")).await.expect("the frontend loads");
    let shown: String = eval(
        &page,
        &when("(t => t !== 'loading' && t)(document.getElementById('result').textContent)"),
    )
    .await;
    assert_eq!(shown, title, "the cross-origin fetch succeeded");
    server.abort();
    chromium.close().await;
}

/// A web frontend's article page, rendered on its server from the API's
/// answer: the hero image as `<img srcset sizes width height alt>`.
async fn an_article_page_shows_its_hero_image_from_srcset(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let picture = image::RgbImage::from_fn(1400, 700, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut png = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut png, image::ImageFormat::Png)
        .expect("encodes");
    let stored = api::editorial::media::add(
        &app.db,
        &Default::default(),
        &app.followers,
        api::editorial::audit::Actor::CommandLine,
        true,
        api::editorial::media::NewImage {
            bytes: png.into_inner(),
            alt: vec![
                (
                    api::locale::Locale::parse("ja").unwrap(),
                    "エクソソームのイメージ図".to_owned(),
                ),
                (
                    api::locale::Locale::parse("en").unwrap(),
                    "An illustration of exosomes".to_owned(),
                ),
            ],
            ..Default::default()
        },
    )
    .await
    .expect("stored");
    api::editorial::media::set_hero(
        &app.db,
        &app.followers,
        api::editorial::audit::Actor::CommandLine,
        true,
        "exosome-effects-and-side-effects",
        Some(stored.id),
    )
    .await
    .expect("set");
    let answer = app
        .gql(
            r#"{ article(slug: "exosome-effects-and-side-effects", locale: "en") {
                 title heroImage { alt width height srcset(format: WEBP) url(width: 640, format: JPEG) } } }"#,
            json!({}),
        )
        .await;
    let hero = &answer.data()["article"]["heroImage"];
    let absolute = |list: &str| {
        list.split(", ")
            .map(|c| format!("{}{c}", app.base))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let attr = |v: &serde_json::Value| v.as_str().unwrap().replace('"', "&quot;");
    let fallback = format!("{}{}", app.base, hero["url"].as_str().unwrap());
    let page = format!(
        r#"<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<h1>{title}</h1>
<img id="hero" srcset="{srcset}" sizes="(max-width: 700px) 100vw, 700px" src="{fallback}"
     width="{w}" height="{h}" alt="{alt}">"#,
        title = attr(&answer.data()["article"]["title"]),
        srcset = absolute(hero["srcset"].as_str().unwrap()),
        w = hero["width"],
        h = hero["height"],
        alt = attr(&hero["alt"]),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let origin = format!("http://{}", listener.local_addr().expect("address"));
    let site = axum::Router::new().route("/", axum::routing::get(move || async move { Html(page) }));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, site).await;
    });
    let tab = chromium.browser.new_page("about:blank").await.expect("a tab");
    tab.goto(format!("{origin}/")).await.expect("the page loads");
    let source: String = eval(
        &tab,
        &when("(i => i.complete && i.naturalWidth > 0 && i.currentSrc)(document.getElementById('hero'))"),
    )
    .await;
    // The browser chose a WebP variant from the srcset and decoded it; the
    // file it chose is as wide as its URL says.
    assert!(
        source.starts_with(&format!("{}/media/", app.base)) && source.ends_with(".webp"),
        "{source}"
    );
    let named: u32 = source
        .rsplit('/')
        .next()
        .unwrap()
        .trim_end_matches(".webp")
        .parse()
        .unwrap();
    let offered: Vec<u32> = hero["srcset"]
        .as_str()
        .unwrap()
        .split(", ")
        .map(|c| c.rsplit(' ').next().unwrap().trim_end_matches('w').parse().unwrap())
        .collect();
    assert!(offered.contains(&named), "{named} of {offered:?}");
    let decoded: u32 = eval(
        &tab,
        "(async () => { const i = new Image(); i.src = document.getElementById('hero').currentSrc; \
         await i.decode(); return i.naturalWidth; })()",
    )
    .await;
    assert_eq!(decoded, named);
    let alt: String = eval(&tab, "document.getElementById('hero').alt").await;
    assert_eq!(alt, "An illustration of exosomes");
    server.abort();
    chromium.close().await;
}

db_tests!(
    graphiql_runs_the_prefilled_query_with_no_network_beyond_localhost,
    a_page_on_another_origin_fetches_an_article,
    an_article_page_shows_its_hero_image_from_srcset,
);
