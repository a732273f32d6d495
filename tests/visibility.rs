//! What a public reader can reach: sections under a hidden section stay
//! hidden everywhere, and categories, tags and people are shown only while a
//! published article uses them or an editor marked them public.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::content::Bundle;
use common::{Backend, TestApp};
use proptest::prelude::*;
use serde_json::{Value, json};

const TREE: &str = r#"query($slug: String!) {
  article(slug: $slug, locale: "en") {
    sections { anchor children { anchor children { anchor children { anchor children { anchor } } } } }
    allSections { anchor level }
    tableOfContents { anchor children { anchor children { anchor children { anchor children { anchor } } } } }
    claims { text }
    references { key }
  }
}"#;

/// Anchors of a nested `sections` or `tableOfContents` list, depth first.
fn flatten(list: &Value, out: &mut Vec<String>) {
    for item in list.as_array().into_iter().flatten() {
        out.push(item["anchor"].as_str().unwrap_or_default().to_owned());
        flatten(&item["children"], out);
    }
}

fn strings(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|item| item[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Japanese is the source but only a draft; English is published. The
/// `hidden` section has Japanese text only, so an English reader cannot see
/// it, while its child has both.
const ORPHAN: &str = r#"
references:
  - { key: orphan-ref, kind: JOURNAL_ARTICLE, title: A study cited only under a hidden section, evidence: NARRATIVE_REVIEW }
articles:
  - slug: orphan-sections
    category: regenerative-medicine
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-01T00:00:00Z
    translations:
      ja: { title: 下書きの原文, lead: リード, status: DRAFT }
      en: { title: Published translation, lead: Lead, status: PUBLISHED }
    sections:
      - anchor: shown
        heading: { ja: 見える節, en: Shown section }
      - anchor: hidden
        heading: { ja: 日本語だけの節 }
        sections:
          - anchor: child-of-hidden
            heading: { ja: 子の節, en: Child of a hidden section }
            claims:
              - kind: EFFICACY
                evidence: NARRATIVE_REVIEW
                text: { ja: 隠れた主張, en: A claim under a hidden section }
                references: [{ ref: orphan-ref }]
"#;

async fn a_section_under_a_hidden_section_is_hidden_everywhere(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&Bundle::from_yaml(ORPHAN).expect("parses"))
        .await
        .expect("imports");
    let response = app.gql(TREE, json!({ "slug": "orphan-sections" })).await;
    let article = &response.data()["article"];
    let mut sections = Vec::new();
    flatten(&article["sections"], &mut sections);
    let mut toc = Vec::new();
    flatten(&article["tableOfContents"], &mut toc);
    assert_eq!(sections, ["shown"]);
    assert_eq!(strings(&article["allSections"], "anchor"), ["shown"]);
    assert_eq!(toc, ["shown"]);
    assert_eq!(article["claims"], json!([]));
    assert_eq!(article["references"], json!([]));
}

/// Content around an unannounced article, and two entries an editor marked
/// public before any article uses them.
const UNANNOUNCED: &str = r#"
categories:
  - { slug: future-series, source_locale: ja, name: { ja: 未発表の連載 } }
  - { slug: announced-series, public: true, source_locale: ja, name: { ja: 予告された連載 } }
tags:
  - { slug: unannounced-topic, source_locale: ja, name: { ja: 未発表の話題 } }
  - { slug: announced-topic, public: true, source_locale: ja, name: { ja: 予告された話題 } }
supervisors:
  - slug: engaged-doc
    source_locale: ja
    profile: { ja: { name: 依頼中の医師, affiliation: 未発表クリニック } }
  - slug: profile-first
    public: true
    source_locale: ja
    profile: { ja: { name: 先に紹介する医師 } }
articles:
  - slug: not-yet-announced
    category: future-series
    source_locale: ja
    status: PUBLISHED
    published_at: 2999-01-01T00:00:00Z
    tags: [unannounced-topic]
    contributors: [{ supervisor: engaged-doc, role: SUPERVISOR }]
    translations: { ja: { title: 予約記事, lead: リード, status: PUBLISHED } }
  - slug: archived
    category: future-series
    source_locale: ja
    status: ARCHIVED
    published_at: 2020-01-01T00:00:00Z
    tags: [unannounced-topic]
    contributors: [{ supervisor: engaged-doc, role: REVIEWER }]
    translations: { ja: { title: 取り下げ, lead: リード, status: PUBLISHED } }
  - slug: untranslated
    category: future-series
    source_locale: ja
    status: PUBLISHED
    published_at: 2020-01-01T00:00:00Z
    tags: [unannounced-topic]
    contributors: [{ supervisor: engaged-doc, role: SUPERVISOR }]
    translations: { ja: { title: 翻訳が下書き, lead: リード, status: DRAFT } }
  - slug: a-draft
    category: future-series
    source_locale: ja
    status: DRAFT
    tags: [unannounced-topic]
    contributors: [{ supervisor: engaged-doc, role: AUTHOR }]
    translations: { ja: { title: 下書き, lead: リード, status: DRAFT } }
"#;

const TAXONOMY: &str = r#"{
  categories { slug }
  tags { slug }
  supervisors { slug name affiliation }
  engaged: supervisor(slug: "engaged-doc") { name }
  first: supervisor(slug: "profile-first") { name }
}"#;

