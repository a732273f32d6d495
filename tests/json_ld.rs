//! JSON-LD as search engines and partners' pages read it: every type and
//! property is checked against the schema.org vocabulary (release 12.0,
//! shipped in `tests/fixtures`, CC BY-SA 3.0 by schema.org), dates are
//! ISO 8601, and a physician is named as a reviewer only where their
//! sign-off covers the text shown.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use std::collections::{HashMap, HashSet};

use common::{Backend, TestApp};
use serde_json::Value;

const SLUG: &str = "exosome-effects-and-side-effects";

/// The vocabulary: each class's superclasses, each property's domains and
/// ranges.
struct Vocabulary {
    parents: HashMap<String, Vec<String>>,
    domains: HashMap<String, Vec<String>>,
    ranges: HashMap<String, Vec<String>>,
}

fn ids(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().flat_map(ids).collect(),
        Value::Object(o) => o
            .get("@id")
            .and_then(Value::as_str)
            .map(|id| vec![id.trim_start_matches("schema:").to_owned()])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

impl Vocabulary {
    fn load() -> Self {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/schemaorg-12.0-current-https.jsonld"
        );
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut vocabulary = Self {
            parents: HashMap::new(),
            domains: HashMap::new(),
            ranges: HashMap::new(),
        };
        for node in doc["@graph"].as_array().unwrap() {
            let id = node["@id"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("schema:")
                .to_owned();
            let kinds: Vec<&str> = match &node["@type"] {
                Value::String(t) => vec![t.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if kinds.contains(&"rdfs:Class") || node.get("rdfs:subClassOf").is_some() {
                vocabulary.parents.insert(id.clone(), ids(&node["rdfs:subClassOf"]));
            }
            if kinds.contains(&"rdf:Property") {
                vocabulary
                    .domains
                    .insert(id.clone(), ids(&node["schema:domainIncludes"]));
                vocabulary.ranges.insert(id, ids(&node["schema:rangeIncludes"]));
            }
        }
        vocabulary
    }

    /// `class` and every class above it.
    fn lineage(&self, class: &str) -> HashSet<String> {
        let mut seen = HashSet::new();
        let mut todo = vec![class.to_owned()];
        while let Some(next) = todo.pop() {
            if seen.insert(next.clone()) {
                todo.extend(self.parents.get(&next).cloned().unwrap_or_default());
            }
        }
        seen
    }

    /// Checks `node` (of type `@type`) and everything in it; returns the
    /// problems found.
    fn check(&self, node: &Value, path: &str, problems: &mut Vec<String>) {
        let Some(object) = node.as_object() else {
            return;
        };
        let Some(kind) = object.get("@type").and_then(Value::as_str) else {
            problems.push(format!("{path}: no @type"));
            return;
        };
        if !self.parents.contains_key(kind) {
            problems.push(format!("{path}: {kind} is not a schema.org type"));
            return;
        }
        let lineage = self.lineage(kind);
        for (property, value) in object {
            if property.starts_with('@') {
                continue;
            }
            let Some(domains) = self.domains.get(property) else {
                problems.push(format!("{path}.{property}: not a schema.org property"));
                continue;
            };
            if !domains.iter().any(|d| lineage.contains(d)) {
                problems.push(format!("{path}.{property}: not a property of {kind} ({domains:?})"));
            }
            let ranges = &self.ranges[property];
            let values: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                one => vec![one],
            };
            for (i, item) in values.into_iter().enumerate() {
                let at = format!("{path}.{property}[{i}]");
                match item {
                    Value::Object(inner) => {
                        let inner_kind = inner.get("@type").and_then(Value::as_str).unwrap_or_default();
                        if !self.lineage(inner_kind).iter().any(|c| ranges.contains(c)) {
                            problems.push(format!("{at}: a {inner_kind} is not in the range {ranges:?}"));
                        }
                        self.check(item, &at, problems);
                    }
                    Value::String(_) => {
                        let textual = ["Text", "URL", "Date", "DateTime"];
                        if !ranges.iter().any(|r| textual.contains(&r.as_str())) {
                            problems.push(format!("{at}: text where the range is {ranges:?}"));
                        }
                    }
                    other => problems.push(format!("{at}: unexpected {other}")),
                }
            }
        }
    }
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn is_iso_8601(value: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(value).is_ok()
        || chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok()
        || (value.len() == 4 && value.chars().all(|c| c.is_ascii_digit()))
}

async fn json_ld_speaks_schema_org_and_names_only_covering_reviewers(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| {
        config.public_url_template = vec!["https://clinic.example/{locale}/columns/{slug}".to_owned()];
    })
    .await
    else {
        return;
    };
    common::supervised_by_fiction(&app, SLUG).await;
    let vocabulary = Vocabulary::load();
    let response = get(&app, &format!("/articles/{SLUG}/jsonld?locale=ja"), &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/ld+json");
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let ja: Value = response.json().await.unwrap();
    let mut problems = Vec::new();
    vocabulary.check(&ja, "$", &mut problems);
    assert!(problems.is_empty(), "{problems:#?}\n{ja:#}");
    assert_eq!(ja["@context"], "https://schema.org");
    assert_eq!(ja["@type"], "MedicalWebPage");
    assert_eq!(ja["inLanguage"], "ja");
    assert_eq!(ja["url"], format!("https://clinic.example/ja/columns/{SLUG}"));
    for date in ["datePublished", "dateModified", "lastReviewed"] {
        assert!(ja[date].as_str().is_some_and(is_iso_8601), "{date}: {}", ja[date]);
    }
    // The sign-off covers the Japanese text: its physician reviewed it.
    let reviewers = ja["reviewedBy"].as_array().unwrap();
    assert_eq!(reviewers.len(), 1);
    assert_eq!(reviewers[0]["@type"], "Physician");
    assert_eq!(reviewers[0]["name"], "見本花子");
    assert!(!reviewers[0]["hasCredential"].as_array().unwrap().is_empty());
    // Cited works carry their identifiers.
    let citations = ja["citation"].as_array().unwrap();
    assert!(citations.len() >= 5, "{}", citations.len());
    let with_doi = citations
        .iter()
        .filter(|c| {
            c["identifier"]
                .as_array()
                .is_some_and(|ids| ids.iter().any(|i| i["propertyID"] == "DOI"))
        })
        .count();
    assert!(with_doi >= 1);
    for citation in citations {
        if let Some(year) = citation["datePublished"].as_str() {
            assert!(is_iso_8601(year), "{year}");
        }
    }
    assert_eq!(ja["isPartOf"]["@type"], "CreativeWorkSeries");

    // Nobody reviewed the English text: no reviewer is named for it.
    let en: Value = get(&app, &format!("/articles/{SLUG}/jsonld?locale=en"), &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(en["inLanguage"], "en");
    assert!(
        en.get("reviewedBy").is_none() && en.get("lastReviewed").is_none(),
        "{en:#}"
    );
    let mut problems = Vec::new();
    vocabulary.check(&en, "$", &mut problems);
    assert!(problems.is_empty(), "{problems:#?}");

    // The GraphQL field gives the same document.
    let field = app
        .gql(
            "query($s: String!) { article(slug: $s, locale: \"ja\") { jsonLd } }",
            serde_json::json!({ "s": SLUG }),
        )
        .await;
    assert_eq!(field.data()["article"]["jsonLd"], ja);
    // Conditional GET, and what is not there.
    let again = get(
        &app,
        &format!("/articles/{SLUG}/jsonld?locale=ja"),
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(again.status(), 304);
    let missing = get(&app, "/articles/no-such-article/jsonld", &[]).await;
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
}

db_tests!(json_ld_speaks_schema_org_and_names_only_covering_reviewers);
