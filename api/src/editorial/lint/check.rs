//! Running the three kinds of rule over an article.

use super::*;

impl Rules {
    /// Every finding on `doc`, in every locale it has: article texts
    /// first, then sections in reading order, rule by rule.
    pub fn check(&self, doc: &ArticleDoc, facts: &Facts) -> Vec<Finding> {
        let texts = texts(doc, facts);
        let mut out = Vec::new();
        for rule in &self.0 {
            match &rule.kind {
                Kind::Phrase { patterns, except } => {
                    for t in &texts {
                        phrase(rule, patterns, except, t, &mut out);
                    }
                }
                Kind::Disclosure {
                    self_pay,
                    mentions,
                    requires,
                } => {
                    for locale in doc.translations.keys() {
                        let mine: Vec<&Text<'_>> = texts.iter().filter(|t| t.locale == locale).collect();
                        disclosure(
                            rule,
                            *self_pay && facts.self_pay,
                            mentions,
                            requires,
                            locale,
                            &mine,
                            &mut out,
                        );
                    }
                }
                Kind::Claim { check, patterns } => claims(rule, *check, patterns, doc, facts, &mut out),
                Kind::Coverage => {
                    for (locale, text) in &doc.translations {
                        if !self.checks(locale) {
                            out.push(Finding {
                                rule: rule.id.clone(),
                                severity: rule.severity,
                                locale: locale.clone(),
                                anchor: None,
                                field: "title".to_owned(),
                                start: 0,
                                end: text.title.chars().count(),
                                text: text.title.clone(),
                                requirement: None,
                                message: rule.message(locale, Some(locale)),
                            });
                        }
                    }
                }
            }
        }
        out
    }

    /// Whether any phrase rule has patterns for `locale`'s language.
    pub(super) fn checks(&self, locale: &str) -> bool {
        self.0.iter().any(|r| match &r.kind {
            Kind::Phrase { patterns, .. } => patterns.of(locale).is_some(),
            _ => false,
        })
    }

    /// The findings on one piece of text, as if it stood in `locale`: for
    /// tests and for trying a rule out.
    pub fn check_text(&self, locale: &str, text: &str) -> Vec<Finding> {
        let t = Text::new(locale, None, "text".to_owned(), text);
        let mut out = Vec::new();
        for rule in &self.0 {
            if let Kind::Phrase { patterns, except } = &rule.kind {
                phrase(rule, patterns, except, &t, &mut out);
            }
        }
        out
    }
}

pub(super) fn phrase(rule: &Rule, patterns: &Patterns, except: &Patterns, t: &Text<'_>, out: &mut Vec<Finding>) {
    let hits = patterns.spans(t.locale, &t.seen.text);
    if hits.is_empty() {
        return;
    }
    let excused = except.spans(t.locale, &t.seen.text);
    let mut reported: Vec<(usize, usize)> = Vec::new();
    for (start, end) in hits {
        let overlaps = |(a, b): &(usize, usize)| *a < end && start < *b;
        if excused.iter().any(overlaps) || reported.iter().any(overlaps) {
            continue;
        }
        reported.push((start, end));
        let (from, to, text) = t.span(start, end);
        out.push(Finding {
            rule: rule.id.clone(),
            severity: rule.severity,
            locale: t.locale.to_owned(),
            anchor: t.anchor.map(str::to_owned),
            field: t.field.clone(),
            message: rule.message(t.locale, Some(&format!("「{text}」"))),
            text,
            requirement: None,
            start: from,
            end: to,
        });
    }
}

