//! The medical-advertising lint: Japan's rules for what a clinic's column
//! may say (医療広告ガイドライン, 厚生労働省), checked on every save and
//! import and before review and publication, in every locale.
//!
//! The rules are data, not code: `api/rules/medical-advertising.yaml`
//! holds each rule with its severity, the guideline's wording it rests on,
//! and its patterns per language, so a clinic's compliance officer can read
//! and extend it (`--lint-rules FILE` runs another file). This module only
//! knows the three kinds of rule the file can hold:
//!
//! - `phrase`: every match of a pattern in a text is a finding, unless it
//!   overlaps a match of one of the rule's `except` patterns (a hedge such
//!   as 「必ずしも…とは限りません」 is not a guarantee);
//! - `disclosure`: when an article is in a self-pay category or mentions a
//!   trigger (エクソソーム), each requirement (cost, risks, that the product
//!   is unapproved…) must be met somewhere in that locale's text;
//! - `claim`: structural checks over the claims (a claim above
//!   EXPERT_OPINION needs a reference; a claim says no more than its
//!   sources; a claim citing an animal or in-vitro study names the model).
//!
//! A finding names its rule, severity, locale, section anchor, field and
//! the offending span. Errors hold back publication of a medical article
//! unless an ADMIN overrides them with a reason (`workflow`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use async_graphql::{Enum, SimpleObject};
use entity::block::Block;
use entity::enums::EvidenceLevel;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::content::{ArticleDoc, Localized, SectionDoc};

/// The rules Kiji ships.
const BUILTIN: &str = include_str!("../../rules/medical-advertising.yaml");

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Should not be published as it stands: holds back `publish` of a
    /// medical article unless an ADMIN overrides it.
    Error,
    /// Needs a person's look; allowed when true and evidenced.
    Warning,
}

/// One thing the lint found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, SimpleObject)]
pub struct Finding {
    /// The rule's id in the rules file, e.g. `AD-SUPERLATIVE`.
    pub rule: String,
    /// How serious it is.
    pub severity: Severity,
    /// The locale of the text.
    pub locale: String,
    /// The section's anchor; null for the article's title, lead and intro.
    pub anchor: Option<String>,
    /// Where in the article or section: `title`, `lead`, `heading`,
    /// `blocks[2]`, `claims[0]`…
    pub field: String,
    /// The offending words (for a missing disclosure, where the trigger was
    /// found).
    pub text: String,
    /// For a missing disclosure, which one (`cost`, `unapproved`…).
    pub requirement: Option<String>,
    /// Where `text` starts in the field's text, in characters.
    pub start: usize,
    /// Where it ends, in characters.
    pub end: usize,
    /// What is wrong and what to do, in the rule's words.
    pub message: String,
}

/// The article facts the lint needs besides its document.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Whether its category is marked self-pay (自由診療).
    pub self_pay: bool,
    /// What each cited reference is as evidence, by key.
    pub references: HashMap<String, Option<EvidenceLevel>>,
}

/// Why a rules file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// Not the format.
    #[error("lint rules: {0}")]
    Format(String),
    /// A pattern that does not compile.
    #[error("lint rules: rule {rule}: pattern `{pattern}`: {message}")]
    Pattern {
        /// The rule.
        rule: String,
        /// The pattern.
        pattern: String,
        /// The regex error.
        message: String,
    },
}