async fn taxonomy_and_people_are_public_only_while_a_visible_article_uses_them(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&Bundle::from_yaml(UNANNOUNCED).expect("parses"))
        .await
        .expect("imports");
    let response = app.gql(TAXONOMY, json!({})).await;
    let data = response.data();
    let categories = strings(&data["categories"], "slug");
    let tags = strings(&data["tags"], "slug");
    let people = strings(&data["supervisors"], "slug");
    assert!(!categories.contains(&"future-series".to_owned()), "{categories:?}");
    assert!(categories.contains(&"announced-series".to_owned()), "{categories:?}");
    assert!(
        categories.contains(&"regenerative-medicine".to_owned()),
        "{categories:?}"
    );
    assert!(!tags.contains(&"unannounced-topic".to_owned()), "{tags:?}");
    assert!(tags.contains(&"announced-topic".to_owned()), "{tags:?}");
    assert!(tags.contains(&"exosome".to_owned()), "{tags:?}");
    assert!(!people.contains(&"engaged-doc".to_owned()), "{people:?}");
    assert!(people.contains(&"profile-first".to_owned()), "{people:?}");
    assert!(people.contains(&"shinichi-suita".to_owned()), "{people:?}");
    assert_eq!(
        data["engaged"],
        Value::Null,
        "a physician engaged for a hidden article is unknown"
    );
    assert_eq!(data["first"]["name"], "先に紹介する医師");
    let body = response.body.to_string();
    for secret in ["未発表", "依頼中の医師"] {
        assert!(!body.contains(secret), "{secret} leaked: {body}");
    }

    // Once a published article uses them, they are shown (a physician
    // once they have signed it off: before that they vouch for nothing).
    let published = r#"
articles:
  - slug: now-announced
    category: future-series
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-01T00:00:00Z
    tags: [unannounced-topic]
    contributors: [{ supervisor: engaged-doc, role: SUPERVISOR, signed_off_revision: 1 }]
    translations: { ja: { title: 公開記事, lead: リード, status: PUBLISHED } }
"#;
    app.import(&Bundle::from_yaml(published).expect("parses"))
        .await
        .expect("imports");
    let response = app.gql(TAXONOMY, json!({})).await;
    let data = response.data();
    assert!(strings(&data["categories"], "slug").contains(&"future-series".to_owned()));
    assert!(strings(&data["tags"], "slug").contains(&"unannounced-topic".to_owned()));
    assert!(strings(&data["supervisors"], "slug").contains(&"engaged-doc".to_owned()));
    assert_eq!(data["engaged"]["name"], "依頼中の医師");
}

/// A generated section: its parent (an earlier section, or the top level),
/// whether it has English text, and its claims.
#[derive(Debug, Clone)]
struct GeneratedSection {
    parent: Option<prop::sample::Index>,
    english: bool,
    claims: Vec<GeneratedClaim>,
}

#[derive(Debug, Clone)]
struct GeneratedClaim {
    english: bool,
    references: Vec<usize>,
}

fn generated_section() -> impl Strategy<Value = GeneratedSection> {
    let claim = (any::<bool>(), prop::collection::vec(0..4usize, 0..3)).prop_map(|(english, mut references)| {
        references.sort_unstable();
        references.dedup();
        GeneratedClaim { english, references }
    });
    (
        prop::option::weighted(0.7, any::<prop::sample::Index>()),
        prop::bool::weighted(0.7),
        prop::collection::vec(claim, 0..3),
    )
        .prop_map(|(parent, english, claims)| GeneratedSection {
            parent,
            english,
            claims,
        })
}

/// The generated tree as nested section documents, with each section's
/// parent index resolved (`None` = top level); deeper than h6 is attached
/// at the top level instead.
fn parents(sections: &[GeneratedSection]) -> Vec<Option<usize>> {
    let mut parents: Vec<Option<usize>> = Vec::new();
    let mut depth: Vec<usize> = Vec::new();
    for (i, s) in sections.iter().enumerate() {
        let parent = s.parent.filter(|_| i > 0).map(|p| p.index(i)).filter(|p| depth[*p] < 4);
        depth.push(parent.map_or(0, |p| depth[p] + 1));
        parents.push(parent);
    }
    parents
}

