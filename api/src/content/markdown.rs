//! Articles as Markdown files: one locale of one article per file, written
//! and read back without loss, so editors and translators can work in any
//! text editor and re-import what they changed.
//!
//! A file is YAML front matter between `---` lines followed by CommonMark
//! with heading attributes:
//!
//! ```text
//! ---
//! slug: exosome-effects-and-side-effects
//! category: regenerative-medicine
//! source_locale: ja
//! locale: en
//! status: PUBLISHED
//! revision: 1
//! published_at: 2024-11-08T00:00:00+09:00
//! tags:
//! - exosome
//! contributors:
//! - supervisor: shinichi-suita
//!   role: SUPERVISOR
//!   signed_off_revision: 1
//!   signed_off_locales:
//!   - ja
//! translation:
//!   lead: You may have been hearing the word "exosome" more and more often.
//!   status: PUBLISHED
//!   source_revision: 1
//! ---
//!
//! # Exosomes: Effects and Side Effects Explained
//!
//! An intro paragraph.
//!
//! ## What is an exosome? {#what-is-an-exosome}
//!
//! A paragraph.
//!
//! 1. A numbered item
//!    - with a nested bullet
//!
//! > [!CAUTION] An optional title
//! > The note's text.
//!
//! <!-- claims -->
//!
//! - {DEFINITION · GUIDELINE} Exosomes are membrane vesicles. [@misev2018, Section 1, Nomenclature]
//! - {MECHANISM · EXPERT_OPINION} A claim without references.
//!
//! ### A subsection {#a-subsection}
//!
//! ## Frequently asked questions {#faq .faq}
//!
//! **Q.** A question?
//!
//! **A.** Its answer.
//! ```
//!
//! - Front matter: the article's fields with the names and spellings of the
//!   YAML bundle (`slug`, `category`, `source_locale`, `status`, `revision`,
//!   `published_at`, `updated_at`, `source`, `tags`, `contributors`), the
//!   file's `locale`, and under `translation` that locale's `lead`,
//!   `seo_title`, `seo_description`, `status` and `source_revision`.
//! - `# Title` comes first and once; blocks before the first section are the
//!   intro.
//! - A section is a heading one level deeper than its parent (`##` at the
//!   top, down to `######`) with its anchor in `{#anchor}`; a class gives a
//!   kind other than body (`.faq`, `.summary`).
//! - Blocks: paragraphs; lists, `-` or `1.`, nested by indentation (a list
//!   right after another of the same sort switches to `+` or `1)`, since
//!   Markdown would otherwise join the two); a question and its answer as
//!   two paragraphs starting `**Q.**` and `**A.**`; a note as a quotation
//!   whose first line is `[!INFO]`, `[!CAUTION]` or `[!DISCLAIMER]` and an
//!   optional title, and whose second line is the text.
//! - A section's claims follow its blocks, before its subsections: the line
//!   `<!-- claims -->`, then a list whose items are
//!   `{KIND · EVIDENCE} text [@key, locator] [@key]`.
//! - Texts are plain. Writing escapes every character Markdown would read as
//!   markup with a backslash, and writes leading or trailing whitespace,
//!   line breaks and control characters as character references (`&#10;`),
//!   so reading gives back the same string; emphasis, links, code or HTML in
//!   a file are errors, not silently dropped.
//! - In a translation, a section or claim not translated yet has no text:
//!   `## {#anchor}`, `- {KIND · EVIDENCE} [@key]`.
//!
//! Not lossless: a section's empty block list in a locale reads back as no
//! block list there; empty texts and the NUL character cannot be written, so
//! [`to_markdown`] refuses them rather than write a file that reads back
//! differently.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use async_graphql::EnumType;
use chrono::{DateTime, FixedOffset};
use entity::block::{Block, ListBlock, ListItem, NoteBlock, NoteTone, ParagraphBlock, QuestionAnswerBlock};
use entity::enums::{ClaimKind, ContributorRole, EvidenceLevel, SectionKind, Status};
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

use super::import::spelled;
use super::{ArticleDoc, ArticleText, CitationDoc, ClaimDoc, ContributorDoc, SectionDoc, SourceNote, first_revision};

/// A problem in a Markdown file, at a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LineError {
    /// The 1-based line the problem is on.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One locale of one article, as read from a Markdown file.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkdownArticle {
    /// The locale the file's texts are in.
    pub locale: String,
    /// The article with texts in `locale` only (every Localized map has at most that one key).
    pub doc: ArticleDoc,
    /// Line of each section's heading, by anchor, for later error messages.
    pub lines: HashMap<String, usize>,
}

/// Deepest section: `######` is depth 4 (`##` is 0).
const MAX_DEPTH: usize = 4;
/// The comment that introduces a section's claims.
const CLAIMS_MARKER: &str = "<!-- claims -->";
/// Separates a claim's kind from its evidence level.
const CLAIM_SEPARATOR: &str = " · ";

/// Only heading attributes: every other extension would make a file mean
/// something different in viewers that lack it.
fn options() -> Options {
    Options::ENABLE_HEADING_ATTRIBUTES
}

/// The front matter: the article's fields and the file locale's
/// translation-level fields.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    slug: String,
    category: String,
    source_locale: String,
    locale: String,
    status: Status,
    #[serde(default = "first_revision")]
    revision: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    published_at: Option<DateTime<FixedOffset>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    updated_at: Option<DateTime<FixedOffset>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<Source>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    contributors: Vec<Contributor>,
    /// Only in a file an operator imports as PUBLISHED: see
    /// [`ArticleDoc::lint_override`]. Never written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lint_override: Option<super::LintOverrideDoc>,
    translation: Translation,
}

/// [`SourceNote`] without the empty fields the bundle format writes out.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Source {
    note: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

/// [`ContributorDoc`] without the empty fields the bundle format writes out.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Contributor {
    supervisor: String,
    role: ContributorRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signed_off_revision: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signed_off_at: Option<DateTime<FixedOffset>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    signed_off_locales: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    signed_off_claims: bool,
}

