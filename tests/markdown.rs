//! The sample column as Markdown files, out and back in: an unchanged
//! file changes nothing, an edited one is the next revision, a file
//! written from an older revision conflicts, and a file with mistakes is
//! refused whole with the line of each.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::content::Bundle;
use api::content::markdown::from_markdown;
use api::editorial::import::{export_markdown, import_files};
use common::{Backend, TestApp};
use serde_json::json;

const COLUMN: &str = "exosome-effects-and-side-effects";

/// Imports Markdown files given as (name, text); the number of revisions saved.
async fn import(app: &TestApp, files: &[(&str, &str)]) -> Result<usize, String> {
    let mut read = Vec::new();
    for (name, text) in files {
        let parsed = from_markdown(text)
            .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))?;
        read.push(((*name).to_owned(), parsed));
    }
    import_files(
        &app.db,
        Bundle::default(),
        read,
        &api::editorial::lint::Rules::builtin(),
        &app.followers,
    )
    .await
    .map(|report| report.revisions)
    .map_err(|err| err.to_string())
}

async fn head(app: &TestApp) -> (i64, i64) {
    let (_, token) = api::editorial::auth::create_key(&app.db, entity::enums::Role::Preview, "reader")
        .await
        .expect("key");
    let body = app
        .as_key(
            Some(&token),
            "query($s: String!) { articleRevisions(slug: $s) { headRevision liveRevision } }",
            json!({ "s": COLUMN }),
        )
        .await;
    let history = &body["data"]["articleRevisions"];
    (
        history["headRevision"].as_i64().unwrap_or(0),
        history["liveRevision"].as_i64().unwrap_or(0),
    )
}

