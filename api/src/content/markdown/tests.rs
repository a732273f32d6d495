//! Round trips and errors of the Markdown format.

use entity::block::{ListItem, NoteTone};

use super::*;

fn no_images() -> HashMap<uuid::Uuid, ImageFile> {
    HashMap::new()
}
use crate::content::sample;

fn read(md: &str) -> Result<MarkdownArticle, String> {
    from_markdown(md).map_err(|errors| describe(&errors))
}

fn describe(errors: &[LineError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

fn sample_article(slug: &str) -> Result<ArticleDoc, String> {
    let bundle = sample::bundle().map_err(|err| err.to_string())?;
    bundle
        .articles
        .into_iter()
        .find(|a| a.slug == slug)
        .ok_or_else(|| format!("no sample article `{slug}`"))
}

/// `doc` with the texts of `locale` only, as one file holds them.
fn project(doc: &ArticleDoc, locale: &str) -> ArticleDoc {
    fn sections(list: &mut [SectionDoc], locale: &str) {
        for section in list {
            section.heading.retain(|l, _| l == locale);
            section.blocks.retain(|l, _| l == locale);
            for claim in &mut section.claims {
                claim.text.retain(|l, _| l == locale);
            }
            sections(&mut section.sections, locale);
        }
    }
    let mut doc = doc.clone();
    doc.translations.retain(|l, _| l == locale);
    sections(&mut doc.sections, locale);
    doc
}

/// The 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> Result<usize, String> {
    let at = text.find(needle).ok_or_else(|| format!("`{needle}` not in the file"))?;
    Ok(text[..at].matches('\n').count() + 1)
}

/// `md` without the section whose heading has `{#anchor`, up to the next
/// top-level section.
fn cut_section(md: &str, anchor: &str) -> Result<String, String> {
    let heading = md
        .find(&format!("{{#{anchor}"))
        .and_then(|at| md[..at].rfind("\n#"))
        .ok_or_else(|| format!("no section `{anchor}`"))?;
    let end = md[heading + 1..].find("\n## ").map_or(md.len(), |i| heading + 1 + i);
    Ok(format!("{}{}", &md[..heading], &md[end..]))
}

fn find_section<'a>(sections: &'a mut [SectionDoc], anchor: &str) -> Option<&'a mut SectionDoc> {
    for section in sections {
        if section.anchor == anchor {
            return Some(section);
        }
        if let Some(found) = find_section(&mut section.sections, anchor) {
            return Some(found);
        }
    }
    None
}

#[test]
fn every_sample_article_round_trips_in_every_locale() -> Result<(), String> {
    let articles = sample::bundle().map_err(|err| err.to_string())?.articles;
    let mut translations = 0;
    for doc in &articles {
        for locale in doc.translations.keys() {
            let at = format!("{} in {locale}", doc.slug);
            if *locale != doc.source_locale {
                translations += 1;
            }
            let md = to_markdown(doc, locale, &no_images())?;
            let parsed = read(&md).map_err(|err| format!("{at}: {err}"))?;
            assert_eq!(to_markdown(&parsed.doc, locale, &no_images())?, md, "{at}");
            assert_eq!(parsed.doc, project(doc, locale), "{at}");
            let merged = merge(doc, parsed).map_err(|errors| format!("{at}: {}", describe(&errors)))?;
            assert_eq!(&merged, doc, "{at}");
        }
    }
    assert!(translations >= 2, "the sample has translations to test");
    Ok(())
}

#[test]
fn an_edited_translation_changes_only_its_locale() -> Result<(), String> {
    let doc = sample_article("exosome-effects-and-side-effects")?;
    let md = to_markdown(&doc, "en", &no_images())?
        .replace(
            "## What is an exosome? {#what-is-an-exosome}",
            "## What exactly is an exosome? {#what-is-an-exosome}",
        )
        .replace(
            "# Exosomes: Effects and Side Effects Explained",
            "# Exosomes, explained",
        )
        // Workflow fields are the application's, not the file's.
        .replace("  status: PUBLISHED\n", "  status: DRAFT\n");
    let merged = merge(&doc, read(&md)?).map_err(|errors| describe(&errors))?;
    let mut expected = doc.clone();
    if let Some(text) = expected.translations.get_mut("en") {
        text.title = "Exosomes, explained".to_owned();
    }
    let section = find_section(&mut expected.sections, "what-is-an-exosome").ok_or("no section")?;
    section
        .heading
        .insert("en".to_owned(), "What exactly is an exosome?".to_owned());
    assert_eq!(merged, expected);
    Ok(())
}

