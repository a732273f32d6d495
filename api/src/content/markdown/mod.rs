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
//!   optional title, and whose second line is the text; an image as a
//!   paragraph of its own, `![alt text](file.jpg "caption")`, the file
//!   beside the Markdown file (its alt text and caption are the image's in
//!   the file's locale).
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
use entity::block::{Block, ImageBlock, ListBlock, ListItem, NoteBlock, NoteTone, ParagraphBlock, QuestionAnswerBlock};
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
    /// The images among its blocks, in order: each block names its
    /// `stand_in` until [`MarkdownArticle::resolve_images`] puts the
    /// uploaded image's id in its place.
    pub images: Vec<MarkdownImage>,
}

/// An image block as a Markdown file writes it: `![alt](file "caption")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkdownImage {
    /// The 1-based line it is on.
    pub line: usize,
    /// The file, relative to the Markdown file.
    pub file: String,
    /// Its alt text in the file's locale (empty when none is written).
    pub alt: String,
    /// Its caption in the file's locale: the image's title.
    pub caption: Option<String>,
    /// The id its block names until resolved.
    pub stand_in: uuid::Uuid,
}

impl MarkdownArticle {
    /// Puts `ids[i]` (the stored image of `images[i]`) in place of each
    /// image's stand-in.
    pub fn resolve_images(&mut self, ids: &[uuid::Uuid]) {
        let by_stand_in: HashMap<uuid::Uuid, uuid::Uuid> = self
            .images
            .iter()
            .map(|i| i.stand_in)
            .zip(ids.iter().copied())
            .collect();
        let swap = |blocks: &mut Vec<Block>| {
            for block in blocks {
                if let Block::Image(image) = block
                    && let Some(id) = by_stand_in.get(&image.image)
                {
                    image.image = *id;
                }
            }
        };
        for text in self.doc.translations.values_mut() {
            swap(&mut text.intro);
        }
        let mut stack: Vec<&mut SectionDoc> = self.doc.sections.iter_mut().collect();
        while let Some(section) = stack.pop() {
            for blocks in section.blocks.values_mut() {
                swap(blocks);
            }
            stack.extend(section.sections.iter_mut());
        }
    }
}

/// An image's alt text and the file it is written to, for [`to_markdown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFile {
    /// Alt text in the file's locale (empty when it has none).
    pub alt: String,
    /// Caption in the file's locale.
    pub caption: Option<String>,
    /// The file name, beside the Markdown file.
    pub file: String,
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

fn kind_class(kind: SectionKind) -> String {
    spelled(&kind).to_lowercase()
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.split('-')
            .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

// ---------------------------------------------------------------- reading

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

mod blocks;
mod merge;
mod read;
mod write;

pub use merge::merge;
pub use read::from_markdown;
pub use write::to_markdown;

#[cfg(test)]
mod tests;
