//! Sitemaps: an index and one file per locale, valid against the Sitemaps
//! protocol's XSD, listing every published translation with hreflang
//! alternates that point at each other, and nothing else; `Article.alternates`
//! gives a page head the same links.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use api::content::Bundle;
use api::editorial::auth;
use common::{Backend, TestApp};
use entity::enums::Role;
use serde_json::json;

const TEMPLATE: &str = "https://clinic.example/{locale}/columns/{slug}";

/// Validates `xml` against `schema` (in `tests/fixtures/sitemaps`) with
/// libxml2's `xmllint`; `None` when xmllint is missing outside CI (under
/// CI a missing validator fails the test: `.ci/run` installs it).
fn validate(xml: &str, schema: &str) -> Option<Result<(), String>> {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sitemaps");
    let file = std::env::temp_dir().join(format!("kiji-sitemap-{}.xml", uuid::Uuid::now_v7()));
    std::fs::write(&file, xml).unwrap();
    let run = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(fixtures.join(schema))
        .arg(&file)
        .output();
    let _ = std::fs::remove_file(&file);
    match run {
        Ok(out) if out.status.success() => Some(Ok(())),
        Ok(out) => Some(Err(String::from_utf8_lossy(&out.stderr).into_owned())),
        Err(_) if std::env::var_os("CI").is_some() => panic!("xmllint (libxml2-utils) is needed to validate sitemaps"),
        Err(_) => {
            eprintln!("xmllint is not installed: sitemaps not validated against the XSD");
            None
        }
    }
}

/// The `<url>` entries of a sitemap: loc → (lastmod, hreflang → href).
fn urls(xml: &str) -> BTreeMap<String, (String, BTreeMap<String, String>)> {
    let between = |s: &str, a: &str, b: &str| -> Option<String> {
        let start = s.find(a)? + a.len();
        let end = s[start..].find(b)? + start;
        Some(s[start..end].to_owned())
    };
    xml.split("<url>")
        .skip(1)
        .map(|entry| {
            let loc = between(entry, "<loc>", "</loc>").unwrap();
            let lastmod = between(entry, "<lastmod>", "</lastmod>").unwrap_or_default();
            let links = entry
                .split("<xhtml:link ")
                .skip(1)
                .map(|l| {
                    (
                        between(l, "hreflang=\"", "\"").unwrap(),
                        between(l, "href=\"", "\"").unwrap(),
                    )
                })
                .collect();
            (loc, (lastmod, links))
        })
        .collect()
}

const NEWS: &str = r#"
categories:
  - { slug: sitemap-news, source_locale: ja, medical: false, name: { ja: お知らせ } }
articles:
  - slug: three-locales
    category: sitemap-news
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-02-01T00:00:00Z
    translations:
      ja: { title: 三言語, lead: リード, status: PUBLISHED }
      en: { title: Three locales, lead: Lead, status: PUBLISHED }
      zh-Hant: { title: 三語, lead: 導言, status: PUBLISHED }
      ko: { title: 초안, lead: 초안, status: DRAFT }
  - slug: not-yet
    category: sitemap-news
    source_locale: ja
    status: DRAFT
    translations:
      ja: { title: 下書き, lead: リード, status: DRAFT }
"#;