#[test]
fn a_section_missing_from_a_translation_loses_only_that_locale() -> Result<(), String> {
    let doc = sample_article("exosome-effects-and-side-effects")?;
    let md = cut_section(&to_markdown(&doc, "en", &no_images())?, "how-exosomes-work")?;
    let merged = merge(&doc, read(&md)?).map_err(|errors| describe(&errors))?;
    let mut expected = doc.clone();
    let section = find_section(&mut expected.sections, "how-exosomes-work").ok_or("no section")?;
    section.heading.remove("en");
    section.blocks.remove("en");
    for claim in &mut section.claims {
        claim.text.remove("en");
    }
    assert_eq!(merged, expected);
    Ok(())
}

#[test]
fn a_source_file_that_deletes_a_section_drops_it_and_its_translations() -> Result<(), String> {
    let doc = sample_article("exosome-effects-and-side-effects")?;
    let md = cut_section(&to_markdown(&doc, "ja", &no_images())?, "exosome-cosmetics")?;
    let merged = merge(&doc, read(&md)?).map_err(|errors| describe(&errors))?;
    let mut expected = doc.clone();
    expected.sections.retain(|s| s.anchor != "exosome-cosmetics");
    assert_eq!(expected.sections.len() + 1, doc.sections.len());
    assert_eq!(merged, expected);
    Ok(())
}

#[test]
fn a_source_file_that_changes_a_sections_claims_drops_their_translations() -> Result<(), String> {
    let doc = sample_article("exosome-effects-and-side-effects")?;
    let md = to_markdown(&doc, "ja", &no_images())?;
    let claim = md
        .lines()
        .find(|l| l.starts_with("- {MECHANISM · PRECLINICAL}"))
        .ok_or("no such claim")?;
    let md = md.replace(&format!("{claim}\n"), "");
    let merged = merge(&doc, read(&md)?).map_err(|errors| describe(&errors))?;
    let mut expected = doc.clone();
    let section = find_section(&mut expected.sections, "what-is-an-exosome").ok_or("no section")?;
    section.claims.remove(3);
    for claim in &mut section.claims {
        claim.text.retain(|l, _| l == "ja");
    }
    assert_eq!(merged, expected);
    Ok(())
}

#[test]
fn a_translation_file_with_an_unknown_anchor_is_an_error_at_its_line() -> Result<(), String> {
    let doc = sample_article("exosome-effects-and-side-effects")?;
    let md = to_markdown(&doc, "en", &no_images())?.replace("{#how-exosomes-work}", "{#how-exosomes-act}");
    let line = line_of(&md, "{#how-exosomes-act}")?;
    let errors = merge(&doc, read(&md)?).err().ok_or("merged")?;
    assert_eq!(errors.len(), 1, "{}", describe(&errors));
    assert_eq!(errors[0].line, line);
    assert!(errors[0].message.contains("how-exosomes-act"), "{}", errors[0]);
    Ok(())
}

#[test]
fn a_translation_whose_claims_differ_is_an_error_at_the_section() -> Result<(), String> {
    let doc = sample_article("regenerative-medicine-law-risk-classes")?;
    let md = to_markdown(&doc, "en", &no_images())?;
    let line = line_of(&md, "{#three-risk-classes}")?;
    let at = md.find("{#three-risk-classes}").ok_or("no section")?;
    let md = format!(
        "{}{}",
        &md[..at],
        md[at..].replacen("{PRACTICAL · REGULATORY}", "{PRACTICAL · CLINICAL}", 1)
    );
    let errors = merge(&doc, read(&md)?).err().ok_or("merged")?;
    assert_eq!(errors.len(), 1, "{}", describe(&errors));
    assert_eq!(errors[0].line, line);
    assert!(errors[0].message.contains("REGULATORY"), "{}", errors[0]);
    Ok(())
}