/// Patterns per language subtag (`ja`, `en`).
type ByLanguage = BTreeMap<String, Vec<String>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    rules: Vec<RuleDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDoc {
    id: String,
    kind: KindDoc,
    severity: Severity,
    title: Localized<String>,
    advice: Localized<String>,
    guideline: Guideline,
    #[serde(default)]
    patterns: ByLanguage,
    #[serde(default)]
    except: ByLanguage,
    #[serde(default)]
    when: Option<WhenDoc>,
    #[serde(default)]
    requires: Vec<RequirementDoc>,
    #[serde(default)]
    check: Option<ClaimCheck>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum KindDoc {
    Phrase,
    Disclosure,
    Claim,
    Coverage,
}

/// Where a rule comes from.
#[derive(Debug, Clone, Deserialize, Serialize, SimpleObject)]
#[serde(deny_unknown_fields)]
pub struct Guideline {
    /// The guideline, its section and the cases it rests on.
    pub source: String,
    /// The guideline's own words (or, where not confirmed, their substance).
    pub wording: String,
    /// Whether `wording` is the official text as read in a reproduction of
    /// the MHLW document (rather than a paraphrase or industry practice).
    pub confirmed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WhenDoc {
    #[serde(default)]
    self_pay_category: bool,
    #[serde(default)]
    mentions: ByLanguage,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequirementDoc {
    id: String,
    title: Localized<String>,
    patterns: ByLanguage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ClaimCheck {
    Unreferenced,
    AboveSource,
    NamesModel,
    UnclassifiedSource,
}

/// Compiled patterns per language: one regex per list, the patterns as
/// alternatives. Measured on the shipped rules, 254 regexes held 11.5 MB
/// and one per list 5.5 MB; each regex's lazy DFA cache is bounded too
/// ([`DFA_BYTES`]), since the lint runs on saves, never on reads.
#[derive(Debug, Default)]
struct Patterns(BTreeMap<String, Regex>);

/// The most memory one list's lazy DFA may use per thread.
const DFA_BYTES: usize = 64 * 1024;

impl Patterns {
    fn compile(rule: &str, by_language: &ByLanguage) -> Result<Self, RulesError> {
        let mut out = BTreeMap::new();
        for (language, list) in by_language {
            if list.is_empty() {
                continue;
            }
            // `(?i)` at the head of a pattern stays within its group.
            let alternatives: Vec<String> = list.iter().map(|p| format!("(?:{p})")).collect();
            let compiled = regex::RegexBuilder::new(&alternatives.join("|"))
                .dfa_size_limit(DFA_BYTES)
                .build()
                .map_err(|_| {
                    // Name the pattern at fault, not the alternation.
                    let (pattern, message) = list
                        .iter()
                        .find_map(|p| Regex::new(p).err().map(|err| (p.clone(), err.to_string())))
                        .unwrap_or_else(|| (list.join(" | "), "the patterns do not compile together".to_owned()));
                    RulesError::Pattern {
                        rule: rule.to_owned(),
                        pattern,
                        message,
                    }
                })?;
            out.insert(language.clone(), compiled);
        }
        Ok(Self(out))
    }

    /// The patterns for `locale`'s language (`en` for `en-US`).
    fn of(&self, locale: &str) -> Option<&Regex> {
        let language = locale.split('-').next().unwrap_or(locale);
        self.0.get(language)
    }

    /// Byte spans of the matches in `text`, one per position a match
    /// starts at (overlapping ones included: a hedge that begins inside
    /// another match still excuses what it covers).
    fn spans(&self, locale: &str, text: &str) -> Vec<(usize, usize)> {
        let Some(re) = self.of(locale) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(m) = re.find_at(text, from) {
            out.push((m.start(), m.end()));
            // On to the next character after this match's start.
            from = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
            if from > text.len() {
                break;
            }
        }
        out
    }

    fn any(&self, locale: &str, text: &str) -> bool {
        self.of(locale).is_some_and(|re| re.is_match(text))
    }
}

struct Requirement {
    id: String,
    title: Localized<String>,
    patterns: Patterns,
}

enum Kind {
    Phrase {
        patterns: Patterns,
        except: Patterns,
    },
    Disclosure {
        self_pay: bool,
        mentions: Patterns,
        requires: Vec<Requirement>,
    },
    Claim {
        check: ClaimCheck,
        patterns: Patterns,
    },
    /// A locale whose language no phrase rule has patterns for: nothing in
    /// it was checked, which must not pass for clean.
    Coverage,
}

/// One rule, compiled.
struct Rule {
    id: String,
    severity: Severity,
    title: Localized<String>,
    advice: Localized<String>,
    guideline: Guideline,
    kind: Kind,
}

impl Rule {
    /// The rule's words for `locale`: its own language, else English.
    fn words<'a>(map: &'a Localized<String>, locale: &str) -> &'a str {
        let language = locale.split('-').next().unwrap_or(locale);
        map.get(language)
            .or_else(|| map.get("en"))
            .or_else(|| map.values().next())
            .map_or("", String::as_str)
    }

    fn message(&self, locale: &str, extra: Option<&str>) -> String {
        let title = Self::words(&self.title, locale);
        let advice = Self::words(&self.advice, locale);
        match extra {
            Some(extra) => format!("{title}: {extra}. {advice}"),
            None => format!("{title}. {advice}"),
        }
    }
}

/// A rule as readers of the lint see it.
#[derive(Debug, Clone, SimpleObject)]
pub struct RuleInfo {
    /// Its id.
    pub id: String,
    /// How serious its findings are.
    pub severity: Severity,
    /// Its name, per locale (JSON object).
    pub title: async_graphql::Json<Localized<String>>,
    /// Why it matters and what to write instead, per locale (JSON object).
    pub advice: async_graphql::Json<Localized<String>>,
    /// Where it comes from.
    pub guideline: Guideline,
}

/// A set of compiled rules.
pub struct Rules(Vec<Rule>);

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter().map(|r| &r.id)).finish()
    }
}

