//! Every GraphQL example in README.md and docs/ runs without errors against
//! the sample content, so the documentation cannot drift from the schema.
//!
//! A `graphql` block is run with the variables of the `json` block right
//! after it, or of a "Variables: `{…}`" line; fragments defined in blocks of
//! their own are appended where they are used.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use common::{Backend, TestApp};
use serde_json::{Value, json};

struct Example {
    file: &'static str,
    query: String,
    variables: Value,
    /// Under a `##` heading that says "with a key": run with an ADMIN key.
    keyed: bool,
}

fn examples() -> Vec<Example> {
    let files: [(&str, &str); 2] = [
        ("README.md", include_str!("../README.md")),
        ("docs/queries.md", include_str!("../docs/queries.md")),
    ];
    let mut fragments: Vec<(String, String)> = Vec::new();
    let mut found = Vec::new();
    for (file, text) in files {
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        let mut keyed = false;
        while i < lines.len() {
            // A second-level heading starts a part; its subsections inherit.
            if lines[i].starts_with("## ") || lines[i].starts_with("# ") {
                keyed = lines[i].contains("with a key");
            }
            let Some(lang) = lines[i].trim().strip_prefix("```") else {
                i += 1;
                continue;
            };
            let start = i + 1;
            let mut end = start;
            while end < lines.len() && lines[end].trim() != "```" {
                end += 1;
            }
            let body = lines[start..end].join("\n");
            i = end + 1;
            if lang != "graphql" {
                continue;
            }
            if body.trim_start().starts_with("fragment") {
                for definition in body
                    .split("\nfragment")
                    .map(|d| d.trim_start_matches("fragment").trim())
                {
                    let name = definition.split_whitespace().next().unwrap_or_default().to_owned();
                    fragments.push((name, format!("fragment {definition}")));
                }
                continue;
            }
            // Variables: the next json block, or a "Variables: `…`" line,
            // before the next graphql block.
            let mut variables = json!({});
            let mut j = i;
            while j < lines.len() && !lines[j].trim().starts_with("```graphql") {
                let line = lines[j].trim();
                if line == "```json" {
                    let mut k = j + 1;
                    let mut text = String::new();
                    while k < lines.len() && lines[k].trim() != "```" {
                        text.push_str(lines[k]);
                        k += 1;
                    }
                    variables = serde_json::from_str(&text).expect("json example parses");
                    break;
                }
                if let Some(rest) = line.strip_prefix("Variables: `") {
                    let text = rest.split('`').next().unwrap_or("{}");
                    variables = serde_json::from_str(text).expect("inline variables parse");
                    break;
                }
                j += 1;
            }
            found.push(Example {
                file,
                query: body,
                variables,
                keyed,
            });
        }
    }
    for example in &mut found {
        let defined: Vec<String> = example
            .query
            .split("fragment ")
            .skip(1)
            .filter_map(|d| d.split_whitespace().next().map(str::to_owned))
            .collect();
        let mut added = true;
        while added {
            added = false;
            for (name, definition) in &fragments {
                if example.query.contains(&format!("...{name}"))
                    && !defined.contains(name)
                    && !example.query.contains(&format!("fragment {name} "))
                {
                    example.query.push('\n');
                    example.query.push_str(definition);
                    added = true;
                }
            }
        }
    }
    found
}

async fn documented_queries_run_without_errors(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let examples = examples();
    assert!(examples.len() >= 10, "found only {} examples", examples.len());
    let (_, token) = api::editorial::auth::create_key(&app.db, entity::enums::Role::Admin, "docs")
        .await
        .expect("key");
    let bearer = format!("Bearer {token}");
    let (_, physician) = api::editorial::auth::create_key_for(
        &app.db,
        entity::enums::Role::Supervisor,
        "docs",
        Some(common::PHYSICIAN),
    )
    .await
    .expect("supervisor key");
    let physician = format!("Bearer {physician}");
    for example in examples {
        // Signing off and confirming a profile are a physician's acts;
        // everything else runs as ADMIN.
        let key = if example.query.contains("signOff") || example.query.contains("confirmProfile") {
            &physician
        } else {
            &bearer
        };
        let headers: Vec<(&str, &str)> = if example.keyed {
            vec![("authorization", key.as_str())]
        } else {
            Vec::new()
        };
        let response = app
            .post(
                &json!({ "query": example.query, "variables": example.variables }),
                &headers,
            )
            .await;
        assert_eq!(response.status, 200, "{}: {}", example.file, example.query);
        assert!(
            response.body.get("errors").is_none(),
            "{} example fails:\n{}\n{:#}",
            example.file,
            example.query,
            response.body
        );
        assert!(response.body["data"].is_object());
    }
}

db_tests!(documented_queries_run_without_errors);

/// The documentation a reader copies blocks from.
const DOCS: [(&str, &str); 3] = [
    ("README.md", include_str!("../README.md")),
    ("docs/content.md", include_str!("../docs/content.md")),
    ("docs/queries.md", include_str!("../docs/queries.md")),
];