#[test]
fn windows_line_endings_read_the_same() -> Result<(), String> {
    let doc = sample_article("regenerative-medicine-law-risk-classes")?;
    let md = to_markdown(&doc, "en", &no_images())?.replace('\n', "\r\n");
    assert_eq!(read(&md)?.doc, project(&doc, "en"));
    Ok(())
}

#[test]
fn hand_written_files_are_read_as_their_author_means() -> Result<(), String> {
    let md = "---
slug: new-article
category: anti-aging
source_locale: ja
locale: ja
status: DRAFT
translation:
  lead: リード文。
  status: DRAFT
---
# 新しい記事

最初の段落は
折り返してある。

## 見出し {#first}

* 項目一

* 項目二
  1. 入れ子

<!--claims-->
1. {SAFETY, CLINICAL} 主張。 [@ref-a,p. 3][@ref-b]
";
    let file = read(md)?;
    let doc = &file.doc;
    assert_eq!(file.locale, "ja");
    assert_eq!(file.lines.get("first"), Some(&16));
    let text = doc.translations.get("ja").ok_or("no text")?;
    assert_eq!(text.title, "新しい記事");
    assert_eq!(text.source_revision, 1);
    assert_eq!(
        text.intro,
        [Block::Paragraph(ParagraphBlock {
            text: "最初の段落は 折り返してある。".to_owned()
        })]
    );
    let [section] = doc.sections.as_slice() else {
        return Err(format!("sections: {:?}", doc.sections));
    };
    let list = ListBlock {
        ordered: false,
        items: vec![
            ListItem {
                text: "項目一".to_owned(),
                list: None,
            },
            ListItem {
                text: "項目二".to_owned(),
                list: Some(ListBlock {
                    ordered: true,
                    items: vec![ListItem {
                        text: "入れ子".to_owned(),
                        list: None,
                    }],
                }),
            },
        ],
    };
    assert_eq!(section.blocks.get("ja"), Some(&vec![Block::List(list)]));
    let claim = ClaimDoc {
        kind: ClaimKind::Safety,
        evidence: EvidenceLevel::Clinical,
        text: BTreeMap::from([("ja".to_owned(), "主張。".to_owned())]),
        references: vec![
            CitationDoc {
                reference: "ref-a".to_owned(),
                locator: Some("p. 3".to_owned()),
            },
            CitationDoc {
                reference: "ref-b".to_owned(),
                locator: None,
            },
        ],
    };
    assert_eq!(section.claims, [claim]);
    Ok(())
}

#[test]
fn a_file_for_another_article_is_refused() -> Result<(), String> {
    let doc = sample_article("regenerative-medicine-law-risk-classes")?;
    let other = sample_article("exosome-effects-and-side-effects")?;
    let file = read(&to_markdown(&other, "en", &no_images())?)?;
    let errors = merge(&doc, file).err().ok_or("merged")?;
    assert!(
        errors.iter().any(|e| e.message.contains("slug")),
        "{}",
        describe(&errors)
    );
    Ok(())
}

#[test]
fn a_translation_cannot_reorder_sections_or_change_their_kind() -> Result<(), String> {
    let doc = sample_article("regenerative-medicine-law-risk-classes")?;
    let md = to_markdown(&doc, "en", &no_images())?;
    let second = md.find("\n## The three risk classes").ok_or("no second section")?;
    let first = md.find("\n## What the Act does").ok_or("no first section")?;
    let swapped = format!("{}{}\n{}", &md[..first], md[second..].trim_end(), &md[first..second])
        .replace("{#three-risk-classes}", "{#three-risk-classes .summary}");
    let errors = merge(&doc, read(&swapped)?).err().ok_or("merged")?;
    let kind_line = line_of(&swapped, "{#three-risk-classes")?;
    let order_line = line_of(&swapped, "{#what-the-act-does}")?;
    assert_eq!(errors.len(), 2, "{}", describe(&errors));
    assert_eq!(errors[0].line, kind_line);
    assert!(errors[0].message.contains("BODY"), "{}", errors[0]);
    assert_eq!(errors[1].line, order_line);
    assert!(errors[1].message.contains("comes before"), "{}", errors[1]);
    Ok(())
}

