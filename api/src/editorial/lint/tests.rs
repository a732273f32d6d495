//! The rules file's own examples, and the normalization the patterns read through.

use super::*;
use crate::content::Bundle;

#[derive(Deserialize)]
struct Examples {
    examples: Vec<Example>,
}

#[derive(Deserialize)]
struct Example {
    rule: String,
    locale: String,
    text: String,
    fires: bool,
}

fn rules() -> Rules {
    Rules::from_yaml(BUILTIN).expect("the shipped rules compile")
}

#[test]
fn every_example_fires_or_stays_quiet_as_the_rules_file_says() {
    let rules = rules();
    let file: Examples = serde_norway::from_str(include_str!("../../../rules/examples.yaml")).expect("examples parse");
    let ids: Vec<String> = rules.list().into_iter().map(|r| r.id).collect();
    let mut wrong = Vec::new();
    for ex in &file.examples {
        assert!(ids.contains(&ex.rule), "example names unknown rule {}", ex.rule);
        let fired = rules.check_text(&ex.locale, &ex.text).iter().any(|f| f.rule == ex.rule);
        if fired != ex.fires {
            wrong.push(format!(
                "{} {} {:?}: expected fires={}",
                ex.rule, ex.locale, ex.text, ex.fires
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} examples misbehave:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // Every phrase rule is shown firing and staying quiet in both languages.
    for rule in rules.0.iter().filter(|r| matches!(r.kind, Kind::Phrase { .. })) {
        for locale in ["ja", "en"] {
            for fires in [true, false] {
                assert!(
                    file.examples
                        .iter()
                        .any(|e| e.rule == rule.id && e.locale == locale && e.fires == fires),
                    "{} has no {locale} example with fires={fires}",
                    rule.id
                );
            }
        }
    }
}

#[test]
fn a_hedge_is_not_a_guarantee() {
    let rules = rules();
    let quiet = rules.check_text("ja", "必ずしも全員に効果があるとは限りません。");
    assert!(quiet.is_empty(), "{quiet:?}");
    let loud = rules.check_text("ja", "この治療で必ず治ります。");
    assert_eq!(loud.len(), 1, "{loud:?}");
    assert_eq!(loud[0].rule, "AD-FALSE");
    assert_eq!(loud[0].text, "必ず治り");
    let from = "この治療で".chars().count();
    assert_eq!(
        (loud[0].start, loud[0].end),
        (from, from + loud[0].text.chars().count())
    );
}

#[test]
fn invisible_characters_and_other_widths_hide_nothing() {
    let rules = rules();
    for sneaky in [
        "この治療で必\u{200B}ず治ります。",
        "１００％安全です。",
        "この治療で必\u{00AD}ず治ります。",
    ] {
        let found = rules.check_text("ja", sneaky);
        assert!(found.iter().any(|f| f.rule == "AD-FALSE"), "{sneaky:?}: {found:?}");
    }
    // The finding quotes what was written, at its place in the text.
    let found = rules.check_text("ja", "ええ、必\u{200B}ず治ります");
    let f = found.iter().find(|f| f.rule == "AD-FALSE").expect("a finding");
    assert_eq!(f.text, "必\u{200B}ず治り");
    assert_eq!((f.start, f.end), (3, 3 + f.text.chars().count()));
}

/// The test article breaks every rule in both languages.
#[test]
fn the_test_article_breaks_every_rule_in_japanese_and_english() {
    let rules = rules();
    let bundle =
        Bundle::from_yaml(include_str!("../../../../tests/fixtures/lint-every-rule.yaml")).expect("fixture parses");
    let facts = Facts {
        self_pay: bundle.categories.iter().any(|c| c.self_pay),
        references: bundle.references.iter().map(|r| (r.key.clone(), r.evidence)).collect(),
        images: Default::default(),
    };
    let findings = rules.check(&bundle.articles[0], &facts);
    assert!(
        findings
            .iter()
            .any(|f| f.rule == "LINT-LANGUAGE-UNCHECKED" && f.locale == "ko"),
        "the Korean translation was checked by nothing"
    );
    for rule in rules.list().into_iter().filter(|r| r.id != "LINT-LANGUAGE-UNCHECKED") {
        for locale in ["ja", "en"] {
            assert!(
                findings.iter().any(|f| f.rule == rule.id && f.locale == locale),
                "{} does not fire in {locale}",
                rule.id
            );
        }
    }
    // Every finding says where it is and what it found.
    for f in &findings {
        assert!(!f.field.is_empty() && !f.message.is_empty(), "{f:?}");
    }
}

#[test]
fn a_column_that_discloses_what_an_unapproved_product_needs_is_quiet_on_it() {
    let rules = rules();
    let mut bundle =
        Bundle::from_yaml(include_str!("../../../../tests/fixtures/lint-every-rule.yaml")).expect("fixture parses");
    let doc = &mut bundle.articles[0];
    let facts = Facts::default();
    let before = rules.check(doc, &facts);
    assert!(before.iter().any(|f| f.rule == "DISC-UNAPPROVED" && f.locale == "ja"));
    let text = |t: &str| Block::Paragraph(entity::block::ParagraphBlock { text: t.to_owned() });
    doc.sections[0].blocks.insert(
        "ja".to_owned(),
        vec![text(
            "本治療に用いるエクソソーム製剤は、医薬品医療機器等法上の承認を得ていない未承認医薬品等です。\
             医師の責任のもと国内の製造業者から入手しています。国内で承認された同一成分の医薬品はありません。\
             海外でも承認されておらず、重大なリスクが明らかになっていない可能性があります。\
             医薬品副作用被害救済制度の対象にはなりません。",
        )],
    );
    let after = rules.check(doc, &facts);
    assert!(
        !after.iter().any(|f| f.rule == "DISC-UNAPPROVED" && f.locale == "ja"),
        "{:?}",
        after.iter().filter(|f| f.rule == "DISC-UNAPPROVED").collect::<Vec<_>>()
    );
    assert!(after.iter().any(|f| f.rule == "DISC-UNAPPROVED" && f.locale == "en"));
}

#[test]
fn a_rules_file_with_a_bad_pattern_is_refused_naming_it() {
    let text = "rules:\n- id: X\n  kind: phrase\n  severity: error\n  title: {en: x}\n  advice: {en: x}\n  \
                guideline: {source: s, wording: w, confirmed: false}\n  patterns: {en: ['(unclosed']}\n";
    let err = Rules::from_yaml(text).expect_err("refused");
    assert!(
        err.to_string().contains("rule X") && err.to_string().contains("(unclosed"),
        "{err}"
    );
}