/// Every ```LANG block of the documentation, with its file and whether it
/// needs the sample (```LANG sample: it names sample content). Any other
/// word after the language (```yaml fragment: part of a bundle shown
/// alone) leaves the block out.
fn fenced(lang: &str) -> Vec<(&'static str, String, bool)> {
    let (plain, sample) = (format!("```{lang}"), format!("```{lang} sample"));
    let mut found = Vec::new();
    for (file, text) in DOCS {
        let mut block: Option<String> = None;
        let mut needs_sample = false;
        for line in text.lines() {
            match &mut block {
                None if line.trim() == plain || line.trim() == sample => {
                    needs_sample = line.trim() == sample;
                    block = Some(String::new());
                }
                Some(_) if line.trim() == "```" => found.push((file, block.take().unwrap_or_default(), needs_sample)),
                Some(body) => {
                    body.push_str(line);
                    body.push('\n');
                }
                None => {}
            }
        }
    }
    found
}

/// A reader copies a documented bundle into a file and imports it: into the
/// database the quick start made (with the sample) and into an empty one.
async fn documented_bundles_import_with_and_without_the_sample(backend: Backend) {
    let examples = fenced("yaml");
    assert!(examples.len() >= 2, "found only {} YAML examples", examples.len());
    for with_sample in [true, false] {
        let Some(app) = TestApp::spawn_with(backend, |config| config.load_sample = with_sample).await else {
            return;
        };
        for (file, yaml, needs_sample) in &examples {
            if *needs_sample && !with_sample {
                continue;
            }
            let bundle = api::content::Bundle::from_yaml(yaml)
                .unwrap_or_else(|err| panic!("{file} example does not parse: {err}\n{yaml}"));
            app.import(&bundle).await.unwrap_or_else(|err| {
                panic!("{file} example (sample loaded: {with_sample}) does not import: {err}\n{yaml}")
            });
        }
    }
}

db_tests!(documented_bundles_import_with_and_without_the_sample);

/// A reader saves a documented Markdown column and runs `kiji import` on
/// it; exporting it gives the same article back.
async fn documented_markdown_files_import(backend: Backend) {
    let examples = fenced("markdown");
    assert!(examples.len() >= 2, "found only {} Markdown examples", examples.len());
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    for (file, text, _) in &examples {
        let read = api::content::markdown::from_markdown(text)
            .unwrap_or_else(|errors| panic!("{file} example does not parse: {errors:?}\n{text}"));
        let slug = read.doc.slug.clone();
        let locale = read.locale.clone();
        api::editorial::import::import_files(
            &app.db,
            api::content::Bundle::default(),
            vec![(file.to_string(), read)],
            &api::editorial::lint::Rules::builtin(),
            &app.followers,
        )
        .await
        .unwrap_or_else(|err| panic!("{file} example does not import: {err}\n{text}"));
        let exported = api::editorial::import::export_markdown(&app.db, &Default::default(), &slug, &locale)
            .await
            .unwrap_or_else(|err| panic!("{file} example does not export: {err}"))
            .text;
        let again = api::content::markdown::from_markdown(&exported)
            .unwrap_or_else(|errors| panic!("{file} export does not parse: {errors:?}\n{exported}"));
        let first = api::content::markdown::from_markdown(text).map(|m| m.doc.sections).ok();
        assert_eq!(
            Some(again.doc.sections),
            first,
            "{file}: the sections come back as written"
        );
    }
}

db_tests!(documented_markdown_files_import);

/// No walkthrough, example or test signs off in a real physician's name:
/// every SUPERVISOR key the README, the docs and the tests make speaks for
/// the sample's fictional physician, and no content they write records a
/// sign-off by the real one.
#[test]
fn nothing_signs_in_a_real_physicians_name() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    for dir in ["docs", "tests"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("a folder") {
            let path = entry.expect("an entry").path();
            // This file names the real physician to look for him.
            let own = path.file_name().is_some_and(|n| n == "docs_examples.rs");
            if path.extension().is_some_and(|e| e == "md" || e == "rs") && !own {
                files.push(path);
            }
        }
    }
    let real = common::REAL_PHYSICIAN;
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        let name = file.display();
        for (i, line) in text.lines().enumerate() {
            // A key for a physician, on the command line or in code.
            let key = line.contains("--supervisor") || (line.contains("create_key_for") && line.contains("Supervisor"));
            // A sign-off written into content (YAML or Markdown front matter).
            let signed = line.contains(&format!("supervisor: {real}"))
                && (line.contains("signed_off") || text.lines().nth(i + 2).is_some_and(|l| l.contains("signed_off")));
            if (key && line.contains(real)) || signed {
                found.push(format!("{name}:{}: {}", i + 1, line.trim()));
            }
            if line.contains("keys create") && line.contains("--supervisor ") && !line.contains(common::PHYSICIAN) {
                found.push(format!(
                    "{name}:{}: a key for a physician other than the fictional one: {}",
                    i + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(found.is_empty(), "signed in a real name:\n{}", found.join("\n"));
}