/// The fields of an [`ArticleText`] that are not in the Markdown body.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Translation {
    lead: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seo_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seo_description: Option<String>,
    status: Status,
    #[serde(default = "first_revision")]
    source_revision: i32,
}

impl From<&ContributorDoc> for Contributor {
    fn from(c: &ContributorDoc) -> Self {
        Self {
            supervisor: c.supervisor.clone(),
            role: c.role,
            signed_off_revision: c.signed_off_revision,
            signed_off_at: c.signed_off_at,
            signed_off_locales: c.signed_off_locales.clone(),
            signed_off_claims: c.signed_off_claims,
        }
    }
}

impl From<Contributor> for ContributorDoc {
    fn from(c: Contributor) -> Self {
        Self {
            supervisor: c.supervisor,
            role: c.role,
            signed_off_revision: c.signed_off_revision,
            signed_off_at: c.signed_off_at,
            signed_off_locales: c.signed_off_locales,
            signed_off_claims: c.signed_off_claims,
        }
    }
}

// ---------------------------------------------------------------- writing

/// Writes `locale`'s texts of `doc` as Markdown with YAML front matter. Err if doc has no translation in `locale`.
pub fn to_markdown(doc: &ArticleDoc, locale: &str) -> Result<String, String> {
    let text = doc
        .translations
        .get(locale)
        .ok_or_else(|| format!("article `{}` has no translation in `{locale}`", doc.slug))?;
    let matter = FrontMatter {
        slug: doc.slug.clone(),
        category: doc.category.clone(),
        source_locale: doc.source_locale.clone(),
        locale: locale.to_owned(),
        status: doc.status,
        revision: doc.revision,
        published_at: doc.published_at,
        updated_at: doc.updated_at,
        source: doc.source.as_ref().map(|s| Source {
            note: s.note.clone(),
            url: s.url.clone(),
        }),
        tags: doc.tags.clone(),
        contributors: doc.contributors.iter().map(Contributor::from).collect(),
        lint_override: doc.lint_override.clone(),
        translation: Translation {
            lead: text.lead.clone(),
            seo_title: text.seo_title.clone(),
            seo_description: text.seo_description.clone(),
            status: text.status,
            source_revision: text.source_revision,
        },
    };
    let yaml = serde_norway::to_string(&matter).map_err(|err| format!("front matter: {err}"))?;
    let mut writer = Writer {
        out: format!("---\n{yaml}---\n\n# "),
        locale,
        source: locale == doc.source_locale,
    };
    writer.text(&text.title, "title")?;
    writer.out.push('\n');
    writer.blocks(&text.intro, "intro")?;
    for section in &doc.sections {
        writer.section(section, 0)?;
    }
    Ok(writer.out)
}

/// Builds one file; `source` is whether `locale` is the article's own.
struct Writer<'a> {
    out: String,
    locale: &'a str,
    source: bool,
}

impl Writer<'_> {
    /// Appends `text` escaped; `at` names it in errors.
    fn text(&mut self, text: &str, at: &str) -> Result<(), String> {
        self.escaped(text, &[], at)
    }

    fn escaped(&mut self, text: &str, extra: &[char], at: &str) -> Result<(), String> {
        if text.is_empty() {
            return Err(format!(
                "{at}: an empty text cannot be written (it would read back as none)"
            ));
        }
        escape(&mut self.out, text, extra).map_err(|err| format!("{at}: {err}"))
    }

    fn blocks(&mut self, blocks: &[Block], at: &str) -> Result<(), String> {
        // Markdown joins two adjacent lists with the same marker into one.
        let mut last_list: Option<(bool, bool)> = None;
        for (i, block) in blocks.iter().enumerate() {
            let at = format!("{at} › block {}", i + 1);
            self.out.push('\n');
            let mut this_list = None;
            match block {
                Block::Paragraph(p) => self.text(&p.text, &at)?,
                Block::List(list) => {
                    let alternate = last_list.is_some_and(|(ordered, alternate)| ordered == list.ordered && !alternate);
                    self.list(list, 0, alternate, &at)?;
                    this_list = Some((list.ordered, alternate));
                }
                Block::QuestionAnswer(qa) => {
                    self.out.push_str("**Q.** ");
                    self.text(&qa.question, &at)?;
                    self.out.push_str("\n\n**A.** ");
                    self.text(&qa.answer, &at)?;
                }
                Block::Note(note) => {
                    self.out.push_str("> [!");
                    self.out.push_str(&spelled(&note.tone));
                    self.out.push(']');
                    if let Some(title) = &note.title {
                        self.out.push(' ');
                        self.text(title, &at)?;
                    }
                    self.out.push_str("\n> ");
                    self.text(&note.text, &at)?;
                }
            }
            if !matches!(block, Block::List(_)) {
                self.out.push('\n');
            }
            last_list = this_list;
        }
        Ok(())
    }

    fn list(&mut self, list: &ListBlock, indent: usize, alternate: bool, at: &str) -> Result<(), String> {
        if list.items.is_empty() {
            return Err(format!("{at}: a list without items cannot be written"));
        }
        for (i, item) in list.items.iter().enumerate() {
            let marker = match (list.ordered, alternate) {
                (true, false) => format!("{}.", i + 1),
                (true, true) => format!("{})", i + 1),
                (false, false) => "-".to_owned(),
                (false, true) => "+".to_owned(),
            };
            self.out.extend(std::iter::repeat_n(' ', indent));
            self.out.push_str(&marker);
            self.out.push(' ');
            self.text(&item.text, at)?;
            self.out.push('\n');
            if let Some(nested) = &item.list {
                self.list(nested, indent + marker.len() + 1, false, at)?;
            }
        }
        Ok(())
    }

    fn section(&mut self, section: &SectionDoc, depth: usize) -> Result<(), String> {
        let at = format!("section `{}`", section.anchor);
        if depth > MAX_DEPTH {
            return Err(format!("{at}: sections nest at most to h{}", MAX_DEPTH + 2));
        }
        if !is_slug(&section.anchor) {
            return Err(format!("{at}: an anchor is lower-case words joined by hyphens"));
        }
        self.out.push('\n');
        self.out.extend(std::iter::repeat_n('#', depth + 2));
        self.out.push(' ');
        let heading = section.heading.get(self.locale);
        match heading {
            Some(heading) => {
                self.text(heading, &at)?;
                self.out.push(' ');
            }
            None if self.source => return Err(format!("{at}: no heading in the source locale")),
            None => {}
        }
        self.out.push_str("{#");
        self.out.push_str(&section.anchor);
        if section.kind != SectionKind::Body {
            self.out.push_str(" .");
            self.out.push_str(&kind_class(section.kind));
        }
        self.out.push_str("}\n");
        if let Some(blocks) = section.blocks.get(self.locale) {
            if heading.is_none() {
                return Err(format!("{at}: blocks in `{}` but no heading", self.locale));
            }
            self.blocks(blocks, &at)?;
        }
        if !section.claims.is_empty() {
            self.out.push('\n');
            self.out.push_str(CLAIMS_MARKER);
            self.out.push_str("\n\n");
            for (i, claim) in section.claims.iter().enumerate() {
                self.claim(claim, &format!("{at} › claim {}", i + 1))?;
            }
        }
        for child in &section.sections {
            self.section(child, depth + 1)?;
        }
        Ok(())
    }

    fn claim(&mut self, claim: &ClaimDoc, at: &str) -> Result<(), String> {
        self.out.push_str("- {");
        self.out.push_str(&spelled(&claim.kind));
        self.out.push_str(CLAIM_SEPARATOR);
        self.out.push_str(&spelled(&claim.evidence));
        self.out.push('}');
        match claim.text.get(self.locale) {
            Some(text) => {
                self.out.push(' ');
                self.text(text, at)?;
            }
            None if self.source => return Err(format!("{at}: no text in the source locale")),
            None => {}
        }
        for citation in &claim.references {
            self.out.push_str(" [@");
            // A comma ends the key.
            self.escaped(&citation.reference, &[','], at)?;
            if let Some(locator) = &citation.locator {
                self.out.push_str(", ");
                self.text(locator, at)?;
            }
            self.out.push(']');
        }
        self.out.push('\n');
        Ok(())
    }
}

