//! Importing content: validated before anything is written, written in one
//! transaction, and refused with a message that says where the problem is.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::content::Bundle;
use api::content::import::ImportError;
use common::{Backend, TestApp, TestDatabase};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use serde_json::json;

fn bundle(yaml: &str) -> Bundle {
    Bundle::from_yaml(yaml).expect("test bundle parses")
}

async fn invalid_content_is_refused_with_its_location(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let cases = [
        (
            r#"
articles:
  - slug: needs-evidence
    category: anti-aging
    source_locale: ja
    status: PUBLISHED
    published_at: 2024-01-01T00:00:00Z
    translations: { ja: { title: t, lead: l, status: PUBLISHED } }
    sections:
      - anchor: s
        heading: { ja: 見出し }
        claims:
          - { kind: EFFICACY, evidence: CLINICAL, text: { ja: 効く } }
"#,
            "article needs-evidence › section s › claim 1",
            "evidence level CLINICAL needs at least one reference",
        ),
        (
            r#"
articles:
  - slug: shouty-locale
    category: anti-aging
    source_locale: ja
    status: DRAFT
    translations: { ja: { title: t, lead: l, status: DRAFT }, EN: { title: t, lead: l, status: DRAFT } }
"#,
            "article shouty-locale › translations",
            "write locale `EN` as `en`",
        ),
        (
            r#"
articles:
  - slug: Not A Slug
    category: anti-aging
    source_locale: ja
    status: DRAFT
    translations: { ja: { title: t, lead: l, status: DRAFT } }
"#,
            "article Not A Slug",
            "is not a slug",
        ),
        (
            r#"
articles:
  - slug: no-source-text
    category: anti-aging
    source_locale: ja
    status: DRAFT
    translations: { en: { title: t, lead: l, status: DRAFT } }
"#,
            "article no-source-text › translations",
            "missing the source locale `ja`",
        ),
        (
            r#"
articles:
  - slug: unpublished-date
    category: anti-aging
    source_locale: ja
    status: PUBLISHED
    translations: { ja: { title: t, lead: l, status: PUBLISHED } }
"#,
            "article unpublished-date",
            "needs published_at",
        ),
        (
            r#"
articles:
  - slug: translation-ahead
    category: anti-aging
    source_locale: ja
    status: DRAFT
    translations: { ja: { title: t, lead: l, status: DRAFT }, en: { title: t, lead: l, status: PUBLISHED } }
"#,
            "article translation-ahead › translations › en",
            "a translation can be PUBLISHED only once its article has been (the article is DRAFT)",
        ),
        (
            r#"
articles:
  - slug: signed-in-a-missing-locale
    category: anti-aging
    source_locale: ja
    status: DRAFT
    contributors:
      - { supervisor: hanako-mihon, role: SUPERVISOR, signed_off_revision: 1, signed_off_locales: [ja, en] }
    translations: { ja: { title: t, lead: l, status: DRAFT } }
"#,
            "article signed-in-a-missing-locale › contributor 1",
            "names `en`, which the article has no translation in",
        ),
        (
            r#"
articles:
  - slug: scope-without-sign-off
    category: anti-aging
    source_locale: ja
    status: DRAFT
    contributors:
      - { supervisor: hanako-mihon, role: SUPERVISOR, signed_off_claims: true }
    translations: { ja: { title: t, lead: l, status: DRAFT } }
"#,
            "article scope-without-sign-off › contributor 1",
            "need a signed_off_revision",
        ),
        (
            r#"
references:
  - { key: one, kind: JOURNAL_ARTICLE, title: One, doi: 10.1000/same, pmid: "1" }
  - { key: two, kind: JOURNAL_ARTICLE, title: Two, doi: 10.1000/SAME }
"#,
            "reference two",
            "DOI `10.1000/SAME` is already reference `one`'s (in this bundle)",
        ),
        (
            r#"
references:
  - { key: again, kind: JOURNAL_ARTICLE, title: Again, doi: 10.1126/SCIENCE.aau6977 }
"#,
            "reference again",
            "is already reference `kalluri2020`'s (in the database)",
        ),
        (
            r#"
references:
  - { key: same-pmid, kind: JOURNAL_ARTICLE, title: Same, pmid: "32029601" }
"#,
            "reference same-pmid",
            "PMID `32029601` is already reference `kalluri2020`'s (in the database)",
        ),
    ];
    for (yaml, at, message) in cases {
        match app.import(&bundle(yaml)).await {
            Err(ImportError::Invalid {
                at: got_at,
                message: got,
            }) => {
                assert_eq!(got_at.to_string(), at);
                assert!(got.contains(message), "{got}");
            }
            other => panic!("expected Invalid at {at}, got {other:?}"),
        }
    }
    let taken = app
        .import(&bundle(
            &cases[0].0.replace("needs-evidence", "exosome-effects-and-side-effects"),
        ))
        .await;
    assert!(
        matches!(taken, Err(ImportError::Conflict { what: "article", .. })),
        "{taken:?}"
    );
}