async fn the_sample_column_goes_out_as_markdown_and_comes_back_as_a_revision(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ja = export_markdown(&app.db, COLUMN, "ja").await.expect("exports ja");
    let en = export_markdown(&app.db, COLUMN, "en").await.expect("exports en");
    assert!(ja.contains("## エクソソームとは {#what-is-an-exosome}"), "{ja}");
    assert!(en.contains("locale: en"), "{en}");

    // Both locales back in, unchanged: nothing to save.
    let saved = import(&app, &[("ja.md", &ja), ("en.md", &en)]).await.expect("imports");
    assert_eq!(saved, 0);
    assert_eq!(head(&app).await, (1, 1));

    // Into an empty database (with what the column cites), the two files
    // make the same article: exported again, the same two files.
    let Some(empty) = TestApp::spawn_with(backend, |config| config.load_sample = false).await else {
        return;
    };
    let mut cited = api::content::sample::bundle().expect("the sample parses");
    cited.articles.clear();
    empty.import(&cited).await.expect("imports what it cites");
    // A PUBLISHED medical article goes in only with the override its lint
    // errors need (the exported file, like every revision, carries none).
    let overridden = ja.replacen("---\n", "---\nlint_override:\n  reason: re-imported as supervised\n", 1);
    let refused = import(&empty, &[("ja.md", &ja), ("en.md", &en)])
        .await
        .expect_err("refused");
    assert!(refused.contains("DISC-UNAPPROVED"), "{refused}");
    import(&empty, &[("ja.md", &overridden), ("en.md", &en)])
        .await
        .expect("creates the column");
    assert_eq!(export_markdown(&empty.db, COLUMN, "ja").await.expect("exports"), ja);
    assert_eq!(export_markdown(&empty.db, COLUMN, "en").await.expect("exports"), en);

    // An edited heading is revision 2; the published column keeps
    // serving revision 1 until revision 2 is signed off and published.
    let edited = ja.replace(
        "## エクソソームとは {#what-is-an-exosome}",
        "## エクソソームとは何か {#what-is-an-exosome}",
    );
    let saved = import(&app, &[("ja.md", &edited)]).await.expect("imports the edit");
    assert_eq!(saved, 1);
    assert_eq!(head(&app).await, (2, 1));
    let now = export_markdown(&app.db, COLUMN, "ja").await.expect("exports");
    assert!(now.contains("revision: 2"), "{now}");
    assert!(now.contains("## エクソソームとは何か {#what-is-an-exosome}"));
    let public = app
        .gql(
            "query($s: String!) { article(slug: $s, locale: \"ja\") { revision sections { heading } } }",
            json!({ "s": COLUMN }),
        )
        .await;
    assert_eq!(public.data()["article"]["revision"], 1);
    assert_eq!(public.data()["article"]["sections"][0]["heading"], "エクソソームとは");

    // The same file again was written from revision 1: a conflict, not an
    // overwrite of revision 2.
    let stale = import(
        &app,
        &[("ja.md", &edited.replace("エクソソームとは何か", "別の見出し"))],
    )
    .await;
    let message = stale.expect_err("a stale file is refused");
    assert!(message.contains("not the newest one (2)"), "{message}");
    assert_eq!(head(&app).await, (2, 1));

    // A file with mistakes is refused whole, each at its line.
    let broken = now
        .replacen("{DEFINITION · GUIDELINE}", "{DEFINITION · ANECDOTE}", 1)
        .replacen(
            "## エクソソームの働き {#how-exosomes-work}",
            "#### エクソソームの働き {#how-exosomes-work}",
            1,
        );
    let line_of = |needle: &str| broken.lines().position(|l| l.contains(needle)).map(|i| i + 1);
    let message = import(&app, &[("ja.md", &broken)]).await.expect_err("refused");
    for needle in ["ANECDOTE", "#### エクソソームの働き"] {
        let line = line_of(needle).expect("the mistake is in the file");
        assert!(
            message.contains(&format!("line {line}:")),
            "{needle} at {line}: {message}"
        );
    }
    assert_eq!(head(&app).await, (2, 1), "nothing of the broken file was saved");

    // A mistake found only against the database (a reference nobody
    // defined) is still reported at the line of its section's heading.
    let unknown = now.replacen("[@kalluri2020", "[@nosuch2020", 1);
    let cited = unknown.lines().position(|l| l.contains("@nosuch2020")).expect("cited");
    let heading = unknown
        .lines()
        .take(cited)
        .enumerate()
        .filter(|(_, l)| l.starts_with("##"))
        .map(|(i, _)| i + 1)
        .last()
        .expect("a section");
    let message = import(&app, &[("ja.md", &unknown)]).await.expect_err("refused");
    assert!(
        message.contains(&format!("ja.md line {heading}")) && message.contains("nosuch2020"),
        "{message}"
    );
}

/// Two locale files of one article must both be written from its newest
/// revision: an old English file next to a fresh Japanese one would undo
/// the English saved in between.
async fn an_old_locale_file_beside_a_fresh_one_conflicts(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let old_en = export_markdown(&app.db, COLUMN, "en").await.expect("exports en");
    let (_, editor) = api::editorial::auth::create_key(&app.db, entity::enums::Role::Editor, "desk")
        .await
        .expect("key");
    let edited = app
        .as_key(
            Some(&editor),
            "mutation($input: EditSectionInput!) { editSection(input: $input) { revision } }",
            json!({ "input": { "slug": COLUMN, "baseRevision": 1, "anchor": "what-is-an-exosome", "locale": "en", "heading": "What an exosome is" } }),
        )
        .await;
    assert_eq!(edited["data"]["editSection"]["revision"], 2, "{edited:#}");
    let fresh_ja = export_markdown(&app.db, COLUMN, "ja").await.expect("exports ja");
    let message = import(&app, &[("ja.md", &fresh_ja), ("en.md", &old_en)])
        .await
        .expect_err("the old English file is refused");
    assert!(
        message.contains("en.md") && message.contains("not the newest one (2)"),
        "{message}"
    );
    let en = export_markdown(&app.db, COLUMN, "en").await.expect("exports en");
    assert!(en.contains("What an exosome is"), "the English saved in between stays");
}

db_tests!(
    the_sample_column_goes_out_as_markdown_and_comes_back_as_a_revision,
    an_old_locale_file_beside_a_fresh_one_conflicts,
);