/// An article with `text` in every place a text can be.
fn article_with(text: &str) -> ArticleDoc {
    let t = || text.to_owned();
    let list = |ordered| {
        Block::List(ListBlock {
            ordered,
            items: vec![
                ListItem {
                    text: t(),
                    list: Some(ListBlock {
                        ordered: !ordered,
                        items: vec![ListItem { text: t(), list: None }; 2],
                    }),
                },
                ListItem { text: t(), list: None },
            ],
        })
    };
    let blocks = vec![
        Block::Paragraph(ParagraphBlock { text: t() }),
        list(true),
        list(true),
        list(false),
        list(false),
        Block::QuestionAnswer(QuestionAnswerBlock {
            question: t(),
            answer: t(),
        }),
        Block::Note(NoteBlock {
            tone: NoteTone::Caution,
            title: Some(t()),
            text: t(),
        }),
        Block::Note(NoteBlock {
            tone: NoteTone::Disclaimer,
            title: None,
            text: t(),
        }),
        Block::Paragraph(ParagraphBlock { text: t() }),
    ];
    fn en<T>(value: T) -> BTreeMap<String, T> {
        BTreeMap::from([("en".to_owned(), value)])
    }
    ArticleDoc {
        slug: "tricky".to_owned(),
        category: "tests".to_owned(),
        source_locale: "en".to_owned(),
        status: Status::Draft,
        revision: 1,
        published_at: None,
        updated_at: None,
        source: Some(SourceNote { note: t(), url: None }),
        tags: vec![t()],
        contributors: Vec::new(),
        translations: en(ArticleText {
            title: t(),
            lead: t(),
            intro: blocks.clone(),
            seo_title: Some(t()),
            seo_description: None,
            status: Status::Draft,
            source_revision: 1,
        }),
        lint_override: None,
        sections: vec![SectionDoc {
            anchor: "tricky-1".to_owned(),
            kind: SectionKind::Faq,
            heading: en(t()),
            blocks: en(blocks),
            claims: vec![ClaimDoc {
                kind: ClaimKind::Definition,
                evidence: EvidenceLevel::Clinical,
                text: en(t()),
                references: vec![
                    CitationDoc {
                        reference: "key".to_owned(),
                        locator: Some(t()),
                    },
                    CitationDoc {
                        reference: t(),
                        locator: None,
                    },
                ],
            }],
            sections: vec![SectionDoc {
                anchor: "tricky-2".to_owned(),
                kind: SectionKind::Summary,
                heading: en(t()),
                blocks: BTreeMap::new(),
                claims: Vec::new(),
                sections: Vec::new(),
            }],
        }],
    }
}

#[test]
fn plain_texts_come_back_unchanged() -> Result<(), String> {
    let texts = [
        "*stars* and _underscores_ and a*b*c and x_y_z",
        "[brackets] [link](http://example.com) ![image](x.png) [ref][1]",
        "<b>html</b> <!-- comment --> <http://example.com> a > b < c",
        "# hash ## and a closing #",
        "`code` and ``more`` and ```",
        "back\\slash \\* \\\\ and a trailing backslash\\",
        "{braces} {#anchor .faq} }",
        "@at [@key, p. 1] [@key]",
        "|pipe| table | a | b |",
        "1. not a list",
        "2024) neither",
        "12345678901. nor this",
        "- dash",
        "+ plus",
        "* star",
        "> quote",
        "=== setext",
        "---",
        "***",
        "___",
        ":colon",
        "!",
        "[!INFO] not a note",
        "**Q.** not a question",
        "**A.** not an answer",
        "{DEFINITION · GUIDELINE} not a claim",
        "<!-- claims -->",
        "   leading and trailing spaces   ",
        "\ttabs\tinside\t",
        "line\nbreak\r\nand\rmore",
        "    four spaces: not code",
        "&amp; &#42; &copy; R&D &",
        "~~strike~~ $x$ $$y$$ ^sup^",
        "エクソソーム（Exosome）は＊細胞外小胞＊の一種で、直径30〜150nmです。",
        "\u{3000}全角スペースで始まり、全角スペースで終わる\u{3000}",
        "\u{a0}no-break spaces\u{a0}",
        "1",
        " ",
        "a  \nhard break?",
        "\u{7}bell and next line\u{85}",
        "line\u{2028}separator and \u{feff}zero width",
        "front\n---\nmatter\n...\nends?",
        "yaml: 'quoted' \"double\" - [flow] {map} # comment",
    ];
    for text in texts {
        let doc = article_with(text);
        let md = to_markdown(&doc, "en", &no_images())?;
        let parsed = read(&md).map_err(|err| format!("{text:?}: {err}\n{md}"))?;
        assert_eq!(parsed.doc, doc, "{text:?}\n{md}");
        assert_eq!(to_markdown(&parsed.doc, "en", &no_images())?, md, "{text:?}");
    }
    Ok(())
}