async fn every_problem_is_reported_at_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let result = app
        .import(&bundle(
            r#"
references:
  - { key: twice, kind: JOURNAL_ARTICLE, title: One }
  - { key: twice, kind: JOURNAL_ARTICLE, title: Two }
articles:
  - slug: first-broken
    category: anti-aging
    source_locale: ja
    status: PUBLISHED
    translations: { ja: { title: t, lead: l, status: PUBLISHED } }
  - slug: fine
    category: anti-aging
    source_locale: ja
    status: DRAFT
    translations: { ja: { title: t, lead: l, status: DRAFT } }
  - slug: second-broken
    category: no-such-category
    source_locale: ja
    status: DRAFT
    translations: { ja: { title: t, lead: l, status: DRAFT } }
"#,
        ))
        .await;
    let Err(ImportError::Several(problems)) = result else {
        panic!("expected every problem, got {result:?}");
    };
    let said: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(said.len(), 3, "{said:#?}");
    assert!(
        said[0].starts_with("reference twice") && said[0].contains("defined twice in this import"),
        "{said:#?}"
    );
    assert!(
        said[1].starts_with("article first-broken") && said[1].contains("needs published_at"),
        "{said:#?}"
    );
    assert!(
        said[2].starts_with("article second-broken") && said[2].contains("no-such-category"),
        "{said:#?}"
    );
    let all = ImportError::Several(problems).to_string();
    assert!(all.starts_with("3 problems:"), "{all}");
    let stored = entity::article::Entity::find().count(&app.db).await.expect("count");
    assert_eq!(
        stored, 4,
        "nothing of a refused bundle is written, not even its valid article"
    );
}

async fn a_failing_import_writes_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let categories_before = entity::category::Entity::find().count(&app.db).await.expect("count");
    // Validation passes; the database then refuses a reference (a trigger
    // stands in for any failure of the database mid-import) after the
    // category went in.
    let refuse = match backend {
        Backend::Sqlite => "CREATE TRIGGER refuse_boom BEFORE INSERT ON reference WHEN NEW.title = 'Boom' \
                            BEGIN SELECT RAISE(ABORT, 'refused'); END;"
            .to_owned(),
        Backend::Postgres => "CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN \
                              IF NEW.title = 'Boom' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ \
                              LANGUAGE plpgsql; \
                              CREATE TRIGGER refuse_boom BEFORE INSERT ON reference FOR EACH ROW \
                              EXECUTE FUNCTION refuse_boom();"
            .to_owned(),
    };
    app.db.execute_unprepared(&refuse).await.expect("trigger");
    let result = app
        .import(&bundle(
            r#"
categories:
  - { slug: half-written, source_locale: ja, name: { ja: 途中 } }
references:
  - { key: one, kind: JOURNAL_ARTICLE, title: One, doi: 10.1000/one }
  - { key: two, kind: JOURNAL_ARTICLE, title: Boom, doi: 10.1000/two }
"#,
        ))
        .await;
    assert!(matches!(result, Err(ImportError::Database(_))), "{result:?}");
    assert_eq!(
        entity::category::Entity::find().count(&app.db).await.expect("count"),
        categories_before,
        "the category of the failed import was rolled back"
    );
    let listed = app.gql("{ categories { slug } }", json!({})).await;
    assert!(!listed.body.to_string().contains("half-written"));
}