pub(super) fn disclosure(
    rule: &Rule,
    self_pay: bool,
    mentions: &Patterns,
    requires: &[Requirement],
    locale: &str,
    texts: &[&Text<'_>],
    out: &mut Vec<Finding>,
) {
    // Where the rule is triggered: the first mention, else the title.
    let trigger = texts.iter().find_map(|t| {
        let m = mentions.of(locale)?.find(&t.seen.text)?;
        Some((*t, m.start(), m.end()))
    });
    let (at, start, end) = match trigger {
        Some(found) => found,
        None if self_pay => match texts.first() {
            Some(first) => (*first, 0, 0),
            None => return,
        },
        None => return,
    };
    for requirement in requires {
        if requirement.patterns.of(locale).is_none() {
            continue;
        }
        // Alt text is read by screen readers only: a disclosure must be
        // on the page.
        if texts
            .iter()
            .any(|t| !t.field.ends_with(".alt") && requirement.patterns.any(locale, &t.seen.text))
        {
            continue;
        }
        let (from, to, text) = at.span(start, end);
        let missing = Rule::words(&requirement.title, locale);
        out.push(Finding {
            rule: rule.id.clone(),
            severity: rule.severity,
            locale: locale.to_owned(),
            anchor: at.anchor.map(str::to_owned),
            field: at.field.clone(),
            message: rule.message(
                locale,
                Some(&if locale.starts_with("ja") {
                    format!("「{missing}」の記載がありません ({})", requirement.id)
                } else {
                    format!("no statement of {missing} ({})", requirement.id)
                }),
            ),
            text,
            requirement: Some(requirement.id.clone()),
            start: from,
            end: to,
        });
    }
}

pub(super) fn claims(
    rule: &Rule,
    check: ClaimCheck,
    patterns: &Patterns,
    doc: &ArticleDoc,
    facts: &Facts,
    out: &mut Vec<Finding>,
) {
    pub(super) fn walk<'a>(sections: &'a [SectionDoc], out: &mut Vec<&'a SectionDoc>) {
        for s in sections {
            out.push(s);
            walk(&s.sections, out);
        }
    }
    let mut sections = Vec::new();
    walk(&doc.sections, &mut sections);
    for section in sections {
        for (i, claim) in section.claims.iter().enumerate() {
            let levels: Vec<Option<EvidenceLevel>> = claim
                .references
                .iter()
                .map(|c| facts.references.get(&c.reference).copied().flatten())
                .collect();
            let failing_locales: Vec<&str> = match check {
                ClaimCheck::Unreferenced => {
                    if claim.evidence.requires_reference() && claim.references.is_empty() {
                        claim.text.keys().map(String::as_str).collect()
                    } else {
                        Vec::new()
                    }
                }
                ClaimCheck::AboveSource => {
                    let known: Vec<EvidenceLevel> = levels.iter().flatten().copied().collect();
                    let above =
                        claim.evidence.requires_reference() && !known.is_empty() && !known.contains(&claim.evidence);
                    if above {
                        claim.text.keys().map(String::as_str).collect()
                    } else {
                        Vec::new()
                    }
                }
                // A source nobody classified would keep the other two
                // checks quiet.
                ClaimCheck::UnclassifiedSource => {
                    if levels.contains(&None) {
                        claim.text.keys().map(String::as_str).collect()
                    } else {
                        Vec::new()
                    }
                }
                ClaimCheck::NamesModel => {
                    if levels.contains(&Some(EvidenceLevel::Preclinical)) {
                        claim
                            .text
                            .iter()
                            .filter(|(locale, text)| {
                                patterns.of(locale).is_some() && !patterns.any(locale, &Normalized::of(text).text)
                            })
                            .map(|(locale, _)| locale.as_str())
                            .collect()
                    } else {
                        Vec::new()
                    }
                }
            };
            for locale in failing_locales {
                let text = claim.text.get(locale).cloned().unwrap_or_default();
                let extra = match check {
                    ClaimCheck::AboveSource => Some(format!(
                        "{} ≠ {}",
                        crate::content::import::spelled(&claim.evidence),
                        levels
                            .iter()
                            .flatten()
                            .map(crate::content::import::spelled)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    _ => None,
                };
                out.push(Finding {
                    rule: rule.id.clone(),
                    severity: rule.severity,
                    locale: locale.to_owned(),
                    anchor: Some(section.anchor.clone()),
                    field: format!("claims[{i}]"),
                    start: 0,
                    end: text.chars().count(),
                    message: rule.message(locale, extra.as_deref()),
                    text,
                    requirement: None,
                });
            }
        }
    }
}