/// One piece of text the lint reads.
struct Text<'a> {
    locale: &'a str,
    anchor: Option<&'a str>,
    field: String,
    /// As written.
    original: &'a str,
    /// As the patterns read it.
    seen: Normalized,
}

impl<'a> Text<'a> {
    fn new(locale: &'a str, anchor: Option<&'a str>, field: String, original: &'a str) -> Self {
        Self {
            locale,
            anchor,
            field,
            original,
            seen: Normalized::of(original),
        }
    }

    /// The written characters behind the span `start..end` (bytes) of the
    /// normalized text: their character offsets and the words as written.
    fn span(&self, start: usize, end: usize) -> (usize, usize, String) {
        let (from, to) = self.seen.original_chars(start, end);
        (from, to, self.original.chars().skip(from).take(to - from).collect())
    }
}

/// Text as the patterns read it: compatibility-normalized (NFKC: ＡＢＣ１００％
/// reads as ABC100%, ｶﾀｶﾅ as カタカナ), without format characters (zero-width
/// spaces and joiners, bidirectional controls, soft hyphens), so that
/// 「必\u{200B}ず治ります」 matches what readers see. Each character
/// remembers the written character it came from, so a finding quotes what
/// was written.
struct Normalized {
    text: String,
    /// Per normalized character: its byte offset, and the index of the
    /// written character it came from; ascending.
    origin: Vec<(usize, usize)>,
}

/// Characters that change nothing a reader sees (Unicode's format
/// characters that occur in text).
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

impl Normalized {
    fn of(original: &str) -> Self {
        use unicode_normalization::UnicodeNormalization as _;
        let mut text = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len());
        for (i, c) in original.chars().enumerate() {
            if c.is_ascii() {
                origin.push((text.len(), i));
                text.push(c);
            } else if !invisible(c) {
                for n in std::iter::once(c).nfkc() {
                    origin.push((text.len(), i));
                    text.push(n);
                }
            }
        }
        Self { text, origin }
    }

    /// The written characters (`from..to`, character offsets) behind the
    /// bytes `start..end` of the normalized text.
    fn original_chars(&self, start: usize, end: usize) -> (usize, usize) {
        let at = |byte: usize| self.origin.partition_point(|(b, _)| *b < byte);
        let from = self.origin.get(at(start)).map_or_else(|| self.written(), |(_, i)| *i);
        let last = at(end).checked_sub(1).and_then(|k| self.origin.get(k));
        let to = match last {
            Some((_, i)) if end > start => i + 1,
            _ => from,
        };
        (from, to.max(from))
    }

    /// How many written characters there were (past the last one seen).
    fn written(&self) -> usize {
        self.origin.last().map_or(0, |(_, i)| i + 1)
    }
}

