//! The article page: the sample column served whole, in Japanese and English,
//! with a fallback in other locales, at a statement count independent of the
//! article's size.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::content::{Bundle, SectionDoc};
use common::{ARTICLE_PAGE, Backend, TestApp};
use serde_json::{Value, json};

const COLUMN: &str = "exosome-effects-and-side-effects";

/// The column's outline: (heading level, heading), in reading order, exactly
/// as the published column has it.
const OUTLINE: &[(i64, &str)] = &[
    (2, "エクソソームとは"),
    (2, "エクソソームの働き"),
    (2, "幹細胞培養液との違い"),
    (2, "エクソソームの効果"),
    (3, "美肌・アンチエイジング効果"),
    (4, "コラーゲン・エラスチンの生成促進"),
    (4, "肌のターンオーバー促進"),
    (4, "肌トラブル改善効果"),
    (3, "若返り・体力向上効果"),
    (3, "抜け毛・薄毛改善効果"),
    (2, "エクソソーム治療の方法"),
    (3, "点滴投与"),
    (3, "局所注射"),
    (3, "超音波・機器による導入"),
    (2, "エクソソーム化粧品の効果と限界"),
    (3, "期待できる効果"),
    (3, "高い効果は得にくい理由"),
    (2, "エクソソーム治療の注意点"),
    (3, "副作用の可能性"),
    (3, "アレルギー・体質の確認"),
    (3, "品質の重要性"),
    (2, "エクソソーム治療のQ&A"),
    (2, "まとめ"),
];

/// Every section of a response, depth first, with its nesting depth (0 = top).
fn walk(sections: &Value, depth: usize, out: &mut Vec<(usize, Value)>) {
    for section in sections.as_array().expect("sections is a list") {
        out.push((depth, section.clone()));
        walk(&section["children"], depth + 1, out);
    }
}

fn flatten(article: &Value) -> Vec<(usize, Value)> {
    let mut out = Vec::new();
    walk(&article["sections"], 0, &mut out);
    out
}

async fn page(app: &TestApp, slug: &str, locale: Option<&str>) -> Value {
    let response = app.gql(ARTICLE_PAGE, json!({ "slug": slug, "locale": locale })).await;
    response.data()["article"].clone()
}

