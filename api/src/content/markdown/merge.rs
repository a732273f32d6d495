//! Merging a file's texts into the stored article.

use super::*;

/// Applies a file's texts to `base` (the stored article):
/// - file in the source locale: the file decides the structure (section tree, anchors, kinds, claims with
///   kind/evidence/citations, tags, contributors' supervisor+role, category) and the source texts; other locales'
///   texts are carried over from `base` for sections that keep their anchor and for claims at the same position
///   within a section whose claims count is unchanged (drop them otherwise);
/// - file in another locale: the structure must be the source's (an anchor not in `base` is an error at its line;
///   claims of a section must match base's claims in number, kind, evidence and citations, else error at the
///   section's line); its texts replace that locale's texts; a section absent from the file loses that locale's
///   heading/blocks (it falls back for readers); the translation-level fields of that locale (title, lead, intro,
///   seo fields) come from the file.
///
/// Workflow fields (status, revision, published_at, translation status, source_revision, signed_off_*) are kept
/// from `base` in both cases, and so is `updated_at`, which the application sets when it saves; a contributor the
/// file adds has signed nothing off. A source file also gives the `source` note. A translation file cannot change
/// anything else of the article: its section kinds, parents and order must be the source's (errors at the
/// section's line), a section absent or untranslated (`## {#anchor}`) loses that locale's claim texts too, and the
/// rest of its front matter is ignored. A file whose slug or source locale is not `base`'s is an error at line 1.
pub fn merge(base: &ArticleDoc, file: MarkdownArticle) -> Result<ArticleDoc, Vec<LineError>> {
    let mut errors = Vec::new();
    // Front matter problems are reported at its first line: the lines of
    // its keys are not kept.
    if file.doc.slug != base.slug {
        errors.push(LineError {
            line: 1,
            message: format!(
                "front matter: slug `{}` is not this article's (`{}`)",
                file.doc.slug, base.slug
            ),
        });
    }
    if file.doc.source_locale != base.source_locale {
        errors.push(LineError {
            line: 1,
            message: format!(
                "front matter: source_locale `{}` is not this article's (`{}`)",
                file.doc.source_locale, base.source_locale
            ),
        });
    }
    let MarkdownArticle {
        locale, mut doc, lines, ..
    } = file;
    let Some(mut text) = doc.translations.remove(&locale) else {
        errors.push(LineError {
            line: 1,
            message: format!("the file has no texts in its locale `{locale}`"),
        });
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    if let Some(stored) = base.translations.get(&locale) {
        text.status = stored.status;
        text.source_revision = stored.source_revision;
    }
    if locale == base.source_locale {
        Ok(merge_source(base, doc, text, &locale))
    } else {
        merge_translation(base, &doc, text, &locale, &lines)
    }
}

fn merge_source(base: &ArticleDoc, file: ArticleDoc, text: ArticleText, locale: &str) -> ArticleDoc {
    let mut stored = HashMap::new();
    index_sections(&base.sections, None, &mut stored);
    let contributors = file
        .contributors
        .into_iter()
        .map(|c| {
            match base
                .contributors
                .iter()
                .find(|b| b.supervisor == c.supervisor && b.role == c.role)
            {
                Some(kept) => kept.clone(),
                // A sign-off is given in the application, never by editing a file.
                None => ContributorDoc {
                    signed_off_revision: None,
                    signed_off_at: None,
                    signed_off_locales: Vec::new(),
                    signed_off_claims: false,
                    ..c
                },
            }
        })
        .collect();
    let mut translations = base.translations.clone();
    translations.insert(locale.to_owned(), text);
    let mut sections = file.sections;
    carry_translations(&mut sections, &stored, locale);
    ArticleDoc {
        slug: base.slug.clone(),
        category: file.category,
        source_locale: base.source_locale.clone(),
        status: base.status,
        revision: base.revision,
        published_at: base.published_at,
        updated_at: base.updated_at,
        source: file.source,
        tags: file.tags,
        contributors,
        translations,
        sections,
        lint_override: file.lint_override.or_else(|| base.lint_override.clone()),
    }
}

/// Gives the file's sections the other locales' texts `base` has for them.
fn carry_translations(sections: &mut [SectionDoc], stored: &HashMap<String, Indexed<'_>>, locale: &str) {
    for section in sections {
        if let Some(old) = stored.get(&section.anchor).map(|i| i.section) {
            let others = |l: &&String| l.as_str() != locale;
            for (l, heading) in old.heading.iter().filter(|(l, _)| others(l)) {
                section.heading.insert(l.clone(), heading.clone());
            }
            for (l, blocks) in old.blocks.iter().filter(|(l, _)| others(l)) {
                section.blocks.insert(l.clone(), blocks.clone());
            }
            if old.claims.len() == section.claims.len() {
                for (claim, old) in section.claims.iter_mut().zip(&old.claims) {
                    for (l, t) in old.text.iter().filter(|(l, _)| others(l)) {
                        claim.text.insert(l.clone(), t.clone());
                    }
                }
            }
        }
        carry_translations(&mut section.sections, stored, locale);
    }
}

/// A section of an article with its place in the tree.
struct Indexed<'a> {
    section: &'a SectionDoc,
    parent: Option<&'a str>,
    position: usize,
}

