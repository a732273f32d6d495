//! The sample column as Markdown files, out and back in: an unchanged
//! file changes nothing, an edited one is the next revision, a file
//! written from an older revision conflicts, and a file with mistakes is
//! refused whole with the line of each.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::content::Bundle;
use api::content::markdown::from_markdown;
use api::editorial::import::{export_markdown, import_files};
use common::{Backend, TestApp, TestDatabase};
use sea_orm::{EntityTrait, PaginatorTrait};
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
    let ja = export_markdown(&app.db, &Default::default(), COLUMN, "ja")
        .await
        .expect("exports ja")
        .text;
    let en = export_markdown(&app.db, &Default::default(), COLUMN, "en")
        .await
        .expect("exports en")
        .text;
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
    assert_eq!(
        export_markdown(&empty.db, &Default::default(), COLUMN, "ja")
            .await
            .expect("exports")
            .text,
        ja
    );
    assert_eq!(
        export_markdown(&empty.db, &Default::default(), COLUMN, "en")
            .await
            .expect("exports")
            .text,
        en
    );

    // An edited heading is revision 2; the published column keeps
    // serving revision 1 until revision 2 is signed off and published.
    let edited = ja.replace(
        "## エクソソームとは {#what-is-an-exosome}",
        "## エクソソームとは何か {#what-is-an-exosome}",
    );
    let saved = import(&app, &[("ja.md", &edited)]).await.expect("imports the edit");
    assert_eq!(saved, 1);
    assert_eq!(head(&app).await, (2, 1));
    let now = export_markdown(&app.db, &Default::default(), COLUMN, "ja")
        .await
        .expect("exports")
        .text;
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
    let old_en = export_markdown(&app.db, &Default::default(), COLUMN, "en")
        .await
        .expect("exports en")
        .text;
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
    let fresh_ja = export_markdown(&app.db, &Default::default(), COLUMN, "ja")
        .await
        .expect("exports ja")
        .text;
    let message = import(&app, &[("ja.md", &fresh_ja), ("en.md", &old_en)])
        .await
        .expect_err("the old English file is refused");
    assert!(
        message.contains("en.md") && message.contains("not the newest one (2)"),
        "{message}"
    );
    let en = export_markdown(&app.db, &Default::default(), COLUMN, "en")
        .await
        .expect("exports en")
        .text;
    assert!(en.contains("What an exosome is"), "the English saved in between stays");
}

/// Runs the `kiji` binary on `database` with `args`; its stdout, or its
/// stderr as the error.
fn kiji(database: &TestDatabase, args: &[&str]) -> Result<String, String> {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kiji"))
        .args(["--database-url", &database.url, "--log", "warn"])
        .args(args)
        .output()
        .expect("kiji runs");
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

const TOUR: &str = "---
slug: clinic-tour
category: tour
source_locale: ja
locale: ja
status: DRAFT
translation:
  lead: 院内のご案内です。
  status: DRAFT
---

# 院内のご案内

![診察室の写真](room.png \"待合室から\")

## 部屋 {#rooms}

広い部屋です。
";

async fn images_go_out_beside_a_markdown_file_and_come_back(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("kiji-md-images-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(dir.join("out")).expect("temp dir");
    let path = |name: &str| dir.join(name).display().to_string();
    std::fs::write(
        dir.join("tour.yaml"),
        "categories:\n  - { slug: tour, source_locale: ja, name: { ja: ご案内 } }\n",
    )
    .expect("write");
    std::fs::write(dir.join("tour.md"), TOUR).expect("write");
    let picture = image::RgbImage::from_fn(400, 300, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    picture.save(dir.join("room.png")).expect("write png");

    kiji(&database, &["import", &path("tour.yaml"), &path("tour.md")]).expect("imports with the image beside");

    // Out again: the Markdown names the stored image, written beside it
    // with its alt text and caption.
    kiji(
        &database,
        &["export", "clinic-tour", "--locale", "ja", "--out", &path("out/tour.md")],
    )
    .expect("exports");
    let exported = std::fs::read_to_string(dir.join("out/tour.md")).expect("the Markdown file");
    let line = exported
        .lines()
        .find(|l| l.starts_with("![診察室の写真]("))
        .unwrap_or_else(|| panic!("no image line:\n{exported}"));
    let file = line
        .strip_prefix("![診察室の写真](")
        .and_then(|rest| rest.strip_suffix(" \"待合室から\")"))
        .unwrap_or_else(|| panic!("{line}"));
    let written = image::open(dir.join("out").join(file)).expect("the image beside decodes");
    assert_eq!((written.width(), written.height()), (400, 300));

    // Back in: the same image (not a re-encoded copy), and no new revision.
    let again = kiji(&database, &["import", &path("out/tour.md")]).expect("re-imports");
    assert!(again.contains("saved 0 new revision(s)"), "{again}");
    let db = sea_orm::Database::connect(&database.url).await.expect("connect");
    let images = entity::media::Entity::find().count(&db).await.expect("count");
    assert_eq!(images, 1, "the exported original came back as the stored image");
    db.close().await.ok();

    // A refused import records no image: the new picture of a file whose
    // category does not exist is not stored.
    let other = image::RgbImage::from_fn(200, 100, |x, _| image::Rgb([(x % 256) as u8, 10, 200]));
    other.save(dir.join("hall.png")).expect("write png");
    std::fs::write(
        dir.join("broken.md"),
        TOUR.replace("room.png", "hall.png")
            .replace("clinic-tour", "broken-tour")
            .replace("category: tour", "category: no-such-category"),
    )
    .expect("write");
    let refused = kiji(&database, &["import", &path("broken.md")]).expect_err("refused");
    assert!(refused.contains("no-such-category"), "{refused}");
    let db = sea_orm::Database::connect(&database.url).await.expect("connect");
    assert_eq!(entity::media::Entity::find().count(&db).await.expect("count"), 1);

    // The Markdown alone, without the image beside it (as a translator
    // gets it): the image is the one its name says, and the file's alt
    // text becomes its text.
    std::fs::create_dir_all(dir.join("alone")).expect("dir");
    std::fs::write(
        dir.join("alone/tour.md"),
        exported.replace("![診察室の写真]", "![明るい診察室]"),
    )
    .expect("write");
    kiji(&database, &["import", &path("alone/tour.md")]).expect("imports without the file");
    let alt: Vec<String> = entity::media_text::Entity::find()
        .all(&db)
        .await
        .expect("texts")
        .into_iter()
        .map(|t| t.alt)
        .collect();
    assert_eq!(alt, ["明るい診察室"]);
    db.close().await.ok();

    // A file that is not there is named, with its line.
    std::fs::write(
        dir.join("lost.md"),
        TOUR.replace("room.png", "lost.png").replace("clinic-tour", "lost-tour"),
    )
    .expect("write");
    let refused = kiji(&database, &["import", &path("lost.md")]).expect_err("refused");
    assert!(
        refused.contains("line 14: image `lost.png` is not beside this file"),
        "{refused}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

db_tests!(
    the_sample_column_goes_out_as_markdown_and_comes_back_as_a_revision,
    images_go_out_beside_a_markdown_file_and_come_back,
    an_old_locale_file_beside_a_fresh_one_conflicts,
);
