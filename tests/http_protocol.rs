//! GraphQL over HTTP as the specification asks, and bad input answered with
//! a JSON error and `extensions.code` — never a 500, a panic or SQL text.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use common::{Backend, GqlResponse, TestApp};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

fn assert_error_body(response: &GqlResponse, status: u16, code: &str) {
    assert_eq!(response.status, status, "body: {:#}", response.body);
    assert!(
        response.content_type.contains("json"),
        "content type {}",
        response.content_type
    );
    assert_eq!(response.codes(), [code], "body: {:#}", response.body);
    assert!(!response.first_message().is_empty());
}

async fn malformed_http_requests_get_json_errors_with_4xx(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let url = format!("{}/graphql", app.base);

    let wrong_type = app
        .send(
            app.client
                .post(&url)
                .header("content-type", "text/plain")
                .body("{ categories { slug } }"),
        )
        .await;
    assert_error_body(&wrong_type, 415, "BAD_REQUEST");
    let no_type = app
        .send(app.client.post(&url).body(r#"{"query":"{ categories { slug } }"}"#))
        .await;
    assert_error_body(&no_type, 415, "BAD_REQUEST");

    for (body, needle) in [
        ("{\"query\":", "not valid JSON"),
        ("[]", "batched"),
        ("42", "JSON object"),
        ("{}", "no `query`"),
        ("{\"query\": 1}", "`query` must be a string"),
        (
            "{\"query\": \"{ categories { slug } }\", \"variables\": [1]}",
            "`variables`",
        ),
        (
            "{\"query\": \"{ categories { slug } }\", \"operationName\": 7}",
            "`operationName`",
        ),
    ] {
        let response = app
            .send(
                app.client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
        assert_error_body(&response, 400, "BAD_REQUEST");
        assert!(
            response.first_message().contains(needle),
            "{body}: {}",
            response.first_message()
        );
    }

    let too_large = oversized_post(&app).await;
    assert!(too_large.starts_with("HTTP/1.1 413"), "{too_large}");
    assert!(too_large.contains("\"code\":\"BAD_REQUEST\""), "{too_large}");

    let html_only = app
        .send(
            app.client
                .post(&url)
                .header("content-type", "application/json")
                .header("accept", "text/html")
                .body("{}"),
        )
        .await;
    assert_error_body(&html_only, 406, "BAD_REQUEST");

    let nowhere = app.send(app.client.get(format!("{}/nowhere", app.base))).await;
    assert_error_body(&nowhere, 404, "NOT_FOUND");
}

/// Announces a 1 MiB body but sends only its start, then reads the answer.
/// (A client library that insists on writing the whole body may hit a
/// closed connection first: the server answers as soon as it sees the
/// length, without reading a body it will refuse.)
async fn oversized_post(app: &TestApp) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{{\"query\": \"",
        1 << 20
    );
    stream.write_all(head.as_bytes()).await.expect("write the request head");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

async fn request_errors_are_400_under_graphql_response_json_and_200_under_json(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    for (query, code) in [
        ("{ categories { slug ", "GRAPHQL_PARSE_FAILED"),
        ("{ categories { noSuchField } }", "GRAPHQL_VALIDATION_FAILED"),
        (
            "{ articles(first: \"ten\") { totalCount } }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ] {
        let modern = app
            .post(&json!({ "query": query }), &[("accept", GRAPHQL_RESPONSE)])
            .await;
        assert_error_body(&modern, 400, code);
        assert_eq!(modern.content_type, GRAPHQL_RESPONSE);
        assert!(modern.body.get("data").is_none(), "a request error has no data entry");

        let legacy = app
            .post(&json!({ "query": query }), &[("accept", "application/json")])
            .await;
        assert_error_body(&legacy, 200, code);
        assert_eq!(legacy.content_type, "application/json");
        assert!(legacy.body.get("data").is_none());
    }

    // A field error is not a request error: 200 with `data`, in both.
    let field_error = app
        .post(
            &json!({ "query": "{ articles(first: 500) { totalCount } }" }),
            &[("accept", GRAPHQL_RESPONSE)],
        )
        .await;
    assert_eq!(field_error.status, 200);
    assert!(field_error.body.get("data").is_some());
    assert_eq!(field_error.codes(), ["BAD_USER_INPUT"]);
}

async fn queries_work_over_get_but_mutations_do_not(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let get = |params: Vec<(&'static str, String)>| {
        let request = app.client.get(format!("{}/graphql", app.base)).query(&params);
        app.send(request)
    };
    let ok = get(vec![
        ("query", "query($s: String!) { article(slug: $s) { title } }".into()),
        (
            "variables",
            json!({ "s": "exosome-effects-and-side-effects" }).to_string(),
        ),
    ])
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.data()["article"]["title"], "エクソソームの効果と副作用を解説");

    let mutation = get(vec![("query", "mutation { publish }".into())]).await;
    assert_error_body(&mutation, 405, "BAD_REQUEST");

    let bad_variables = get(vec![
        ("query", "{ categories { slug } }".into()),
        ("variables", "{oops".into()),
    ])
    .await;
    assert_error_body(&bad_variables, 400, "BAD_REQUEST");

    let no_query = get(vec![]).await;
    assert_error_body(&no_query, 400, "BAD_REQUEST");
}

async fn unknown_slugs_are_null_without_errors(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let response = app
        .gql(
            r#"{ article(slug: "no-such-article") { title } supervisor(slug: "nobody") { name } }"#,
            json!({}),
        )
        .await;
    assert_eq!(response.data(), &json!({ "article": null, "supervisor": null }));
}

async fn database_failures_are_internal_without_sql(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.db
        .execute_unprepared("DROP TABLE claim_reference")
        .await
        .expect("drop a table to break the database");
    let response = app
        .gql(
            r#"{ article(slug: "exosome-effects-and-side-effects") { title sections { claims { references { locator } } } } }"#,
            json!({}),
        )
        .await;
    assert!(response.codes().iter().all(|c| c == "INTERNAL"), "{:#}", response.body);
    let text = response.body.to_string().to_lowercase();
    for leak in [
        "select",
        "claim_reference",
        "sqlite",
        "postgres",
        "no such table",
        "relation",
    ] {
        assert!(!text.contains(leak), "response leaks `{leak}`: {text}");
    }
    assert_eq!(response.first_message(), "internal error");
}

async fn health_metrics_and_graphiql_are_served(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let health = app.send(app.client.get(format!("{}/healthz", app.base))).await;
    assert_eq!((health.status, health.body["status"].clone()), (200, json!("ok")));
    let ready = app.send(app.client.get(format!("{}/readyz", app.base))).await;
    assert_eq!((ready.status, ready.body["database"].clone()), (200, json!("ok")));

    let metrics = app.send(app.client.get(format!("{}/metrics", app.base))).await;
    assert_eq!(metrics.status, 200);
    let Value::String(text) = &metrics.body else {
        panic!("metrics are text")
    };
    assert!(text.contains("# TYPE kiji_db_statements counter"), "{text}");
    assert!(text.contains("kiji_http_requests_in_flight"), "{text}");

    // Latency histograms by operation and outcome, and per SQL statement;
    // operations are named only for trusted documents.
    // (Registered as `kiji operations add` does before a deployment starts:
    // an instance reads the trusted hashes when it starts.)
    let trusted = "query ColumnTitle { article(slug: \"exosome-effects-and-side-effects\") { title } }";
    api::http::documents::register(&app.db, "column-title.graphql", trusted)
        .await
        .expect("registers");
    let app = TestApp::spawn_on(&app.database_url(), |_| {}).await;
    let named = app
        .post(&json!({ "query": trusted, "operationName": "ColumnTitle" }), &[])
        .await;
    assert!(named.data()["article"]["title"].is_string());
    let by_hash = app
        .post(
            &json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": api::http::documents::sha256_hex(trusted) } } }),
            &[],
        )
        .await;
    assert!(by_hash.data()["article"]["title"].is_string());
    let untrusted = app
        .post(
            &json!({ "query": "query EditorsSecretDraftCheck { categories { slug } }" }),
            &[],
        )
        .await;
    assert!(untrusted.data()["categories"].is_array());
    let bad = app.post(&json!({ "query": "query Broken { nope }" }), &[]).await;
    assert_eq!(bad.codes(), ["GRAPHQL_VALIDATION_FAILED"]);
    // A name the document does not define never becomes a label.
    let junk = app
        .post(
            &json!({ "query": "{ categories { slug } }", "operationName": "Junk123" }),
            &[],
        )
        .await;
    assert!(!junk.codes().is_empty());
    let metrics = app.send(app.client.get(format!("{}/metrics", app.base))).await;
    let Value::String(text) = &metrics.body else {
        panic!("metrics are text")
    };
    for expected in [
        r#"kiji_graphql_request_duration_seconds_count{operation="ColumnTitle",outcome="ok"} 2"#,
        r#"kiji_graphql_request_duration_seconds_count{operation="unregistered",outcome="ok"} 1"#,
        r#"kiji_graphql_request_duration_seconds_count{operation="unregistered",outcome="rejected"} 2"#,
        r#"kiji_graphql_request_duration_seconds_bucket{le="#,
        "kiji_db_statement_duration_seconds_count ",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    for name in ["Junk123", "Broken", "EditorsSecretDraftCheck"] {
        assert!(!text.contains(name), "{name} is not a label: {text}");
    }

    let graphiql = app.send(app.client.get(format!("{}/", app.base))).await;
    assert_eq!(graphiql.status, 200);
    assert!(graphiql.content_type.starts_with("text/html"));
    let Value::String(html) = &graphiql.body else {
        panic!("GraphiQL is HTML")
    };
    assert!(html.contains("graphiql") && html.contains("/graphql"));
    assert!(
        !html.contains("https://") && !html.contains("http://"),
        "nothing from another host: {html}"
    );
    assert!(
        html.contains("exosome-effects-and-side-effects"),
        "the README's first query is pre-filled"
    );

    // Every script and stylesheet the page names is served by Kiji, with a
    // year-long cache lifetime; a wrong version is a 404.
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|part| part.starts_with("/graphiql/"))
        .collect();
    assert_eq!(assets.len(), 4, "{html}");
    for asset in assets {
        let response = app
            .client
            .get(format!("{}{asset}", app.base))
            .send()
            .await
            .expect("asset");
        assert_eq!(response.status(), 200, "{asset}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{asset}"
        );
        assert!(response.bytes().await.expect("body").len() > 10_000, "{asset}");
    }
    // The big script is sent gzip-compressed (compressed once, not per request).
    let script = undecoding_client()
        .get(format!("{}/graphiql/4.1.2/graphiql.min.js", app.base))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .expect("script");
    assert_eq!(script.headers()["content-encoding"], "gzip");
    assert!(script.bytes().await.expect("body").len() < 400_000);
    let stale = app
        .send(app.client.get(format!("{}/graphiql/0.0.1/graphiql.min.js", app.base)))
        .await;
    assert_eq!(stale.status, 404);
    assert_eq!(stale.codes(), ["NOT_FOUND"]);
}

async fn a_burst_past_the_in_flight_limit_is_turned_away_at_once(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| config.max_in_flight = 1).await else {
        return;
    };
    // The first request holds the only slot: its body has not arrived yet.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let body = r#"{"query":"{ categories { slug } }"}"#;
    let held = tokio::spawn(
        app.client
            .post(format!("{}/graphql", app.base))
            .header("content-type", "application/json")
            .header("content-length", body.len())
            .body(reqwest::Body::wrap_stream(tokio_stream_of(rx)))
            .send(),
    );
    // Wait until the server counts it in flight (metrics are exempt).
    let mut attempts = 0;
    while !app
        .send(app.client.get(format!("{}/metrics", app.base)))
        .await
        .text
        .contains("kiji_http_requests_in_flight 1")
    {
        attempts += 1;
        assert!(attempts < 10_000, "the held request never arrived");
        tokio::task::yield_now().await;
    }

    let turned_away = app.post(&json!({ "query": "{ categories { slug } }" }), &[]).await;
    assert_eq!(turned_away.status, 503, "{}", turned_away.text);
    assert_eq!(turned_away.codes(), ["OVERLOADED"]);
    let retry = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("answered");
    assert_eq!(retry.headers()["retry-after"], "1");
    let health = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), 200, "health checks are never turned away");

    tx.send(Ok(body.as_bytes().to_vec())).await.expect("send the body");
    drop(tx);
    let answered = held.await.expect("task").expect("the held request is answered");
    assert_eq!(answered.status(), 200);
    let after = app.post(&json!({ "query": "{ categories { slug } }" }), &[]).await;
    assert_eq!(after.status, 200, "the slot is free again");
    let metrics = app.send(app.client.get(format!("{}/metrics", app.base))).await;
    assert!(
        metrics.text.contains("kiji_http_requests_overloaded_total 2"),
        "{}",
        metrics.text
    );
}

/// A body stream fed from a channel.
fn tokio_stream_of(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

async fn browsers_on_any_origin_may_read_without_credentials(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let url = format!("{}/graphql", app.base);
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://clinic.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type, accept-language")
        .send()
        .await
        .expect("preflight");
    assert_eq!(preflight.status(), 200);
    let headers = preflight.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    let methods = headers["access-control-allow-methods"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(methods.contains("POST") && methods.contains("GET"), "{methods}");
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        allowed.contains("content-type") && allowed.contains("accept-language"),
        "{allowed}"
    );
    assert!(headers.get("access-control-allow-credentials").is_none());

    let read = app
        .client
        .post(&url)
        .header("origin", "https://clinic.example")
        .header("content-type", "application/json")
        .body(r#"{"query":"{ categories { slug } }"}"#)
        .send()
        .await
        .expect("read");
    assert_eq!(read.status(), 200);
    assert_eq!(read.headers()["access-control-allow-origin"], "*");
}

async fn cors_can_be_limited_to_configured_origins(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| {
        config.cors_origins = vec![axum::http::HeaderValue::from_static("https://clinic.example")];
    })
    .await
    else {
        return;
    };
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let allowed = preflight("https://clinic.example").await.expect("preflight");
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://clinic.example"
    );
    let read = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("origin", "https://clinic.example")
        .header("content-type", "application/json")
        .body(r#"{"query":"{ categories { slug } }"}"#)
        .send()
        .await
        .expect("read");
    let vary = read
        .headers()
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap_or_default().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(",");
    assert!(vary.contains("origin"), "a shared cache must key on the origin: {vary}");
    let other = preflight("https://elsewhere.example").await.expect("preflight");
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

/// A client that leaves compressed bodies as they were sent.
fn undecoding_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_brotli()
        .no_gzip()
        .build()
        .expect("client")
}

async fn answers_are_compressed_when_the_client_accepts_it(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let body = json!({ "query": common::ARTICLE_PAGE, "variables": { "slug": "exosome-effects-and-side-effects" } })
        .to_string();
    let raw = undecoding_client();
    let plain = raw
        .post(format!("{}/graphql", app.base))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .expect("plain");
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.bytes().await.expect("body");
    for encoding in ["br", "gzip"] {
        let compressed = raw
            .post(format!("{}/graphql", app.base))
            .header("content-type", "application/json")
            .header("accept-encoding", encoding)
            .body(body.clone())
            .send()
            .await
            .expect("compressed");
        assert_eq!(compressed.headers()["content-encoding"], encoding);
        let vary = compressed
            .headers()
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap_or_default().to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(",");
        assert!(vary.contains("accept-encoding"), "{vary}");
        let size = compressed.bytes().await.expect("body").len();
        eprintln!("column page: {} bytes, {encoding} {size} bytes", plain.len());
        assert!(size * 3 < plain.len(), "{encoding}: {size} of {}", plain.len());
    }
    // A client that decodes gets exactly the uncompressed answer.
    let decoded = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("content-type", "application/json")
        .header("accept-encoding", "br")
        .body(body)
        .send()
        .await
        .expect("decoded")
        .bytes()
        .await
        .expect("body");
    assert_eq!(decoded, plain);
    // Small answers are not worth compressing.
    let small = raw
        .get(format!("{}/healthz", app.base))
        .header("accept-encoding", "br")
        .send()
        .await
        .expect("health");
    assert!(small.headers().get("content-encoding").is_none());
}

db_tests!(
    malformed_http_requests_get_json_errors_with_4xx,
    request_errors_are_400_under_graphql_response_json_and_200_under_json,
    queries_work_over_get_but_mutations_do_not,
    unknown_slugs_are_null_without_errors,
    database_failures_are_internal_without_sql,
    health_metrics_and_graphiql_are_served,
    a_burst_past_the_in_flight_limit_is_turned_away_at_once,
    browsers_on_any_origin_may_read_without_credentials,
    cors_can_be_limited_to_configured_origins,
    answers_are_compressed_when_the_client_accepts_it,
);