/// Characters escaped wherever they stand: inline markup, heading
/// attributes and closing `#`s, and the extensions of popular viewers
/// (tables, strikethrough, math), so the file looks right there too.
const ALWAYS_ESCAPED: &[char] = &['\\', '`', '*', '_', '[', ']', '<', '{', '}', '|', '~', '$', '#'];
/// Characters escaped at the start of a text, which may be the start of a
/// line: block quotes, list markers, thematic breaks, setext underlines,
/// definition lists.
const LEADING_ESCAPED: &[char] = &['>', '-', '+', '=', ':'];

/// Appends `text` so that CommonMark reads it back as exactly `text`.
fn escape(out: &mut String, text: &str, extra: &[char]) -> Result<(), String> {
    let chars: Vec<char> = text.chars().collect();
    let last = chars.len().saturating_sub(1);
    let mut digits_only = true;
    for (i, &c) in chars.iter().enumerate() {
        if c == '\0' {
            return Err("the NUL character cannot be written in Markdown".to_owned());
        }
        // Markdown strips whitespace around a line and reads control
        // characters as line breaks; a character reference is kept as is.
        if c.is_control() || ((i == 0 || i == last) && c.is_whitespace()) {
            out.push_str(&format!("&#{};", u32::from(c)));
        } else if ALWAYS_ESCAPED.contains(&c)
            || extra.contains(&c)
            || (i == 0 && LEADING_ESCAPED.contains(&c))
            || (c == '&' && starts_reference(chars.get(i + 1..).unwrap_or_default()))
            || (matches!(c, '.' | ')') && i > 0 && digits_only)
        {
            out.push('\\');
            out.push(c);
        } else {
            out.push(c);
        }
        digits_only = digits_only && c.is_ascii_digit();
    }
    Ok(())
}

/// Whether `&` followed by `rest` could be read as a character reference
/// (`&amp;`, `&#42;`): a name or number closed by `;`.
fn starts_reference(rest: &[char]) -> bool {
    let name = rest
        .iter()
        .take(32)
        .take_while(|c| c.is_ascii_alphanumeric() || **c == '#')
        .count();
    name > 0 && rest.get(name) == Some(&';')
}

fn kind_class(kind: SectionKind) -> String {
    spelled(&kind).to_lowercase()
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.split('-')
            .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

// ---------------------------------------------------------------- reading

/// Reads a Markdown file; every problem found, each with its line, or the article.
pub fn from_markdown(text: &str) -> Result<MarkdownArticle, Vec<LineError>> {
    let index = LineIndex::new(text);
    let mut errors = Vec::new();
    let Some((matter, body_start)) = front_matter(text, &mut errors) else {
        return Err(errors);
    };
    let (locale, source) = match &matter {
        Some(m) => (m.locale.clone(), m.locale == m.source_locale),
        None => (String::new(), false),
    };
    let body = text.get(body_start..).unwrap_or_default();
    let mut reader = Reader {
        src: body,
        offset: body_start,
        index: &index,
        events: Parser::new_ext(body, options()).into_offset_iter().collect(),
        pos: 0,
        errors: Vec::new(),
        locale: locale.clone(),
        source,
    };
    let read = reader.document();
    errors.extend(reader.errors);
    let (Some(matter), Some(title), true) = (matter, read.title, errors.is_empty()) else {
        errors.sort_by_key(|e| e.line);
        return Err(errors);
    };
    let text = ArticleText {
        title,
        lead: matter.translation.lead,
        intro: read.intro,
        seo_title: matter.translation.seo_title,
        seo_description: matter.translation.seo_description,
        status: matter.translation.status,
        source_revision: matter.translation.source_revision,
    };
    let doc = ArticleDoc {
        slug: matter.slug,
        category: matter.category,
        source_locale: matter.source_locale,
        status: matter.status,
        revision: matter.revision,
        published_at: matter.published_at,
        updated_at: matter.updated_at,
        source: matter.source.map(|s| SourceNote {
            note: s.note,
            url: s.url,
        }),
        tags: matter.tags,
        contributors: matter.contributors.into_iter().map(ContributorDoc::from).collect(),
        translations: BTreeMap::from([(locale.clone(), text)]),
        sections: read.sections,
        lint_override: matter.lint_override,
    };
    Ok(MarkdownArticle {
        locale,
        doc,
        lines: read.lines,
    })
}

/// Byte offsets of line starts, to turn offsets into 1-based lines.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(
                text.bytes()
                    .enumerate()
                    .filter(|(_, b)| *b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        Self(starts)
    }

    fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset).max(1)
    }
}