async fn the_import_command_loads_files_all_or_nothing(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("kiji-import-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let good = dir.join("good.yaml");
    std::fs::write(
        &good,
        r#"
categories:
  - { slug: news, source_locale: en, name: { en: News } }
articles:
  - slug: hello
    category: news
    source_locale: en
    status: PUBLISHED
    published_at: 2024-05-01T00:00:00Z
    translations: { en: { title: Hello, lead: First post, status: PUBLISHED } }
"#,
    )
    .expect("write file");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kiji"))
        .args(["--database-url", &database.url, "--log", "warn", "import"])
        .arg(&good)
        .output()
        .expect("kiji runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("imported 1 article(s)"));
    // The import left the planner statistics of what it wrote, so the
    // first pages after a bulk import are planned on real numbers.
    let db = sea_orm::Database::connect(&database.url).await.expect("connect");
    let sql = match backend {
        Backend::Postgres => "SELECT CAST(reltuples AS BIGINT) AS n FROM pg_class WHERE relname = 'article'",
        Backend::Sqlite => "SELECT COUNT(*) AS n FROM sqlite_stat1 WHERE tbl = 'article'",
    };
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("statistics query")
        .expect("a row");
    let n: i64 = row.try_get_by_index(0).expect("a count");
    assert!(n >= 1, "no statistics for `article` after import ({backend:?}): {n}");
    db.close().await.ok();

    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "articles:\n  - slug: x\n    colour: blue\n").expect("write file");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kiji"))
        .args(["--database-url", &database.url, "import"])
        .arg(&bad)
        .output()
        .expect("kiji runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.yaml") && stderr.contains("colour"), "{stderr}");

    // A bad value inside a block is reported at its own line, with the
    // block's place in the article.
    let tone = dir.join("tone.yaml");
    let text = "articles:\n  - slug: y\n    category: news\n    source_locale: en\n    status: DRAFT\n    translations: { en: { title: T, lead: L, status: DRAFT } }\n    sections:\n      - anchor: one\n        heading: { en: One }\n        blocks:\n          en:\n            - { type: paragraph, text: p }\n            - type: note\n              text: n\n              tone: LOUD\n";
    std::fs::write(&tone, text).expect("write file");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kiji"))
        .args(["--database-url", &database.url, "import"])
        .arg(&tone)
        .output()
        .expect("kiji runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = text.lines().position(|l| l.contains("LOUD")).map_or(0, |i| i + 1);
    assert!(
        stderr.contains("articles[0].sections[0].blocks.en[1]") && stderr.contains(&format!("(line {line})")),
        "{stderr}"
    );

    // The same slug in two files names both.
    let again = dir.join("again.yaml");
    std::fs::write(
        &again,
        "categories:\n  - { slug: news, source_locale: en, name: { en: News } }\n",
    )
    .expect("write file");
    let first = dir.join("first.yaml");
    std::fs::write(&first, "categories:\n  - { slug: news2, source_locale: en, name: { en: News } }\n  - { slug: news, source_locale: en, name: { en: News } }\n")
        .expect("write file");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kiji"))
        .args(["--database-url", &database.url, "import"])
        .arg(&first)
        .arg(&again)
        .output()
        .expect("kiji runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("again.yaml") && stderr.contains("first.yaml") && stderr.contains("`news`"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

db_tests!(
    every_problem_is_reported_at_once,
    invalid_content_is_refused_with_its_location,
    a_failing_import_writes_nothing,
    the_import_command_loads_files_all_or_nothing,
);