impl Rules {
    /// The rules Kiji ships, compiled once.
    pub fn builtin() -> Arc<Rules> {
        static RULES: OnceLock<Arc<Rules>> = OnceLock::new();
        // The shipped file is checked by the test suite; should it ever
        // fail to compile, the lint finds nothing rather than stopping
        // every save.
        RULES
            .get_or_init(|| {
                Arc::new(Rules::from_yaml(BUILTIN).unwrap_or_else(|err| {
                    tracing::error!(error = %err, "the shipped lint rules do not compile");
                    Rules(Vec::new())
                }))
            })
            .clone()
    }

    /// The rules in `path` (`--lint-rules`), or the shipped ones.
    pub fn load(path: Option<&std::path::Path>) -> Result<Arc<Rules>, RulesError> {
        match path {
            None => Ok(Self::builtin()),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|err| RulesError::Format(format!("{}: {err}", path.display())))?;
                Ok(Arc::new(Self::from_yaml(&text)?))
            }
        }
    }

    /// Reads and compiles a rules file.
    pub fn from_yaml(text: &str) -> Result<Self, RulesError> {
        let file: File = serde_norway::from_str(text).map_err(|err| RulesError::Format(err.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        let mut rules = Vec::with_capacity(file.rules.len());
        for doc in file.rules {
            if !seen.insert(doc.id.clone()) {
                return Err(RulesError::Format(format!("rule `{}` is defined twice", doc.id)));
            }
            let kind = match doc.kind {
                KindDoc::Phrase => Kind::Phrase {
                    patterns: Patterns::compile(&doc.id, &doc.patterns)?,
                    except: Patterns::compile(&doc.id, &doc.except)?,
                },
                KindDoc::Disclosure => {
                    let when = doc
                        .when
                        .ok_or_else(|| RulesError::Format(format!("disclosure rule `{}` has no `when`", doc.id)))?;
                    let requires = doc
                        .requires
                        .iter()
                        .map(|r| {
                            Ok(Requirement {
                                id: r.id.clone(),
                                title: r.title.clone(),
                                patterns: Patterns::compile(&format!("{} › {}", doc.id, r.id), &r.patterns)?,
                            })
                        })
                        .collect::<Result<Vec<_>, RulesError>>()?;
                    Kind::Disclosure {
                        self_pay: when.self_pay_category,
                        mentions: Patterns::compile(&doc.id, &when.mentions)?,
                        requires,
                    }
                }
                KindDoc::Coverage => Kind::Coverage,
                KindDoc::Claim => Kind::Claim {
                    check: doc
                        .check
                        .ok_or_else(|| RulesError::Format(format!("claim rule `{}` has no `check`", doc.id)))?,
                    patterns: Patterns::compile(&doc.id, &doc.patterns)?,
                },
            };
            rules.push(Rule {
                id: doc.id,
                severity: doc.severity,
                title: doc.title,
                advice: doc.advice,
                guideline: doc.guideline,
                kind,
            });
        }
        Ok(Self(rules))
    }

    /// The rules, for readers of the lint.
    pub fn list(&self) -> Vec<RuleInfo> {
        self.0
            .iter()
            .map(|r| RuleInfo {
                id: r.id.clone(),
                severity: r.severity,
                title: async_graphql::Json(r.title.clone()),
                advice: async_graphql::Json(r.advice.clone()),
                guideline: r.guideline.clone(),
            })
            .collect()
    }

    /// Every finding on `doc`, in every locale it has: article texts
    /// first, then sections in reading order, rule by rule.
    pub fn check(&self, doc: &ArticleDoc, facts: &Facts) -> Vec<Finding> {
        let texts = texts(doc);
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
    fn checks(&self, locale: &str) -> bool {
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

fn phrase(rule: &Rule, patterns: &Patterns, except: &Patterns, t: &Text<'_>, out: &mut Vec<Finding>) {
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

fn disclosure(
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
        if texts.iter().any(|t| requirement.patterns.any(locale, &t.seen.text)) {
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

fn claims(
    rule: &Rule,
    check: ClaimCheck,
    patterns: &Patterns,
    doc: &ArticleDoc,
    facts: &Facts,
    out: &mut Vec<Finding>,
) {
    fn walk<'a>(sections: &'a [SectionDoc], out: &mut Vec<&'a SectionDoc>) {
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

/// Every text of `doc` the lint reads, in reading order per locale.
fn texts(doc: &ArticleDoc) -> Vec<Text<'_>> {
    let mut out = Vec::new();
    fn blocks<'a>(out: &mut Vec<Text<'a>>, locale: &'a str, anchor: Option<&'a str>, name: &str, list: &'a [Block]) {
        for (i, block) in list.iter().enumerate() {
            let parts = block.texts();
            let several = parts.len() > 1;
            for (j, text) in parts.into_iter().enumerate() {
                let field = if several {
                    format!("{name}[{i}].texts[{j}]")
                } else {
                    format!("{name}[{i}]")
                };
                out.push(Text::new(locale, anchor, field, text));
            }
        }
    }
    for (locale, t) in &doc.translations {
        let fields = [
            ("title", Some(&t.title)),
            ("lead", Some(&t.lead)),
            ("seo_title", t.seo_title.as_ref()),
            ("seo_description", t.seo_description.as_ref()),
        ];
        for (name, text) in fields {
            if let Some(text) = text {
                out.push(Text::new(locale, None, name.to_owned(), text));
            }
        }
        blocks(&mut out, locale, None, "intro", &t.intro);
    }
    fn sections<'a>(out: &mut Vec<Text<'a>>, list: &'a [SectionDoc]) {
        for s in list {
            let anchor = Some(s.anchor.as_str());
            for (locale, heading) in &s.heading {
                out.push(Text::new(locale, anchor, "heading".to_owned(), heading));
            }
            for (locale, list) in &s.blocks {
                blocks(out, locale, anchor, "blocks", list);
            }
            for (i, claim) in s.claims.iter().enumerate() {
                for (locale, text) in &claim.text {
                    out.push(Text::new(locale, anchor, format!("claims[{i}]"), text));
                }
            }
            sections(out, &s.sections);
        }
    }
    sections(&mut out, &doc.sections);
    out
}

/// The errors among `findings`.
pub fn errors(findings: &[Finding]) -> impl Iterator<Item = &Finding> {
    findings.iter().filter(|f| f.severity == Severity::Error)
}

/// What the lint needs to know of `doc` beyond its text: whether its
/// category is self-pay, and what each reference it cites is as evidence.
pub async fn facts<C: sea_orm::ConnectionTrait>(db: &C, doc: &ArticleDoc) -> Result<Facts, sea_orm::DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let self_pay = entity::category::Entity::find()
        .filter(entity::category::Column::Slug.eq(doc.category.as_str()))
        .one(db)
        .await?
        .is_some_and(|c| c.self_pay);
    let mut keys: Vec<&str> = Vec::new();
    let mut stack: Vec<&SectionDoc> = doc.sections.iter().collect();
    while let Some(s) = stack.pop() {
        keys.extend(
            s.claims
                .iter()
                .flat_map(|c| c.references.iter().map(|r| r.reference.as_str())),
        );
        stack.extend(s.sections.iter());
    }
    keys.sort_unstable();
    keys.dedup();
    let references = if keys.is_empty() {
        HashMap::new()
    } else {
        entity::reference::Entity::find()
            .filter(entity::reference::Column::Key.is_in(keys))
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.key, r.evidence_level))
            .collect()
    };
    Ok(Facts { self_pay, references })
}

impl Rules {
    /// The findings on `doc`, with the facts read from `db`.
    pub async fn run<C: sea_orm::ConnectionTrait>(
        &self,
        db: &C,
        doc: &ArticleDoc,
    ) -> Result<Vec<Finding>, sea_orm::DbErr> {
        let facts = facts(db, doc).await?;
        Ok(self.check(doc, &facts))
    }
}

/// Whether two findings are the same one, for overrides: the same rule at
/// the same place on the same words.
fn same(a: &Finding, b: &Finding) -> bool {
    (&a.rule, &a.locale, &a.requirement, &a.anchor, &a.field, &a.text)
        == (&b.rule, &b.locale, &b.requirement, &b.anchor, &b.field, &b.text)
}

/// The findings of `errors` that no override of `revision` of article `id`
/// covers yet.
pub async fn not_overridden<'a, C: sea_orm::ConnectionTrait>(
    db: &C,
    id: uuid::Uuid,
    revision: i32,
    errors: Vec<&'a Finding>,
) -> Result<Vec<&'a Finding>, sea_orm::DbErr> {
    use sea_orm::EntityTrait;
    let Some(row) = entity::lint_override::Entity::find_by_id((id, revision))
        .one(db)
        .await?
    else {
        return Ok(errors);
    };
    let covered: Vec<Finding> = serde_json::from_str(&row.findings).unwrap_or_default();
    Ok(errors
        .into_iter()
        .filter(|e| !covered.iter().any(|c| same(c, e)))
        .collect())
}