/// The front matter (`None` when it is invalid, with the problem in
/// `errors`) and where the body starts; `None` when the body cannot be
/// found at all.
fn front_matter(text: &str, errors: &mut Vec<LineError>) -> Option<(Option<FrontMatter>, usize)> {
    let mut lines = text.split_inclusive('\n');
    let opening = lines.next().unwrap_or_default();
    if opening.trim_start_matches('\u{feff}').trim_end() != "---" {
        errors.push(LineError {
            line: 1,
            message: "a file starts with its front matter between two `---` lines".to_owned(),
        });
        return None;
    }
    let yaml_start = opening.len();
    let mut at = yaml_start;
    for line in lines {
        if line.trim_end() == "---" {
            let yaml = text.get(yaml_start..at).unwrap_or_default();
            let matter = match serde_norway::from_str::<FrontMatter>(yaml) {
                Ok(matter) => Some(matter),
                Err(err) => {
                    // The YAML starts on the file's second line.
                    let line = err.location().map_or(1, |l| l.line() + 1);
                    errors.push(LineError {
                        line,
                        message: format!("front matter: {}", yaml_message(&err, 1)),
                    });
                    None
                }
            };
            return Some((matter, at + line.len()));
        }
        at += line.len();
    }
    errors.push(LineError {
        line: 1,
        message: "the front matter has no closing `---` line".to_owned(),
    });
    None
}

/// The YAML error's message without its position (the [`LineError`] has
/// it), with any other line it names counted from the file's start.
fn yaml_message(err: &serde_norway::Error, shift: usize) -> String {
    let mut message = err.to_string();
    if let Some(location) = err.location() {
        message = message.replacen(
            &format!(" at line {} column {}", location.line(), location.column()),
            "",
            1,
        );
    }
    let mut out = String::new();
    let mut rest = message.as_str();
    while let Some(i) = rest.find("line ") {
        let (before, after) = rest.split_at(i + "line ".len());
        out.push_str(before);
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + shift).to_string()),
            Err(_) => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// One character of inline text; `escaped` when it was written with a
/// backslash or as a character reference, so it can never be markup.
#[derive(Debug, Clone, Copy)]
struct Ch {
    c: char,
    escaped: bool,
}

/// A run of inline text: a bold label it starts with (`**Q.**`), if any,
/// and the rest.
#[derive(Debug, Default)]
struct Inline {
    label: Option<String>,
    chars: Vec<Ch>,
}

/// Plain text; a soft line break (hand-wrapped text) reads as a space.
fn plain(chars: &[Ch]) -> String {
    chars
        .iter()
        .map(|ch| if ch.c == '\n' && !ch.escaped { ' ' } else { ch.c })
        .collect()
}

fn is_markup(ch: &Ch, c: char) -> bool {
    ch.c == c && !ch.escaped
}

/// `chars` without the unescaped spaces around it that separate it from
/// markup.
fn trim(chars: &[Ch]) -> &[Ch] {
    let start = chars.iter().position(|ch| !is_markup(ch, ' ')).unwrap_or(chars.len());
    let end = chars
        .iter()
        .rposition(|ch| !is_markup(ch, ' '))
        .map_or(start, |i| i + 1);
    chars.get(start..end.max(start)).unwrap_or_default()
}

/// What a file says, before it is put together with its front matter.
#[derive(Default)]
struct Read {
    title: Option<String>,
    intro: Vec<Block>,
    sections: Vec<SectionDoc>,
    lines: HashMap<String, usize>,
}

/// A section whose heading has been read and whose end has not.
struct Open {
    depth: usize,
    line: usize,
    section: SectionDoc,
    blocks: Vec<Block>,
    claims_line: Option<usize>,
}

/// One top-level element of the body.
enum Element {
    Heading {
        level: usize,
        text: String,
        id: Option<String>,
        classes: Vec<String>,
        other_attributes: bool,
    },
    Block(Block),
    Question(String),
    Answer(String),
    ClaimsMarker,
    Nothing,
}

/// Walks the body's events, collecting every problem on the way.
struct Reader<'a> {
    src: &'a str,
    offset: usize,
    index: &'a LineIndex,
    events: Vec<(Event<'a>, Range<usize>)>,
    pos: usize,
    errors: Vec<LineError>,
    locale: String,
    source: bool,
}

impl<'a> Reader<'a> {
    fn line(&self, range: &Range<usize>) -> usize {
        self.index.line(self.offset + range.start)
    }

    fn error(&mut self, line: usize, message: impl Into<String>) {
        self.errors.push(LineError {
            line,
            message: message.into(),
        });
    }

    fn peek(&self) -> Option<(Event<'a>, Range<usize>)> {
        self.events.get(self.pos).cloned()
    }

    /// Skips the element starting at the current event, nested ones included.
    fn skip(&mut self) {
        let mut depth = 0usize;
        while let Some((event, _)) = self.events.get(self.pos) {
            self.pos += 1;
            match event {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth = depth.saturating_sub(1),
                _ => {}
            }
            if depth == 0 {
                break;
            }
        }
    }