fn section_doc(case: usize, i: usize, sections: &[GeneratedSection], parents: &[Option<usize>]) -> Value {
    let s = &sections[i];
    let mut heading = json!({ "ja": format!("節{i}") });
    if s.english {
        heading["en"] = json!(format!("Section {i}"));
    }
    let claims: Vec<Value> = s
        .claims
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let mut text = json!({ "ja": format!("主張 {i}.{k}") });
            if c.english {
                text["en"] = json!(format!("claim {i}.{k}"));
            }
            let refs: Vec<Value> = c
                .references
                .iter()
                .map(|r| json!({ "ref": format!("tree-{case}-{r}") }))
                .collect();
            let evidence = if refs.is_empty() {
                "UNSUPPORTED"
            } else {
                "NARRATIVE_REVIEW"
            };
            json!({ "kind": "MECHANISM", "evidence": evidence, "text": text, "references": refs })
        })
        .collect();
    let children: Vec<Value> = (0..sections.len())
        .filter(|j| parents[*j] == Some(i))
        .map(|j| section_doc(case, j, sections, parents))
        .collect();
    json!({ "anchor": format!("s{i}"), "heading": heading, "claims": claims, "sections": children })
}

fn all_sections_are_the_visible_tree_and_claims_follow_it(backend: Backend) {
    common::property(
        backend,
        24,
        (any::<bool>(), prop::collection::vec(generated_section(), 1..10)),
        async |app, case, (japanese_published, sections)| {
            let parents = parents(&sections);
            let slug = format!("tree-{case}");
            let top: Vec<Value> = (0..sections.len())
                .filter(|i| parents[*i].is_none())
                .map(|i| section_doc(case, i, &sections, &parents))
                .collect();
            let ja_status = if japanese_published { "PUBLISHED" } else { "DRAFT" };
            let bundle = json!({
                "references": (0..4).map(|r| json!({
                    "key": format!("tree-{case}-{r}"), "kind": "JOURNAL_ARTICLE", "title": format!("Study {r}"),
                    "evidence": "NARRATIVE_REVIEW"
                })).collect::<Vec<_>>(),
                "articles": [{
                    "slug": slug, "category": "regenerative-medicine", "source_locale": "ja",
                    "status": "PUBLISHED", "published_at": "2025-01-01T00:00:00Z",
                    "translations": {
                        "ja": { "title": "木", "lead": "リード", "status": ja_status },
                        "en": { "title": "Tree", "lead": "Lead", "status": "PUBLISHED" },
                    },
                    "sections": top,
                }],
            });
            app.import(&Bundle::from_yaml(&bundle.to_string()).expect("parses"))
                .await
                .expect("imports");

            // The model's answer: depth first, a section shows when it has
            // text a reader may see and its parent shows.
            let readable = |english: bool| english || japanese_published;
            let mut expected_sections = Vec::new();
            let mut expected_claims = Vec::new();
            let mut expected_refs: Vec<String> = Vec::new();
            let mut stack: Vec<usize> = (0..sections.len()).filter(|i| parents[*i].is_none()).rev().collect();
            while let Some(i) = stack.pop() {
                if !readable(sections[i].english) {
                    continue;
                }
                expected_sections.push(format!("s{i}"));
                for (k, c) in sections[i].claims.iter().enumerate() {
                    if !readable(c.english) {
                        continue;
                    }
                    expected_claims.push(if c.english {
                        format!("claim {i}.{k}")
                    } else {
                        format!("主張 {i}.{k}")
                    });
                    for r in &c.references {
                        let key = format!("tree-{case}-{r}");
                        if !expected_refs.contains(&key) {
                            expected_refs.push(key);
                        }
                    }
                }
                stack.extend((0..sections.len()).filter(|j| parents[*j] == Some(i)).rev());
            }

            let response = app.gql(TREE, json!({ "slug": slug })).await;
            let article = &response.data()["article"];
            let mut nested = Vec::new();
            flatten(&article["sections"], &mut nested);
            let mut toc = Vec::new();
            flatten(&article["tableOfContents"], &mut toc);
            let all = strings(&article["allSections"], "anchor");
            assert_eq!(all, nested, "allSections is sections flattened depth first");
            assert_eq!(all, expected_sections);
            assert_eq!(toc, expected_sections);
            assert_eq!(strings(&article["claims"], "text"), expected_claims);
            assert_eq!(strings(&article["references"], "key"), expected_refs);
        },
    );
}

db_tests!(
    a_section_under_a_hidden_section_is_hidden_everywhere,
    taxonomy_and_people_are_public_only_while_a_visible_article_uses_them,
);

db_properties!(all_sections_are_the_visible_tree_and_claims_follow_it);