fn index_sections<'a>(sections: &'a [SectionDoc], parent: Option<&'a str>, out: &mut HashMap<String, Indexed<'a>>) {
    for (position, section) in sections.iter().enumerate() {
        out.insert(
            section.anchor.clone(),
            Indexed {
                section,
                parent,
                position,
            },
        );
        index_sections(&section.sections, Some(&section.anchor), out);
    }
}

fn merge_translation(
    base: &ArticleDoc,
    file: &ArticleDoc,
    text: ArticleText,
    locale: &str,
    lines: &HashMap<String, usize>,
) -> Result<ArticleDoc, Vec<LineError>> {
    let mut stored = HashMap::new();
    index_sections(&base.sections, None, &mut stored);
    let mut given = HashMap::new();
    index_sections(&file.sections, None, &mut given);
    let mut errors = Vec::new();
    check_structure(&file.sections, None, &stored, lines, &mut errors);
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(errors);
    }
    let mut merged = base.clone();
    merged.translations.insert(locale.to_owned(), text);
    apply_translation(&mut merged.sections, &given, locale);
    Ok(merged)
}

/// Checks that a translation's sections are the source's: known anchors,
/// same kinds, parents and order, same claims.
fn check_structure(
    sections: &[SectionDoc],
    parent: Option<&str>,
    stored: &HashMap<String, Indexed<'_>>,
    lines: &HashMap<String, usize>,
    errors: &mut Vec<LineError>,
) {
    let mut previous: Option<(&str, usize)> = None;
    for section in sections {
        let line = lines.get(&section.anchor).copied().unwrap_or(1);
        let mut error = |message: String| errors.push(LineError { line, message });
        let Some(old) = stored.get(&section.anchor) else {
            error(format!(
                "the article has no section `{}`; a translation cannot add sections",
                section.anchor
            ));
            check_structure(&section.sections, Some(&section.anchor), stored, lines, errors);
            continue;
        };
        if old.section.kind != section.kind {
            error(format!(
                "section `{}` is {} in the article, not {}",
                section.anchor,
                spelled(&old.section.kind),
                spelled(&section.kind)
            ));
        }
        if old.parent != parent {
            error(match old.parent {
                Some(p) => format!("section `{}` is under `{p}` in the article", section.anchor),
                None => format!("section `{}` is a top-level section in the article", section.anchor),
            });
        } else if let Some((before, position)) = previous
            && position > old.position
        {
            error(format!(
                "section `{}` comes before `{before}` in the article",
                section.anchor
            ));
        }
        if old.parent == parent {
            previous = Some((section.anchor.as_str(), old.position));
        }
        if let Some(problem) = claims_differ(&old.section.claims, &section.claims) {
            error(format!(
                "the claims of `{}` must be the article's: {problem}",
                section.anchor
            ));
        }
        check_structure(&section.sections, Some(&section.anchor), stored, lines, errors);
    }
}

/// How a translation's claims differ from the source's, if they do.
fn claims_differ(stored: &[ClaimDoc], given: &[ClaimDoc]) -> Option<String> {
    if stored.len() != given.len() {
        return Some(format!("it has {} claims, the file {}", stored.len(), given.len()));
    }
    for (i, (old, new)) in stored.iter().zip(given).enumerate() {
        if old.kind != new.kind || old.evidence != new.evidence || old.references != new.references {
            let refs = old
                .references
                .iter()
                .map(|c| match &c.locator {
                    Some(locator) => format!(" [@{}, {locator}]", c.reference),
                    None => format!(" [@{}]", c.reference),
                })
                .collect::<String>();
            return Some(format!(
                "claim {} is {{{}{CLAIM_SEPARATOR}{}}}{refs}",
                i + 1,
                spelled(&old.kind),
                spelled(&old.evidence)
            ));
        }
    }
    None
}

/// Sets `locale`'s texts of every section from the file, removing them
/// where the file has none.
fn apply_translation(sections: &mut [SectionDoc], given: &HashMap<String, Indexed<'_>>, locale: &str) {
    for section in sections {
        let from = given.get(&section.anchor).map(|i| i.section);
        set(&mut section.heading, locale, from.and_then(|f| f.heading.get(locale)));
        set(&mut section.blocks, locale, from.and_then(|f| f.blocks.get(locale)));
        for (i, claim) in section.claims.iter_mut().enumerate() {
            let text = from.and_then(|f| f.claims.get(i)).and_then(|c| c.text.get(locale));
            set(&mut claim.text, locale, text);
        }
        apply_translation(&mut section.sections, given, locale);
    }
}

fn set<T: Clone>(map: &mut BTreeMap<String, T>, locale: &str, value: Option<&T>) {
    match value {
        Some(value) => {
            map.insert(locale.to_owned(), value.clone());
        }
        None => {
            map.remove(locale);
        }
    }
}