    fn document(&mut self) -> Read {
        let mut read = Read::default();
        let mut open: Vec<Open> = Vec::new();
        let mut question: Option<(String, usize)> = None;
        let mut early_reported = false;
        while let Some((_, range)) = self.peek() {
            let line = self.line(&range);
            let element = self.element();
            if !matches!(element, Element::Answer(_) | Element::Nothing)
                && let Some((_, q_line)) = question.take()
            {
                self.error(
                    q_line,
                    "a question needs its answer in the next paragraph, starting `**A.**`",
                );
            }
            let content = !matches!(element, Element::Nothing | Element::Heading { level: 1, .. });
            if content && read.title.is_none() && !early_reported {
                early_reported = true;
                self.error(line, "content before the title: a file starts with `# Title`");
            }
            let block = match element {
                Element::Nothing => continue,
                Element::Heading {
                    level: 1,
                    text,
                    id,
                    classes,
                    other_attributes,
                } => {
                    if read.title.is_some() {
                        self.error(
                            line,
                            "a second title: an article has one `# Title`, and sections start at `##`",
                        );
                    } else {
                        if id.is_some() || !classes.is_empty() || other_attributes {
                            self.error(line, "the title takes no `{…}` attributes");
                        }
                        if text.is_empty() {
                            self.error(line, "the title is empty");
                        }
                        read.title = Some(text);
                    }
                    continue;
                }
                Element::Heading {
                    level,
                    text,
                    id,
                    classes,
                    other_attributes,
                } => {
                    self.open_section(&mut read, &mut open, line, level, text, id, &classes, other_attributes);
                    continue;
                }
                Element::ClaimsMarker => {
                    self.claims_after_marker(&mut open, line);
                    continue;
                }
                Element::Question(q) => {
                    question = Some((q, line));
                    continue;
                }
                Element::Answer(answer) => match question.take() {
                    Some((question, _)) => Block::QuestionAnswer(QuestionAnswerBlock { question, answer }),
                    None => {
                        self.error(
                            line,
                            "an answer without a question: `**A.**` follows a `**Q.**` paragraph",
                        );
                        continue;
                    }
                },
                Element::Block(block) => block,
            };
            match open.last_mut() {
                Some(current) if current.claims_line.is_some() => {
                    let anchor = current.section.anchor.clone();
                    self.error(
                        line,
                        format!("in section `{anchor}`, only subsections may follow the claims"),
                    );
                }
                Some(current) => current.blocks.push(block),
                None => read.intro.push(block),
            }
        }
        if let Some((_, q_line)) = question {
            self.error(
                q_line,
                "a question needs its answer in the next paragraph, starting `**A.**`",
            );
        }
        self.close(&mut read, &mut open, 0);
        if read.title.is_none() {
            let line = self.index.line(self.offset);
            self.error(line, "no title: the article's title is a `# Title` line");
        }
        read
    }