#[test]
fn texts_that_cannot_be_written_are_refused() {
    assert!(to_markdown(&article_with(""), "en", &no_images()).is_err());
    assert!(to_markdown(&article_with("a\0b"), "en", &no_images()).is_err());
    assert!(to_markdown(&article_with("fine"), "fr", &no_images()).is_err());
    assert!(to_markdown(&article_with("fine"), "en", &no_images()).is_ok());
}

const FRONT_MATTER: &str = "---
slug: broken
category: tests
source_locale: en
locale: en
status: DRAFT
translation:
  lead: Lead
  status: DRAFT
---
";

#[test]
fn every_problem_is_reported_with_its_line() -> Result<(), String> {
    let body = "
# Title

## No anchor

> [!WARNING] A title
> The text.

<!-- claims -->

- {DEFINITION · GUIDELINE} Fine. [@a]
- {DEFINITION · PROBABLE} Unknown level. [@a]
- {DEFINITON · CLINICAL} Unknown kind. [@a]
- no marker

#### Skips a level {#skips}

## Twice {#twice .faq}

Some *emphasis*.

**Q.** A question without its answer.

## Twice again {#twice}

# A second title

## Sidebar {#sidebar .sidebar}

Text.

<!-- claims -->

- {SAFETY · CLINICAL} Fine. [@a]

More text.
";
    let md = format!("{FRONT_MATTER}{body}");
    let Err(errors) = from_markdown(&md) else {
        return Err("a broken file was read".to_owned());
    };
    let expected = [
        (14, "needs an anchor"),
        (16, "unknown note tone `WARNING`; use one of INFO, CAUTION, DISCLAIMER"),
        (22, "unknown evidence level `PROBABLE`; use one of GUIDELINE,"),
        (23, "unknown claim kind `DEFINITON`"),
        (24, "a claim is `{KIND · EVIDENCE}"),
        (26, "heading level skips"),
        (30, "emphasis is not kept"),
        (32, "a question needs its answer"),
        (34, "anchor `twice` is used twice (first at line 28)"),
        (36, "a second title"),
        (38, "unknown section kind `.sidebar`"),
        (46, "only subsections may follow the claims"),
    ];
    let found: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.message.as_str())).collect();
    assert_eq!(errors.len(), expected.len(), "{}", describe(&errors));
    for ((line, message), (want_line, want)) in found.iter().zip(expected) {
        assert_eq!(*line, want_line, "{message}");
        assert!(message.contains(want), "line {line}: {message:?} lacks {want:?}");
    }
    Ok(())
}