async fn sitemaps_list_every_published_translation_with_alternates(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| {
        c.public_url_template = vec![TEMPLATE.to_owned()];
    })
    .await
    else {
        return;
    };
    app.import(&Bundle::from_yaml(NEWS).expect("parses"))
        .await
        .expect("imports");
    let client = reqwest::Client::new();
    let index = client.get(format!("{}/sitemap.xml", app.base)).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert!(
        index.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let etag = index.headers()["etag"].to_str().unwrap().to_owned();
    let index = index.text().await.unwrap();
    if let Some(valid) = validate(&index, "siteindex.xsd") {
        valid.unwrap_or_else(|e| panic!("{e}\n{index}"));
    }
    // One file per locale with published text; none for ko (a draft).
    let files: Vec<String> = index
        .split("<loc>")
        .skip(1)
        .map(|s| s.split("</loc>").next().unwrap().to_owned())
        .collect();
    let host = app.base.trim_start_matches("http://");
    assert_eq!(
        files,
        ["en", "ja", "zh-Hant"]
            .iter()
            .map(|l| format!("http://{host}/sitemaps/{l}-0.xml"))
            .collect::<Vec<_>>(),
        "{index}"
    );
    // Asked again with its tag: 304.
    let again = client
        .get(format!("{}/sitemap.xml", app.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    let mut seen: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in &files {
        let path = file.trim_start_matches(&format!("http://{host}"));
        let xml = client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if let Some(valid) = validate(&xml, "urlset.xsd") {
            valid.unwrap_or_else(|e| panic!("{e}\n{xml}"));
        }
        for (loc, (lastmod, links)) in urls(&xml) {
            assert!(lastmod.ends_with('Z') && lastmod.len() == 20, "{lastmod}");
            seen.insert(loc, links);
        }
    }
    let url = |l: &str, s: &str| TEMPLATE.replace("{locale}", l).replace("{slug}", s);
    // Every URL listed is a published translation; drafts are not.
    assert!(seen.contains_key(&url("ja", "three-locales")));
    assert!(seen.contains_key(&url("zh-Hant", "three-locales")));
    assert!(!seen.contains_key(&url("ko", "three-locales")));
    assert!(
        !seen
            .keys()
            .any(|u| u.contains("not-yet") || u.contains("exosome-treatment-costs"))
    );
    // hreflang pairs point at each other: every alternate of a URL lists
    // the same set, itself included, with x-default on the source locale.
    for (loc, links) in &seen {
        if links.is_empty() {
            continue;
        }
        assert_eq!(links.get("x-default"), links.get("ja"), "{loc}: {links:?}");
        for (lang, href) in links.iter().filter(|(l, _)| *l != "x-default") {
            let theirs = seen
                .get(href)
                .unwrap_or_else(|| panic!("{loc} names {href} ({lang}), which is not listed"));
            assert_eq!(theirs, links, "{href} does not list the same alternates as {loc}");
        }
        assert!(links.values().any(|h| h == loc), "{loc} lists itself");
    }
    let three = &seen[&url("en", "three-locales")];
    assert_eq!(
        three.keys().cloned().collect::<BTreeSet<_>>(),
        ["en", "ja", "x-default", "zh-Hant"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    // The article alone in its locale has no alternates to name.
    assert!(seen[&url("ja", "what-is-anti-aging-medicine")].is_empty());

    // The page head gets the same links.
    let head = app
        .gql(
            r#"{ article(slug: "three-locales", locale: "en") { canonicalUrl alternates { locale hreflang url } } }"#,
            json!({}),
        )
        .await;
    let article = &head.data()["article"];
    assert_eq!(article["canonicalUrl"], url("en", "three-locales"));
    let alternates: BTreeMap<String, String> = article["alternates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["hreflang"].as_str().unwrap().to_owned(),
                a["url"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(&alternates, three, "the head's alternates are the sitemap's");

    // Archiving drops the article from its sitemaps at once.
    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");
    let archived = app
        .as_key(
            Some(&admin),
            "mutation($i: StepInput!) { archive(input: $i) { status } }",
            json!({ "i": { "slug": "three-locales", "revision": 1 } }),
        )
        .await;
    assert_eq!(archived["data"]["archive"]["status"], "ARCHIVED", "{archived:#}");
    let ja = client
        .get(format!("{}/sitemaps/ja-0.xml", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!ja.contains("three-locales"), "{ja}");
    let index = client.get(format!("{}/sitemap.xml", app.base)).send().await.unwrap();
    assert_ne!(
        index.headers()["etag"].to_str().unwrap(),
        etag,
        "the index changed with it"
    );
    assert!(!index.text().await.unwrap().contains("zh-Hant"));

    // Files that do not exist are 404 with a code, not a 500.
    for path in [
        "/sitemaps/zh-Hant-0.xml",
        "/sitemaps/ja-7.xml",
        "/sitemaps/ja-18446744073709551615.xml",
        "/sitemaps/ja-99999999999999999999999.xml",
        "/sitemaps/..%2Fetc.xml",
        "/sitemaps/ja.xml",
    ] {
        let response = client.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    }
}

async fn without_a_url_template_there_is_nothing_to_list(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = reqwest::Client::new();
    // An index must name a sitemap: without URLs to list, there is none.
    let index = client.get(format!("{}/sitemap.xml", app.base)).send().await.unwrap();
    assert_eq!(index.status(), 404);
    let file = client
        .get(format!("{}/sitemaps/ja-0.xml", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 404);
}

db_tests!(
    sitemaps_list_every_published_translation_with_alternates,
    without_a_url_template_there_is_nothing_to_list,
);