    /// Ends the open sections at `depth` and deeper, attaching each to its
    /// parent.
    fn close(&mut self, read: &mut Read, open: &mut Vec<Open>, depth: usize) {
        while open.last().is_some_and(|o| o.depth >= depth) {
            let Some(mut done) = open.pop() else { break };
            if !done.blocks.is_empty() {
                if done.section.heading.is_empty() {
                    self.error(done.line, "a section with text needs a heading");
                }
                done.section.blocks.insert(self.locale.clone(), done.blocks);
            }
            match open.last_mut() {
                Some(parent) => parent.section.sections.push(done.section),
                None => read.sections.push(done.section),
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn open_section(
        &mut self,
        read: &mut Read,
        open: &mut Vec<Open>,
        line: usize,
        level: usize,
        text: String,
        id: Option<String>,
        classes: &[String],
        other_attributes: bool,
    ) {
        let mut depth = level - 2;
        if depth > open.len() {
            let parent = "#".repeat(open.len() + 1);
            self.error(
                line,
                format!(
                    "heading level skips: `{}` under `{parent}`; a subsection is one `#` deeper than its section",
                    "#".repeat(level)
                ),
            );
            depth = open.len();
        }
        self.close(read, open, depth);
        let anchor = match id {
            None => {
                self.error(line, "a section needs an anchor: `## Heading {#anchor}`");
                String::new()
            }
            Some(anchor) if !is_slug(&anchor) => {
                self.error(
                    line,
                    format!("anchor `{anchor}` is not lower-case words joined by hyphens"),
                );
                anchor
            }
            Some(anchor) => {
                if let Some(first) = read.lines.get(&anchor) {
                    let first = *first;
                    self.error(line, format!("anchor `{anchor}` is used twice (first at line {first})"));
                } else {
                    read.lines.insert(anchor.clone(), line);
                }
                anchor
            }
        };
        let kind = match classes {
            [] => SectionKind::Body,
            [class] => match SectionKind::items()
                .iter()
                .find(|item| kind_class(item.value) == *class)
            {
                Some(item) => item.value,
                None => {
                    self.error(
                        line,
                        format!("unknown section kind `.{class}`; use one of {}", kind_classes()),
                    );
                    SectionKind::Body
                }
            },
            _ => {
                self.error(line, format!("a section has one kind: one of {}", kind_classes()));
                SectionKind::Body
            }
        };
        if other_attributes {
            self.error(line, "a heading takes only `#anchor` and a kind class in `{…}`");
        }
        let mut heading = BTreeMap::new();
        if text.is_empty() {
            if self.source {
                self.error(line, "a section needs a heading in the source locale");
            }
        } else {
            heading.insert(self.locale.clone(), text);
        }
        open.push(Open {
            depth,
            line,
            section: SectionDoc {
                anchor,
                kind,
                heading,
                blocks: BTreeMap::new(),
                claims: Vec::new(),
                sections: Vec::new(),
            },
            blocks: Vec::new(),
            claims_line: None,
        });
    }

    fn claims_after_marker(&mut self, open: &mut [Open], line: usize) {
        let list_follows = matches!(self.peek(), Some((Event::Start(Tag::List(_)), _)));
        if !list_follows {
            self.error(
                line,
                format!("`{CLAIMS_MARKER}` must be followed by the list of claims"),
            );
            return;
        }
        let claims = self.claims();
        match open.last_mut() {
            None => self.error(line, "claims belong to a section; the intro has none"),
            Some(current) => {
                if let Some(first) = current.claims_line {
                    let anchor = current.section.anchor.clone();
                    self.error(
                        line,
                        format!("section `{anchor}` lists its claims twice (first at line {first})"),
                    );
                } else {
                    current.claims_line = Some(line);
                    current.section.claims = claims;
                }
            }
        }
    }

    /// Reads one top-level element, leaving the cursor after it.
    fn element(&mut self) -> Element {
        let Some((event, range)) = self.peek() else {
            return Element::Nothing;
        };
        let line = self.line(&range);
        match event {
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
                ..
            }) => {
                self.pos += 1;
                let inline = self.inline();
                self.expect_end(line);
                if inline.label.is_some() {
                    self.error(line, "bold text in a heading is not kept: texts are plain");
                }
                Element::Heading {
                    level: heading_level(level),
                    text: plain(&inline.chars),
                    id: id.map(|id| id.to_string()),
                    classes: classes.iter().map(|c| c.to_string()).collect(),
                    other_attributes: !attrs.is_empty(),
                }
            }
            Event::Start(Tag::Paragraph) => {
                self.pos += 1;
                let inline = self.inline();
                self.expect_end(line);
                match inline.label.as_deref() {
                    None => Element::Block(Block::Paragraph(ParagraphBlock {
                        text: plain(&inline.chars),
                    })),
                    Some("Q.") => Element::Question(plain(trim(&inline.chars))),
                    Some("A.") => Element::Answer(plain(trim(&inline.chars))),
                    Some(other) => {
                        let message =
                            format!("bold `{other}` is not kept: only `**Q.**` and `**A.**` start a paragraph");
                        self.error(line, message);
                        Element::Nothing
                    }
                }
            }
            Event::Start(Tag::List(_)) => Element::Block(Block::List(self.list())),
            Event::Start(Tag::BlockQuote(_)) => match self.note(line) {
                Some(note) => Element::Block(Block::Note(note)),
                None => Element::Nothing,
            },
            Event::Start(Tag::HtmlBlock) => {
                self.pos += 1;
                let mut html = String::new();
                while let Some((Event::Html(part), _)) = self.peek() {
                    html.push_str(&part);
                    self.pos += 1;
                }
                self.expect_end(line);
                let inner = html.trim().strip_prefix("<!--").and_then(|s| s.strip_suffix("-->"));
                if inner.map(str::trim) == Some("claims") {
                    Element::ClaimsMarker
                } else {
                    self.error(
                        line,
                        format!("HTML is not kept; the only comment in a file is `{CLAIMS_MARKER}`"),
                    );
                    Element::Nothing
                }
            }
            Event::Start(tag) => {
                self.error(line, format!("{} not kept: texts are plain", unsupported(&tag)));
                self.skip();
                Element::Nothing
            }
            Event::Rule => {
                self.pos += 1;
                self.error(line, "a thematic break (`---`) is not kept");
                Element::Nothing
            }
            _ => {
                self.pos += 1;
                self.error(line, "unexpected content");
                Element::Nothing
            }
        }
    }

    /// Consumes the end of the element being read and anything before it.
    fn skip_to_end(&mut self) {
        while let Some((event, _)) = self.peek() {
            match event {
                Event::End(_) => {
                    self.pos += 1;
                    return;
                }
                Event::Start(_) => self.skip(),
                _ => self.pos += 1,
            }
        }
    }

    /// Consumes the end of the element being read, reporting and skipping
    /// anything left before it.
    fn expect_end(&mut self, line: usize) {
        let mut reported = false;
        while let Some((event, range)) = self.peek() {
            match event {
                Event::End(_) => {
                    self.pos += 1;
                    return;
                }
                Event::Start(_) => {
                    if !reported {
                        reported = true;
                        let at = self.line(&range);
                        self.error(at.max(line), "unexpected content here");
                    }
                    self.skip();
                }
                _ => self.pos += 1,
            }
        }
    }

    /// Reads inline content up to the next block-level event.
    fn inline(&mut self) -> Inline {
        let mut inline = Inline::default();
        let mut first = true;
        let mut nested = 0usize;
        while let Some((event, range)) = self.peek() {
            let line = self.line(&range);
            match event {
                Event::Text(text) => self.push_text(&mut inline.chars, &text, &range),
                Event::SoftBreak => inline.chars.push(Ch {
                    c: '\n',
                    escaped: false,
                }),
                Event::HardBreak => inline.chars.push(Ch { c: '\n', escaped: true }),
                Event::Start(Tag::Strong) if first => {
                    self.pos += 1;
                    let mut label = Vec::new();
                    while let Some((Event::Text(text), range)) = self.peek() {
                        self.push_text(&mut label, &text, &range);
                        self.pos += 1;
                    }
                    if matches!(self.peek(), Some((Event::End(TagEnd::Strong), _))) {
                        inline.label = Some(plain(&label));
                    } else {
                        // The markup inside reports itself; the bold text
                        // is never a label then.
                        nested += 1;
                        first = false;
                        continue;
                    }
                }
                Event::Start(tag) if is_inline(&tag) => {
                    self.error(
                        line,
                        format!(
                            "{} not kept: texts are plain (escape a literal `*`, `_`, `[` with a backslash)",
                            unsupported(&tag)
                        ),
                    );
                    nested += 1;
                }
                Event::End(end) if nested > 0 && is_inline_end(end) => nested -= 1,
                Event::Code(_) => self.error(
                    line,
                    "code is not kept: texts are plain (escape a literal ` with a backslash)",
                ),
                Event::InlineHtml(_) | Event::Html(_) => self.error(
                    line,
                    "HTML is not kept: texts are plain (escape a literal < with a backslash)",
                ),
                Event::InlineMath(_)
                | Event::DisplayMath(_)
                | Event::FootnoteReference(_)
                | Event::TaskListMarker(_) => self.error(line, "markup is not kept: texts are plain"),
                _ => break,
            }
            first = false;
            self.pos += 1;
        }
        inline
    }

    fn push_text(&self, out: &mut Vec<Ch>, text: &str, range: &Range<usize>) {
        // The parser hands out raw slices of the file, but an escaped
        // character starts a new slice right after its backslash, and a
        // character reference is text that differs from the file.
        let raw = self.src.get(range.clone()) == Some(text);
        let backslashes = self
            .src
            .get(..range.start)
            .map_or(0, |before| before.bytes().rev().take_while(|b| *b == b'\\').count());
        let escaped_first = !raw || backslashes % 2 == 1;
        for (i, c) in text.chars().enumerate() {
            out.push(Ch {
                c,
                escaped: !raw || (i == 0 && escaped_first),
            });
        }
    }

    fn list(&mut self) -> ListBlock {
        let ordered = matches!(self.peek(), Some((Event::Start(Tag::List(Some(_))), _)));
        self.pos += 1;
        let mut items = Vec::new();
        while let Some((event, range)) = self.peek() {
            match event {
                Event::Start(Tag::Item) => {
                    self.pos += 1;
                    let (chars, list) = self.item();
                    items.push(ListItem {
                        text: plain(&chars),
                        list,
                    });
                }
                Event::End(_) => {
                    self.pos += 1;
                    break;
                }
                _ => {
                    let line = self.line(&range);
                    self.error(line, "unexpected content in a list");
                    self.skip();
                }
            }
        }
        ListBlock { ordered, items }
    }

    /// Reads a list item after its start: its text and its nested list.
    fn item(&mut self) -> (Vec<Ch>, Option<ListBlock>) {
        let shape = "a list item holds one line of text and at most one nested list";
        let mut text: Option<Vec<Ch>> = None;
        let mut list = None;
        let mut reported = false;
        while let Some((event, range)) = self.peek() {
            let at = self.line(&range);
            let fits = text.is_none() && list.is_none();
            let inline = match event {
                Event::End(_) => {
                    self.pos += 1;
                    break;
                }
                Event::Start(Tag::List(_)) if list.is_none() => {
                    list = Some(self.list());
                    continue;
                }
                // A loose list wraps its items' text in paragraphs; a tight
                // one does not.
                Event::Start(Tag::Paragraph) if fits => {
                    self.pos += 1;
                    let inline = self.inline();
                    self.expect_end(at);
                    inline
                }
                Event::Start(_) => {
                    if !std::mem::replace(&mut reported, true) {
                        self.error(at, shape);
                    }
                    self.skip();
                    continue;
                }
                _ if fits => self.inline(),
                _ => {
                    if !std::mem::replace(&mut reported, true) {
                        self.error(at, shape);
                    }
                    self.pos += 1;
                    continue;
                }
            };
            if inline.label.is_some() {
                self.error(at, "bold text is not kept: texts are plain");
            }
            text = Some(inline.chars);
        }
        (text.unwrap_or_default(), list)
    }

    /// Reads a quotation as a note; `None` (with the problem noted) when it
    /// is not one.
    fn note(&mut self, line: usize) -> Option<NoteBlock> {
        self.pos += 1;
        let shape = "a note is a quotation `> [!INFO] optional title`, then `> text` on the next line";
        let inline = match self.peek() {
            Some((Event::Start(Tag::Paragraph), _)) => {
                self.pos += 1;
                let inline = self.inline();
                self.expect_end(line);
                inline
            }
            _ => Inline::default(),
        };
        let well_formed = matches!(self.peek(), Some((Event::End(_), _)));
        self.skip_to_end();
        let chars = inline.chars;
        let opens = chars.first().is_some_and(|ch| is_markup(ch, '[')) && chars.get(1).is_some_and(|ch| ch.c == '!');
        let close = chars.iter().position(|ch| is_markup(ch, ']'));
        let (true, Some(close), None, true) = (opens, close, &inline.label, well_formed) else {
            self.error(line, shape);
            return None;
        };
        let word = plain(chars.get(2..close).unwrap_or_default());
        let tone = parse_word::<NoteTone>(&word);
        if tone.is_none() {
            self.error(
                line,
                format!("unknown note tone `{word}`; use one of {}", spelled_all::<NoteTone>()),
            );
        }
        let rest = chars.get(close + 1..).unwrap_or_default();
        let Some(newline) = rest.iter().position(|ch| is_markup(ch, '\n')) else {
            self.error(line, shape);
            return None;
        };
        let title = trim(rest.get(..newline).unwrap_or_default());
        let text = trim(rest.get(newline + 1..).unwrap_or_default());
        Some(NoteBlock {
            tone: tone?,
            title: (!title.is_empty()).then(|| plain(title)),
            text: plain(text),
        })
    }

    fn claims(&mut self) -> Vec<ClaimDoc> {
        self.pos += 1;
        let mut claims = Vec::new();
        while let Some((event, range)) = self.peek() {
            let line = self.line(&range);
            match event {
                Event::Start(Tag::Item) => {
                    self.pos += 1;
                    let (chars, list) = self.item();
                    if list.is_some() {
                        self.error(line, "a claim is one line; it has no nested list");
                    }
                    if let Some(claim) = self.claim(&chars, line) {
                        claims.push(claim);
                    }
                }
                Event::End(_) => {
                    self.pos += 1;
                    break;
                }
                _ => self.skip(),
            }
        }
        claims
    }

    fn claim(&mut self, chars: &[Ch], line: usize) -> Option<ClaimDoc> {
        let shape = "a claim is `{KIND · EVIDENCE} text [@key, locator] [@key]`";
        let close = chars.iter().position(|ch| is_markup(ch, '}'));
        let (true, Some(close)) = (chars.first().is_some_and(|ch| is_markup(ch, '{')), close) else {
            self.error(line, shape);
            return None;
        };
        let inside = plain(chars.get(1..close).unwrap_or_default());
        let words: Vec<&str> = inside
            .split(|c: char| c.is_whitespace() || matches!(c, '·' | ',' | '/'))
            .filter(|w| !w.is_empty())
            .collect();
        let [kind_word, evidence_word] = words.as_slice() else {
            self.error(line, format!("{shape}: the braces hold a kind and an evidence level"));
            return None;
        };
        let kind = parse_word::<ClaimKind>(kind_word);
        if kind.is_none() {
            self.error(
                line,
                format!(
                    "unknown claim kind `{kind_word}`; use one of {}",
                    spelled_all::<ClaimKind>()
                ),
            );
        }
        let evidence = parse_word::<EvidenceLevel>(evidence_word);
        if evidence.is_none() {
            self.error(
                line,
                format!(
                    "unknown evidence level `{evidence_word}`; use one of {}",
                    spelled_all::<EvidenceLevel>()
                ),
            );
        }
        let rest = chars.get(close + 1..).unwrap_or_default();
        let cited_from = rest.iter().position(|ch| is_markup(ch, '[')).unwrap_or(rest.len());
        let text = trim(rest.get(..cited_from).unwrap_or_default());
        let references = self.citations(rest.get(cited_from..).unwrap_or_default(), line)?;
        let mut texts = BTreeMap::new();
        if text.is_empty() {
            if self.source {
                self.error(line, "a claim needs its text in the source locale");
            }
        } else {
            texts.insert(self.locale.clone(), plain(text));
        }
        Some(ClaimDoc {
            kind: kind?,
            evidence: evidence?,
            text: texts,
            references,
        })
    }

    fn citations(&mut self, mut chars: &[Ch], line: usize) -> Option<Vec<CitationDoc>> {
        let shape = "after its text, a claim lists its references as `[@key]` or `[@key, locator]`";
        let mut citations = Vec::new();
        loop {
            chars = trim(chars);
            if chars.is_empty() {
                return Some(citations);
            }
            let opens =
                chars.first().is_some_and(|ch| is_markup(ch, '[')) && chars.get(1).is_some_and(|ch| ch.c == '@');
            let close = chars.iter().position(|ch| is_markup(ch, ']'));
            let (true, Some(close)) = (opens, close) else {
                self.error(line, shape);
                return None;
            };
            let inside = chars.get(2..close).unwrap_or_default();
            let (key, locator) = match inside.iter().position(|ch| is_markup(ch, ',')) {
                Some(comma) => (
                    trim(inside.get(..comma).unwrap_or_default()),
                    Some(trim(inside.get(comma + 1..).unwrap_or_default())),
                ),
                None => (trim(inside), None),
            };
            if key.is_empty() {
                self.error(line, format!("{shape}: a reference key is missing"));
                return None;
            }
            citations.push(CitationDoc {
                reference: plain(key),
                locator: locator.filter(|l| !l.is_empty()).map(plain),
            });
            chars = chars.get(close + 1..).unwrap_or_default();
        }
    }
}

fn heading_level(level: HeadingLevel) -> usize {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn is_inline(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

fn is_inline_end(end: TagEnd) -> bool {
    matches!(
        end,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

/// What an element the format has no place for is, for its error.
fn unsupported(tag: &Tag<'_>) -> &'static str {
    match tag {
        Tag::Emphasis => "emphasis is",
        Tag::Strong => "bold text is",
        Tag::Strikethrough => "strikethrough is",
        Tag::Link { .. } => "a link is",
        Tag::Image { .. } => "an image is",
        Tag::CodeBlock(_) => "a code block is",
        Tag::Table(_) | Tag::TableHead | Tag::TableRow | Tag::TableCell => "a table is",
        Tag::HtmlBlock => "HTML is",
        _ => "this markup is",
    }
}

/// The enum value a file spells `word`.
fn parse_word<T: EnumType + Serialize>(word: &str) -> Option<T> {
    T::items()
        .iter()
        .map(|item| item.value)
        .find(|value| spelled(value) == word)
}

/// Every value of an enum as files spell it, for error messages.
fn spelled_all<T: EnumType + Serialize>() -> String {
    T::items()
        .iter()
        .map(|item| spelled(&item.value))
        .collect::<Vec<_>>()
        .join(", ")
}

fn kind_classes() -> String {
    SectionKind::items()
        .iter()
        .filter(|item| item.value != SectionKind::Body)
        .map(|item| format!(".{}", kind_class(item.value)))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------- merging

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
    let MarkdownArticle { locale, mut doc, lines } = file;
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

#[cfg(test)]
mod tests {
    use entity::block::{ListItem, NoteTone};

    use super::*;
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
                let md = to_markdown(doc, locale)?;
                let parsed = read(&md).map_err(|err| format!("{at}: {err}"))?;
                assert_eq!(to_markdown(&parsed.doc, locale)?, md, "{at}");
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
        let md = to_markdown(&doc, "en")?
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
        let md = cut_section(&to_markdown(&doc, "en")?, "how-exosomes-work")?;
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
        let md = cut_section(&to_markdown(&doc, "ja")?, "exosome-cosmetics")?;
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
        let md = to_markdown(&doc, "ja")?;
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
        let md = to_markdown(&doc, "en")?.replace("{#how-exosomes-work}", "{#how-exosomes-act}");
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
        let md = to_markdown(&doc, "en")?;
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
        let md = to_markdown(&doc, "en")?.replace('\n', "\r\n");
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
        let file = read(&to_markdown(&other, "en")?)?;
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
        let md = to_markdown(&doc, "en")?;
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
            let md = to_markdown(&doc, "en")?;
            let parsed = read(&md).map_err(|err| format!("{text:?}: {err}\n{md}"))?;
            assert_eq!(parsed.doc, doc, "{text:?}\n{md}");
            assert_eq!(to_markdown(&parsed.doc, "en")?, md, "{text:?}");
        }
        Ok(())
    }

    #[test]
    fn texts_that_cannot_be_written_are_refused() {
        assert!(to_markdown(&article_with(""), "en").is_err());
        assert!(to_markdown(&article_with("a\0b"), "en").is_err());
        assert!(to_markdown(&article_with("fine"), "fr").is_err());
        assert!(to_markdown(&article_with("fine"), "en").is_ok());
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
}