#[test]
fn bad_front_matter_is_reported_at_its_line_with_the_body_problems() -> Result<(), String> {
    let md = FRONT_MATTER.replace("status: DRAFT\ntranslation", "status: DRAFTED\ntranslation")
        + "\nText first.\n\n# Title\n";
    let Err(errors) = from_markdown(&md) else {
        return Err("a broken file was read".to_owned());
    };
    assert_eq!(errors.len(), 2, "{}", describe(&errors));
    assert_eq!(errors[0].line, 6, "{}", errors[0]);
    assert!(errors[0].message.contains("DRAFTED"), "{}", errors[0]);
    assert_eq!(errors[1].line, 12, "{}", errors[1]);
    assert!(errors[1].message.contains("before the title"), "{}", errors[1]);

    let md = FRONT_MATTER.replace("  status: DRAFT\n", "    status: [DRAFT\n") + "\n# Title\n";
    let Err(errors) = from_markdown(&md) else {
        return Err("a broken file was read".to_owned());
    };
    assert_eq!(errors.len(), 1, "{}", describe(&errors));
    assert_eq!(errors[0].line, 9, "{}", errors[0]);
    assert!(errors[0].message.starts_with("front matter: "), "{}", errors[0]);

    // A position the YAML parser names in its message is the file's too.
    let md = FRONT_MATTER.replace("lead: Lead", "lead: \"Lead") + "\n# Title\n";
    let Err(errors) = from_markdown(&md) else {
        return Err("a broken file was read".to_owned());
    };
    assert_eq!(errors.len(), 1, "{}", describe(&errors));
    assert_eq!(errors[0].line, 10, "{}", errors[0]);
    assert!(errors[0].message.ends_with("at line 8 column 9"), "{}", errors[0]);
    Ok(())
}

#[test]
fn a_file_without_front_matter_or_title_is_refused() -> Result<(), String> {
    let errors = from_markdown("# Title\n").err().unwrap_or_default();
    assert!(
        matches!(errors.as_slice(), [LineError { line: 1, .. }]),
        "{}",
        describe(&errors)
    );
    let Err(errors) = from_markdown(FRONT_MATTER) else {
        return Err("a file without a title was read".to_owned());
    };
    assert!(
        errors.iter().any(|e| e.message.contains("no title")),
        "{}",
        describe(&errors)
    );
    Ok(())
}

#[test]
fn images_round_trip_with_their_alt_text_and_caption() -> Result<(), String> {
    let stored = uuid::Uuid::from_u128(0x0193_a4b2_7c1d_7e00_8000_0000_0000_0042);
    let mut doc = article_with("text");
    let image = Block::Image(ImageBlock { image: stored });
    if let Some(text) = doc.translations.get_mut("en") {
        text.intro = vec![image.clone()];
    }
    doc.sections[0]
        .blocks
        .insert("en".to_owned(), vec![image.clone(), image]);
    let tricky = [
        (
            "A room [with] *stars* & \\ slashes",
            Some("Seen \"from\" the hall & more \\"),
        ),
        ("診察室の写真", None),
        ("", Some("a caption without alt text")),
    ];
    for (alt, caption) in tricky {
        let file = format!("{}.jpeg", stored.simple());
        let files = HashMap::from([(
            stored,
            ImageFile {
                alt: alt.to_owned(),
                caption: caption.map(str::to_owned),
                file: file.clone(),
            },
        )]);
        let md = to_markdown(&doc, "en", &files)?;
        assert!(md.contains(&format!("]({file}")), "{md}");
        let mut parsed = read(&md).map_err(|err| format!("{alt:?}: {err}\n{md}"))?;
        // Three blocks, each a stand-in until the files are uploaded.
        assert_eq!(parsed.images.len(), 3, "{md}");
        for found in &parsed.images {
            assert_eq!((found.alt.as_str(), found.caption.as_deref()), (alt, caption), "{md}");
            assert_eq!(found.file, file);
        }
        let ids = vec![stored; parsed.images.len()];
        parsed.resolve_images(&ids);
        assert_eq!(parsed.doc, doc, "{md}");
    }
    Ok(())
}

#[test]
fn images_that_are_not_files_beside_are_refused() {
    for (image, expected) in [
        ("![x](../secret.png)", "is not a file beside this one"),
        ("![x](/etc/passwd)", "is not a file beside this one"),
        ("![x](https://example.com/a.png)", "is not a file beside this one"),
        ("![*bold*](a.png)", "plain text"),
        ("Text and ![x](a.png) together", "an image is not kept"),
    ] {
        let md = format!("{FRONT_MATTER}\n# Title\n\n{image}\n");
        let errors = from_markdown(&md).expect_err(image);
        assert!(describe(&errors).contains(expected), "{image}: {}", describe(&errors));
    }
}