/// Keeps an ADMIN's (or the command line's) override of `errors` for
/// `revision` of an article, with its reason, and audits it; a second
/// override of the same revision adds its findings and reason to the
/// first's.
pub async fn record_override<C: sea_orm::ConnectionTrait>(
    txn: &C,
    actor: crate::editorial::audit::Actor<'_>,
    id: uuid::Uuid,
    slug: &str,
    revision: i32,
    errors: &[&Finding],
    reason: &str,
) -> Result<(), sea_orm::DbErr> {
    use sea_orm::{ActiveValue, EntityTrait};
    let listed: Vec<String> = errors
        .iter()
        .map(|f| {
            format!(
                "{}{} {} {}「{}」",
                f.rule,
                f.requirement.as_deref().map(|r| format!(" ({r})")).unwrap_or_default(),
                f.locale,
                f.anchor.as_deref().map(|a| format!("#{a} ")).unwrap_or_default(),
                f.text.chars().take(40).collect::<String>()
            )
        })
        .collect();
    let (_, who) = actor.who();
    let earlier = entity::lint_override::Entity::find_by_id((id, revision))
        .one(txn)
        .await?;
    let mut covered: Vec<Finding> = earlier
        .as_ref()
        .map(|row| serde_json::from_str(&row.findings).unwrap_or_default())
        .unwrap_or_default();
    covered.extend(errors.iter().map(|f| (*f).clone()));
    let findings = serde_json::to_string(&covered).map_err(|err| sea_orm::DbErr::Custom(format!("findings: {err}")))?;
    let row = entity::lint_override::ActiveModel {
        article_id: ActiveValue::Set(id),
        revision: ActiveValue::Set(revision),
        reason: ActiveValue::Set(match &earlier {
            Some(row) => format!("{}; {reason}", row.reason),
            None => reason.to_owned(),
        }),
        findings: ActiveValue::Set(findings),
        at: ActiveValue::Set(crate::store::clock::stored_now()),
        actor: ActiveValue::Set(who.chars().take(120).collect()),
    };
    if earlier.is_some() {
        entity::lint_override::Entity::update(row).exec(txn).await?;
    } else {
        entity::lint_override::Entity::insert(row)
            .exec_without_returning(txn)
            .await?;
    }
    crate::editorial::audit::record(
        txn,
        actor,
        "LINT_OVERRIDE",
        &format!("article:{slug}"),
        &format!(
            "revision {revision}: {} error(s) overridden ({}); reason: {reason}",
            errors.len(),
            listed.join("; ")
        ),
    )
    .await
}

#[cfg(test)]
mod tests {
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
        let file: Examples = serde_norway::from_str(include_str!("../../rules/examples.yaml")).expect("examples parse");
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
            Bundle::from_yaml(include_str!("../../../tests/fixtures/lint-every-rule.yaml")).expect("fixture parses");
        let facts = Facts {
            self_pay: bundle.categories.iter().any(|c| c.self_pay),
            references: bundle.references.iter().map(|r| (r.key.clone(), r.evidence)).collect(),
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
            Bundle::from_yaml(include_str!("../../../tests/fixtures/lint-every-rule.yaml")).expect("fixture parses");
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
}