async fn japanese_page_keeps_the_columns_outline_and_content(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let article = page(&app, COLUMN, Some("ja")).await;

    assert_eq!(article["title"], "エクソソームの効果と副作用を解説");
    assert_eq!(article["locale"], "ja");
    assert_eq!(article["isFallback"], false);
    assert_eq!(article["category"]["name"], "再生医療コラム");
    assert_eq!(
        article["publishedAt"], "2024-11-07T15:00:00+00:00",
        "2024-11-08 in Japan"
    );

    let sections = flatten(&article);
    let outline: Vec<(i64, String)> = sections
        .iter()
        .map(|(depth, s)| {
            assert_eq!(s["level"].as_i64(), Some(*depth as i64 + 2), "level follows nesting");
            (
                s["level"].as_i64().unwrap_or_default(),
                s["heading"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(i64, String)> = OUTLINE.iter().map(|(l, h)| (*l, (*h).to_owned())).collect();
    assert_eq!(outline, expected);

    // The table of contents mirrors the same tree.
    let toc = &article["tableOfContents"];
    assert_eq!(toc.as_array().map(Vec::len), Some(9));
    assert_eq!(toc[3]["heading"], "エクソソームの効果");
    assert_eq!(
        toc[3]["children"][0]["children"][0]["heading"],
        "コラーゲン・エラスチンの生成促進"
    );
    assert_eq!(toc[3]["children"][0]["children"][0]["level"], 4);

    // The numbered list of functions, each with its nested points.
    let functions = &sections[1].1["blocks"];
    let list = functions
        .as_array()
        .and_then(|blocks| blocks.iter().find(|b| b["__typename"] == "ListBlock"))
        .expect("the functions list");
    assert_eq!(list["ordered"], true);
    let items = list["items"].as_array().expect("items");
    assert_eq!(
        items
            .iter()
            .map(|i| i["text"].as_str().unwrap_or_default())
            .collect::<Vec<_>>(),
        [
            "細胞間コミュニケーション",
            "組織の修復と再生",
            "免疫調節",
            "がんの進展や転移への関与"
        ]
    );
    for item in items {
        assert_eq!(item["list"]["ordered"], false);
        assert_eq!(item["list"]["items"].as_array().map(Vec::len), Some(2));
    }

    // Q1–Q5 as five question-and-answer blocks in the FAQ section.
    let faq = &sections
        .iter()
        .find(|(_, s)| s["kind"] == "FAQ")
        .expect("an FAQ section")
        .1;
    let qa: Vec<&Value> = faq["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .filter(|b| b["__typename"] == "QuestionAnswerBlock")
        .collect();
    assert_eq!(qa.len(), 5);
    assert_eq!(qa[0]["question"], "エクソソーム治療はどのような人に適していますか?");
    assert!(
        qa[2]["answer"]
            .as_str()
            .unwrap_or_default()
            .contains("健康保険は適用されません")
    );
    assert_eq!(sections.last().map(|(_, s)| s["kind"].clone()), Some(json!("SUMMARY")));

    // The supervisor with all eight qualifications in order, and the career.
    let contributors = article["contributors"].as_array().expect("contributors");
    assert_eq!(contributors.len(), 1);
    let supervisor = &contributors[0];
    assert_eq!(supervisor["role"], "SUPERVISOR");
    assert_eq!(supervisor["signedOffRevision"], 1);
    assert_eq!(supervisor["signedOffCurrentRevision"], true);
    assert_eq!(supervisor["supervisor"]["name"], "吹田真一");
    let qualifications: Vec<(String, String)> = supervisor["supervisor"]["qualifications"]
        .as_array()
        .expect("qualifications")
        .iter()
        .map(|q| {
            (
                q["kind"].as_str().unwrap_or_default().to_owned(),
                q["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("BOARD_CERTIFICATION", "日本麻酔科学会認定麻酔科専門医"),
        ("MEMBERSHIP", "日本ペインクリニック学会"),
        ("MEMBERSHIP", "日本区域麻酔学会"),
        ("MEMBERSHIP", "日本肥満学会 会員"),
        ("MEMBERSHIP", "抗加齢学会 会員"),
        ("BOARD_CERTIFICATION", "麻酔科認定医"),
        ("MEMBERSHIP", "日本心臓血管麻酔学会 会員"),
        ("BOARD_CERTIFICATION", "日本周術期経食道心エコー認定"),
    ];
    assert_eq!(
        qualifications,
        expected
            .iter()
            .map(|(k, n)| ((*k).to_owned(), (*n).to_owned()))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        supervisor["supervisor"]["career"][0]["text"],
        "国立循環器病研究センター勤務を経てLIGHT CLINIC開業"
    );

    // Claims with evidence levels; referenced ones cite real identifiers,
    // unsupported ones cite nothing.
    let claims: Vec<Value> = sections
        .iter()
        .flat_map(|(_, s)| s["claims"].as_array().cloned().unwrap_or_default())
        .collect();
    assert!(claims.len() >= 15, "only {} claims", claims.len());
    for claim in &claims {
        let references = claim["references"].as_array().expect("references");
        match claim["evidenceLevel"].as_str() {
            Some("UNSUPPORTED") => assert!(references.is_empty(), "{claim:#}"),
            Some(_) => assert!(!references.is_empty(), "{claim:#}"),
            None => panic!("no evidence level: {claim:#}"),
        }
    }
    let levels: std::collections::BTreeSet<&str> = claims.iter().filter_map(|c| c["evidenceLevel"].as_str()).collect();
    assert!(levels.contains("GUIDELINE") && levels.contains("PRECLINICAL") && levels.contains("UNSUPPORTED"));
    let definition = &sections[0].1["claims"][0];
    assert_eq!(definition["evidenceLevel"], "GUIDELINE");
    assert_eq!(definition["references"][0]["reference"]["key"], "misev2018");
    assert_eq!(
        definition["references"][0]["reference"]["link"],
        "https://doi.org/10.1080/20013078.2018.1535750"
    );
    // The hair-loss claim is preclinical, as the column's own hedge says.
    let hair = &sections
        .iter()
        .find(|(_, s)| s["anchor"] == "hair-loss")
        .expect("hair-loss")
        .1;
    assert_eq!(hair["claims"][0]["evidenceLevel"], "PRECLINICAL");

    // The bibliography lists each cited work once.
    let references = article["references"].as_array().expect("references");
    let keys: std::collections::HashSet<&str> = references.iter().filter_map(|r| r["key"].as_str()).collect();
    assert_eq!(keys.len(), references.len());
    assert!(keys.contains("kalluri2020"));
}

async fn english_page_has_the_same_shape_in_english(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ja = page(&app, COLUMN, Some("ja")).await;
    let en = page(&app, COLUMN, Some("en")).await;

    assert_eq!(en["title"], "Exosomes: Effects and Side Effects Explained");
    assert_eq!(en["locale"], "en");
    assert_eq!(en["isFallback"], false);
    assert_eq!(en["availableLocales"], json!(["en", "ja"]));
    assert_eq!(en["contributors"][0]["supervisor"]["name"], "Shinichi Suita");
    assert_eq!(
        en["contributors"][0]["supervisor"]["qualifications"]
            .as_array()
            .map(Vec::len),
        Some(8)
    );

    let (ja_sections, en_sections) = (flatten(&ja), flatten(&en));
    assert_eq!(ja_sections.len(), en_sections.len());
    for ((dj, j), (de, e)) in ja_sections.iter().zip(&en_sections) {
        assert_eq!(dj, de);
        assert_eq!(j["anchor"], e["anchor"]);
        assert_eq!(e["locale"], "en", "section {} is translated", e["anchor"]);
        assert_eq!(e["isFallback"], false);
        assert_ne!(j["heading"], e["heading"]);
        let kinds = |s: &Value| -> Vec<Value> {
            s["blocks"]
                .as_array()
                .unwrap_or(&vec![])
                .iter()
                .map(|b| b["__typename"].clone())
                .collect()
        };
        assert_eq!(kinds(j), kinds(e), "blocks of {}", e["anchor"]);
        let levels = |s: &Value| -> Vec<Value> {
            s["claims"]
                .as_array()
                .unwrap_or(&vec![])
                .iter()
                .map(|c| c["evidenceLevel"].clone())
                .collect()
        };
        assert_eq!(levels(j), levels(e));
    }
    assert_eq!(en_sections[0].1["heading"], "What is an exosome?");
}

async fn untranslated_locale_gets_the_japanese_text_flagged_as_fallback(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ko = page(&app, COLUMN, Some("ko")).await;
    assert_eq!(ko["title"], "エクソソームの効果と副作用を解説");
    assert_eq!(ko["locale"], "ja");
    assert_eq!(ko["isFallback"], true);
    for (_, section) in flatten(&ko) {
        assert_eq!(section["locale"], "ja");
        assert_eq!(section["isFallback"], true);
    }
    assert_eq!(ko["contributors"][0]["supervisor"]["name"], "吹田真一");
    assert_eq!(ko["contributors"][0]["supervisor"]["locale"], "ja");
}

/// Multiplies an article's sections (and so its claims) by `factor`, citing
/// `factor` times as many references: copies of the originals under new keys.
fn enlarged(bundle: &Bundle, factor: usize) -> Bundle {
    fn rename(section: &SectionDoc, copy: usize) -> SectionDoc {
        let mut s = section.clone();
        s.anchor = format!("{}-{copy}", s.anchor);
        for claim in &mut s.claims {
            for citation in &mut claim.references {
                citation.reference = format!("{}-{copy}", citation.reference);
            }
        }
        s.sections = section.sections.iter().map(|c| rename(c, copy)).collect();
        s
    }
    let mut article = bundle
        .articles
        .iter()
        .find(|a| a.slug == COLUMN)
        .expect("the sample column")
        .clone();
    article.slug = format!("{COLUMN}-x{factor}");
    let original = std::mem::take(&mut article.sections);
    let mut references = Vec::new();
    for copy in 0..factor {
        article.sections.extend(original.iter().map(|s| rename(s, copy)));
        for reference in &bundle.references {
            let mut r = reference.clone();
            r.key = format!("{}-{copy}", r.key);
            r.doi = r.doi.map(|doi| format!("{doi}.copy{copy}"));
            r.pmid = r.pmid.map(|pmid| format!("{pmid}{copy}"));
            references.push(r);
        }
    }
    Bundle {
        references,
        articles: vec![article],
        ..Bundle::default()
    }
}

async fn article_page_statement_count_does_not_grow_with_content(backend: Backend) {
    // The cold path: every request executes.
    let Some(app) = TestApp::spawn_with(backend, |config| config.response_cache_mb = 0).await else {
        return;
    };
    let sample = api::content::sample::bundle().expect("sample bundle");
    let report = app
        .import(&enlarged(&sample, 5))
        .await
        .expect("enlarged article imports");
    assert_eq!(report.sections, 5 * 23);
    assert_eq!(report.claims, 5 * 24);

    let small_before = app.statements().await;
    let small = page(&app, COLUMN, Some("ja")).await;
    let small_count = app.statements().await - small_before;

    let large_before = app.statements().await;
    let large = page(&app, &format!("{COLUMN}-x5"), Some("ja")).await;
    let large_count = app.statements().await - large_before;

    assert_eq!(flatten(&large).len(), 5 * flatten(&small).len());
    let claims = |a: &Value| {
        flatten(a)
            .iter()
            .map(|(_, s)| s["claims"].as_array().map_or(0, Vec::len))
            .sum::<usize>()
    };
    assert_eq!(claims(&large), 5 * claims(&small));
    assert_eq!(
        large["references"].as_array().map(Vec::len),
        small["references"].as_array().map(|r| 5 * r.len())
    );
    eprintln!("article page: {small_count} SQL statements ({backend:?}), {large_count} at five times the content");
    assert!(small_count > 0);
    assert!(
        small_count <= 8,
        "at most 8 statements for the article page, not {small_count}"
    );
    assert_eq!(
        small_count, large_count,
        "statements must not grow with sections, claims or references"
    );
}

/// One physician in two roles, then another in a third: the shape that once
/// shifted every later contributor by one row.
const SHARED_CONTRIBUTORS: &str = r#"
supervisors:
  - slug: second-doc
    source_locale: ja
    profile:
      ja: { name: 第二医師 }
articles:
  - slug: shared-contributors
    category: regenerative-medicine
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-05-01T00:00:00Z
    contributors:
      - { supervisor: second-doc, role: SUPERVISOR, signed_off_revision: 1, signed_off_at: 2025-04-30T00:00:00Z }
      - { supervisor: second-doc, role: AUTHOR }
      - { supervisor: hanako-mihon, role: REVIEWER, signed_off_revision: 1 }
    translations:
      ja: { title: 共同執筆, lead: リード, status: PUBLISHED }
"#;

async fn contributors_keep_their_own_role_and_sign_off_when_a_person_repeats(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let bundle = Bundle::from_yaml(SHARED_CONTRIBUTORS).expect("test bundle parses");
    app.import(&bundle).await.expect("imports");
    let query = r#"query($role: ContributorRole) { article(slug: "shared-contributors") {
        contributors(role: $role) { role signedOffRevision supervisor { slug name } } } }"#;
    let rows = |v: &Value| -> Vec<(String, Value, String)> {
        v["article"]["contributors"]
            .as_array()
            .expect("contributors")
            .iter()
            .map(|c| {
                (
                    c["role"].as_str().unwrap_or_default().to_owned(),
                    c["signedOffRevision"].clone(),
                    c["supervisor"]["slug"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let all = app.gql(query, json!({})).await;
    assert_eq!(
        rows(all.data()),
        [
            ("SUPERVISOR".to_owned(), json!(1), "second-doc".to_owned()),
            ("AUTHOR".to_owned(), Value::Null, "second-doc".to_owned()),
            ("REVIEWER".to_owned(), json!(1), "hanako-mihon".to_owned()),
        ],
        "one contributor per stored link, in order"
    );
    let contributors = &all.data()["article"]["contributors"];
    assert_eq!(contributors[0]["supervisor"]["name"], "第二医師");
    assert_eq!(contributors[1]["supervisor"]["name"], "第二医師");
    assert_eq!(contributors[2]["supervisor"]["name"], "見本花子");
    let signed_at = app
        .gql(
            r#"{ article(slug: "shared-contributors") { contributors { signedOffAt } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        signed_at.data()["article"]["contributors"],
        json!([{ "signedOffAt": "2025-04-30T00:00:00+00:00" }, { "signedOffAt": null }, { "signedOffAt": null }])
    );
    for role in ["SUPERVISOR", "AUTHOR", "REVIEWER"] {
        let one = app.gql(query, json!({ "role": role })).await;
        let expected: Vec<_> = rows(all.data()).into_iter().filter(|(r, _, _)| r == role).collect();
        assert_eq!(rows(one.data()), expected, "role {role}");
    }
}

db_tests!(
    contributors_keep_their_own_role_and_sign_off_when_a_person_repeats,
    japanese_page_keeps_the_columns_outline_and_content,
    english_page_has_the_same_shape_in_english,
    untranslated_locale_gets_the_japanese_text_flagged_as_fallback,
    article_page_statement_count_does_not_grow_with_content,
);

const REVIEW: &str = r#"query($slug: String!, $locale: Locale) {
  article(slug: $slug, locale: $locale) {
    locale reviewedBySupervisor
    contributors { role signedOffRevision signedOffCurrentRevision signedOffLocales signedOffClaims supervisor { slug } }
    allSections { locale reviewedBySupervisor }
    claims { locale reviewedBySupervisor evidenceLevel text references { locator reference { doi pmid } } }
  }
}"#;

/// Every claim of an answer, as (text, evidence level).
fn claim_texts(article: &Value) -> Vec<(String, String)> {
    article["claims"]
        .as_array()
        .expect("claims")
        .iter()
        .map(|c| {
            (
                c["text"].as_str().unwrap_or_default().to_owned(),
                c["evidenceLevel"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn a_physicians_name_covers_only_what_he_reviewed(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ja = app.gql(REVIEW, json!({ "slug": COLUMN, "locale": "ja" })).await;
    let article = &ja.data()["article"];
    assert_eq!(
        article["contributors"],
        json!([{
            "role": "SUPERVISOR", "signedOffRevision": 1, "signedOffCurrentRevision": true,
            "signedOffLocales": ["ja"], "signedOffClaims": false,
            "supervisor": { "slug": "shinichi-suita" }
        }])
    );
    assert_eq!(
        article["reviewedBySupervisor"], true,
        "he signed off the Japanese column"
    );
    for section in article["allSections"].as_array().expect("sections") {
        assert_eq!(section["reviewedBySupervisor"], true, "{section}");
    }
    let claims = article["claims"].as_array().expect("claims");
    assert_eq!(claims.len(), 24);
    for claim in claims {
        assert_eq!(claim["reviewedBySupervisor"], false, "claims are Kiji's: {claim}");
    }

    // The English translation is Kiji's: nothing in it carries his review,
    // while a section shown in Japanese for want of English still does.
    let en = app.gql(REVIEW, json!({ "slug": COLUMN, "locale": "en" })).await;
    let article = &en.data()["article"];
    assert_eq!(article["reviewedBySupervisor"], false);
    for section in article["allSections"].as_array().expect("sections") {
        let reviewed = section["locale"] == "ja";
        assert_eq!(section["reviewedBySupervisor"], reviewed, "{section}");
    }

    // The other sample articles were written for Kiji and name nobody.
    let law = app
        .gql(
            REVIEW,
            json!({ "slug": "regenerative-medicine-law-risk-classes", "locale": "ja" }),
        )
        .await;
    let article = &law.data()["article"];
    assert_eq!(article["contributors"], json!([]));
    assert_eq!(article["reviewedBySupervisor"], false);
    assert!(
        claim_texts(article).iter().all(|(_, level)| level == "REGULATORY"),
        "statements of the law rest on the statute: {:?}",
        claim_texts(article)
    );
}

async fn sample_claims_say_no_more_than_the_column_and_their_sources(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ja = app.gql(REVIEW, json!({ "slug": COLUMN, "locale": "ja" })).await;
    let article = &ja.data()["article"];
    let claims = claim_texts(article);
    let find = |needle: &str| {
        claims
            .iter()
            .find(|(text, _)| text.contains(needle))
            .unwrap_or_else(|| panic!("no claim mentions {needle}: {claims:?}"))
            .clone()
    };
    // The column's own hedges survive.
    assert!(find("幹細胞療法と比べて").0.contains("とされる"));
    assert!(find("幹細胞療法と比べて").0.contains("長期的な安全性"));
    let side_effects = find("副作用のリスクは一般的に低い").0;
    assert!(side_effects.contains("考えられている") && side_effects.contains("完全に副作用がないわけではない"));
    assert!(find("疲れにくい").0.contains("可能性がある"));
    // What the sources studied, not more.
    assert_eq!(
        find("直径"),
        (
            "エクソソームの直径はおよそ40〜160nm（平均約100nm）である。".to_owned(),
            "NARRATIVE_REVIEW".to_owned()
        )
    );
    assert!(
        find("メラノーマ").0.contains("マウス"),
        "Peinado 2012 studied melanoma in mice"
    );
    assert!(find("コラーゲン").0.contains("ラット") && find("コラーゲン").0.contains("培養"));
    assert!(find("毛乳頭").0.contains("試験管内") && find("毛乳頭").0.contains("マウス"));
    assert!(find("毛乳頭").0.contains("とされている"), "the column's own hedge");
    assert!(find("静脈内").0.contains("マウス") && !find("静脈内").0.contains("限られ"));
    assert!(
        find("マスト細胞").0.contains("試験管内"),
        "Valadi 2007: mast cells in vitro"
    );
    assert!(find("アトピー").0.contains("マウスモデル") && find("アトピー").0.contains("脂肪組織由来"));
    assert!(find("ミトコンドリア").0.contains("試験管内") && find("ミトコンドリア").0.contains("マクロファージ"));
    assert_eq!(find("免疫応答").1, "NARRATIVE_REVIEW");

    // Every citation has a locator; the completed identifiers are there.
    let mut identifiers = Vec::new();
    for claim in article["claims"].as_array().expect("claims") {
        for citation in claim["references"].as_array().expect("references") {
            assert!(citation["locator"].is_string(), "a citation without a locator: {claim}");
            identifiers.push(citation["reference"].clone());
        }
    }
    assert!(identifiers.contains(&json!({ "doi": "10.1038/ncb1596", "pmid": "17486113" })));
    assert!(identifiers.contains(&json!({ "doi": "10.1038/nri3622", "pmid": "24566916" })));
}

db_tests!(
    a_physicians_name_covers_only_what_he_reviewed,
    sample_claims_say_no_more_than_the_column_and_their_sources,
);

/// Every text of `locale` in the sample column's blocks, in order.
fn sample_texts(locale: &str) -> Vec<String> {
    fn walk(sections: &[api::content::SectionDoc], locale: &str, out: &mut Vec<String>) {
        for s in sections {
            for block in s.blocks.get(locale).into_iter().flatten() {
                out.extend(block.texts().into_iter().map(str::to_owned));
            }
            walk(&s.sections, locale, out);
        }
    }
    let bundle = api::content::sample::bundle().expect("the sample parses");
    let column = bundle.articles.iter().find(|a| a.slug == COLUMN).expect("the column");
    let mut out = Vec::new();
    walk(&column.sections, locale, &mut out);
    out
}

/// The English translation keeps the hedges of the Japanese (でしょう,
/// と言われています…), where it once stated them as facts.
#[test]
fn the_english_keeps_the_columns_hedges() {
    let en = sample_texts("en");
    let has = |needle: &str| en.iter().any(|t| t.contains(needle));
    assert!(has("are unlikely to be expected"), "cosmetics: でしょう");
    assert!(has("probably cannot be expected"), "the fourth FAQ answer: でしょう");
    assert!(
        has("A wide range of effects can probably be expected"),
        "intravenous: でしょう"
    );
    assert!(
        !en.iter().any(|t| t
            .replace("probably cannot be expected", "")
            .contains("cannot be expected")),
        "no bare certainty where the column hedges"
    );
}

/// What the sample's sources are, and what the other articles claim.
#[test]
fn the_samples_sources_are_what_they_say() {
    let bundle = api::content::sample::bundle().expect("the sample parses");
    // Every reference says what it is as evidence and can be found: a DOI,
    // a PMID, or (a statute) its publisher.
    for r in &bundle.references {
        assert!(r.evidence.is_some(), "{} says what it is", r.key);
        assert!(
            r.doi.is_some() || r.pmid.is_some() || r.publisher.is_some(),
            "{} can be found",
            r.key
        );
    }
    // An article no physician signed makes no claim at EXPERT_OPINION.
    for article in &bundle.articles {
        let signed = article.contributors.iter().any(|c| c.signed_off_claims);
        let mut stack: Vec<&api::content::SectionDoc> = article.sections.iter().collect();
        while let Some(s) = stack.pop() {
            for claim in &s.claims {
                assert!(
                    signed || claim.evidence != entity::enums::EvidenceLevel::ExpertOpinion,
                    "{}: an expert opinion nobody signed",
                    article.slug
                );
            }
            stack.extend(s.sections.iter());
        }
    }
}
