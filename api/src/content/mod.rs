//! Content documents and their import.
//!
//! A [`Bundle`] is the portable, human-readable form of content: categories,
//! tags, supervisors, references and articles, each localized field written
//! as a map from locale to text. The bundled sample column is such a bundle
//! (YAML files under `api/content/sample/`), and so is anything `kiji import`
//! reads; both go through [`import::import`], which validates everything and
//! writes it in one transaction.

pub mod diff;
pub mod export;
pub mod html;
pub mod import;
pub mod markdown;
pub mod media;
pub mod sample;
pub mod urls;

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use entity::block::Block;
use entity::enums::{ClaimKind, ContributorRole, EvidenceLevel, QualificationKind, ReferenceKind, SectionKind, Status};
use serde::{Deserialize, Serialize};

/// A value per locale, keyed by BCP 47 tag (`ja`, `en`, …).
pub type Localized<T> = BTreeMap<String, T>;

/// A set of content to import together.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// Where the content comes from and under what terms, for the record.
    #[serde(default)]
    pub source: Option<SourceNote>,
    /// Article series.
    #[serde(default)]
    pub categories: Vec<CategoryDoc>,
    /// Topic tags.
    #[serde(default)]
    pub tags: Vec<TagDoc>,
    /// Supervising physicians and other contributors.
    #[serde(default)]
    pub supervisors: Vec<SupervisorDoc>,
    /// Bibliographic references, cited by key from claims.
    #[serde(default)]
    pub references: Vec<ReferenceDoc>,
    /// Articles.
    #[serde(default)]
    pub articles: Vec<ArticleDoc>,
}

impl Bundle {
    /// Parses one YAML document. An error names the path of the field
    /// (`articles[0].sections[2].blocks.ja[3]`) as well as the line:
    /// values inside a tagged block are only checked once the whole block
    /// is read, so the line alone points at the block's start.
    pub fn from_yaml(text: &str) -> Result<Self, YamlError> {
        serde_path_to_error::deserialize(serde_norway::Deserializer::from_str(text))
            .map_err(|err| YamlError::new(text, err))
    }

    /// Every slug and key the bundle defines, with the kind of thing it names.
    pub fn keys(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = Vec::new();
        out.extend(self.categories.iter().map(|c| ("category", c.slug.clone())));
        out.extend(self.tags.iter().map(|t| ("tag", t.slug.clone())));
        out.extend(self.supervisors.iter().map(|s| ("supervisor", s.slug.clone())));
        out.extend(self.references.iter().map(|r| ("reference", r.key.clone())));
        out.extend(self.articles.iter().map(|a| ("article", a.slug.clone())));
        out
    }

    /// Appends everything in `other` to this bundle.
    pub fn extend(&mut self, other: Bundle) {
        self.categories.extend(other.categories);
        self.tags.extend(other.tags);
        self.supervisors.extend(other.supervisors);
        self.references.extend(other.references);
        self.articles.extend(other.articles);
    }
}

/// A content file that does not fit the format: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}{}", .line.map(|l| format!(" (line {l})")).unwrap_or_default())]
pub struct YamlError {
    /// The field, e.g. `articles[0].sections[2].blocks.ja[3]`.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
    /// The 1-based line of the offending value, where known.
    pub line: Option<usize>,
}

impl YamlError {
    fn new(text: &str, err: serde_path_to_error::Error<serde_norway::Error>) -> Self {
        let path = err.path().to_string();
        let inner = err.inner();
        let mut line = inner.location().map(|l| l.line());
        let mut message = inner.to_string();
        // The parser prefixes its own path and suffixes the position; both
        // are said once here.
        if let Some((head, rest)) = message.split_once(": ")
            && !head.contains(' ')
        {
            message = rest.to_owned();
        }
        if let Some(at) = message.find(" at line ") {
            message.truncate(at);
        }
        // A value inside a tagged block is checked only once the whole
        // block is read, so the parser's line is the block's first; the
        // offending value is on the first line from there that holds it.
        if let (Some(from), Some(value)) = (line, message.split('`').nth(1)) {
            let holds = |l: &str| {
                l.split_once(':')
                    .is_some_and(|(_, v)| v.trim().trim_matches(['\'', '"']) == value)
            };
            if let Some(i) = text.lines().skip(from.saturating_sub(1)).position(holds) {
                line = Some(from + i);
            }
        }
        Self { path, message, line }
    }
}

/// Provenance of a bundle or article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceNote {
    /// Free-text description of the source.
    pub note: String,
    /// Where the original can be found, if public.
    #[serde(default)]
    pub url: Option<String>,
}

/// A category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryDoc {
    /// URL slug.
    pub slug: String,
    /// Shown to readers before any published article uses it.
    #[serde(default)]
    pub public: bool,
    /// Order in navigation.
    #[serde(default)]
    pub position: i32,
    /// Locale the names were written in.
    pub source_locale: String,
    /// Name per locale.
    pub name: Localized<String>,
    /// Description per locale.
    #[serde(default)]
    pub description: Localized<String>,
    /// Whether it is medical (publishing needs a physician's sign-off);
    /// `true` when left out.
    #[serde(default = "yes")]
    pub medical: bool,
    /// Whether its articles describe self-pay treatments (自由診療), which
    /// must then state the usual treatment, its cost and its main risks;
    /// `false` when left out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub self_pay: bool,
}

fn yes() -> bool {
    true
}

/// A tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagDoc {
    /// URL slug.
    pub slug: String,
    /// Shown to readers before any published article uses it.
    #[serde(default)]
    pub public: bool,
    /// Locale the name was written in.
    pub source_locale: String,
    /// Name per locale.
    pub name: Localized<String>,
}

/// A supervisor's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupervisorDoc {
    /// URL slug.
    pub slug: String,
    /// Shown to readers before any published article uses it.
    #[serde(default)]
    pub public: bool,
    /// Locale the profile was written in.
    pub source_locale: String,
    /// Portrait URL.
    #[serde(default)]
    pub photo_url: Option<String>,
    /// Profile text per locale.
    pub profile: Localized<SupervisorText>,
    /// Qualifications in the order the profile lists them.
    #[serde(default)]
    pub qualifications: Vec<QualificationDoc>,
    /// Career steps in the order the profile lists them.
    #[serde(default)]
    pub career: Vec<CareerDoc>,
}

/// A supervisor's profile in one locale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupervisorText {
    /// Full name.
    pub name: String,
    /// Phonetic reading, where known.
    #[serde(default)]
    pub name_reading: Option<String>,
    /// Job title.
    #[serde(default)]
    pub title: Option<String>,
    /// Clinic or institution.
    #[serde(default)]
    pub affiliation: Option<String>,
    /// Biography.
    #[serde(default)]
    pub bio: Option<String>,
}

/// A qualification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualificationDoc {
    /// Certification, membership or licence.
    pub kind: QualificationKind,
    /// Name per locale.
    pub name: Localized<String>,
}

/// A career step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CareerDoc {
    /// Start, as a year or year-month, where known.
    #[serde(default)]
    pub started: Option<String>,
    /// End, as a year or year-month, where known.
    #[serde(default)]
    pub ended: Option<String>,
    /// The step per locale.
    pub text: Localized<CareerText>,
}

/// A career step in one locale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CareerText {
    /// The step as the profile states it.
    pub text: String,
    /// Organisation, where it can be named on its own.
    #[serde(default)]
    pub organization: Option<String>,
    /// Role held there.
    #[serde(default)]
    pub role: Option<String>,
}

/// A bibliographic reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceDoc {
    /// Key claims cite it by.
    pub key: String,
    /// Bibliographic kind.
    pub kind: ReferenceKind,
    /// Title of the work.
    pub title: String,
    /// Authors in citation form ("Théry C").
    #[serde(default)]
    pub authors: Vec<String>,
    /// Whether the author list is abbreviated with "et al.".
    #[serde(default)]
    pub et_al: bool,
    /// Journal, book or site.
    #[serde(default)]
    pub container_title: Option<String>,
    /// Publisher.
    #[serde(default)]
    pub publisher: Option<String>,
    /// Year of publication.
    #[serde(default)]
    pub year: Option<i32>,
    /// Volume.
    #[serde(default)]
    pub volume: Option<String>,
    /// Issue.
    #[serde(default)]
    pub issue: Option<String>,
    /// Pages or article number.
    #[serde(default)]
    pub pages: Option<String>,
    /// DOI, without the `https://doi.org/` prefix.
    #[serde(default)]
    pub doi: Option<String>,
    /// PubMed identifier.
    #[serde(default)]
    pub pmid: Option<String>,
    /// URL, for works without a DOI or PMID.
    #[serde(default)]
    pub url: Option<String>,
    /// When a web page was last accessed.
    #[serde(default)]
    pub accessed_on: Option<NaiveDate>,
    /// What the work itself is as evidence (a mouse study is PRECLINICAL,
    /// a statute REGULATORY): a claim citing it says no more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<EvidenceLevel>,
}

/// An article with its sections, claims and translations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleDoc {
    /// URL slug shared by all locales.
    pub slug: String,
    /// Category slug.
    pub category: String,
    /// Locale the article was written in.
    pub source_locale: String,
    /// Publication state.
    pub status: Status,
    /// Revision of the source text.
    #[serde(default = "first_revision")]
    pub revision: i32,
    /// When it was (or will be) published.
    #[serde(default)]
    pub published_at: Option<DateTime<FixedOffset>>,
    /// When its content last changed; defaults to the import time.
    #[serde(default)]
    pub updated_at: Option<DateTime<FixedOffset>>,
    /// Provenance.
    #[serde(default)]
    pub source: Option<SourceNote>,
    /// Tag slugs.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Who supervised, wrote or reviewed it.
    #[serde(default)]
    pub contributors: Vec<ContributorDoc>,
    /// Title, lead and intro per locale.
    pub translations: Localized<ArticleText>,
    /// Top-level sections in order.
    #[serde(default)]
    pub sections: Vec<SectionDoc>,
    /// For a PUBLISHED article in a file: the operator's decision to publish
    /// it despite the medical-advertising lint's errors, and why (kept with
    /// the revision and audited). Not content: a revision never keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lint_override: Option<LintOverrideDoc>,
}

/// Why a published article goes out despite its lint errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintOverrideDoc {
    /// The reason, for the record.
    pub reason: String,
}

fn first_revision() -> i32 {
    1
}

/// Someone's part in an article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContributorDoc {
    /// Supervisor slug.
    pub supervisor: String,
    /// Their role.
    pub role: ContributorRole,
    /// The revision they signed off, if any.
    #[serde(default)]
    pub signed_off_revision: Option<i32>,
    /// When they signed it off.
    #[serde(default)]
    pub signed_off_at: Option<DateTime<FixedOffset>>,
    /// The locales they reviewed in that revision; the source locale when
    /// left out.
    #[serde(default)]
    pub signed_off_locales: Vec<String>,
    /// Whether they reviewed the claims too (editors may write claims apart
    /// from the reviewed text); `false` when left out.
    #[serde(default)]
    pub signed_off_claims: bool,
}

/// The article-level text in one locale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleText {
    /// Title.
    pub title: String,
    /// Teaser for lists and the meta description.
    pub lead: String,
    /// Blocks before the first section.
    #[serde(default)]
    pub intro: Vec<Block>,
    /// Title for search engines, if different.
    #[serde(default)]
    pub seo_title: Option<String>,
    /// Meta description, if different from the lead.
    #[serde(default)]
    pub seo_description: Option<String>,
    /// Publication state of this translation.
    pub status: Status,
    /// Source revision this translation was made from.
    #[serde(default = "first_revision")]
    pub source_revision: i32,
}

/// A section and its subsections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionDoc {
    /// Fragment identifier, unique in the article.
    pub anchor: String,
    /// Body, FAQ or summary.
    #[serde(default = "body_kind")]
    pub kind: SectionKind,
    /// Heading per locale.
    pub heading: Localized<String>,
    /// Blocks per locale.
    #[serde(default)]
    pub blocks: Localized<Vec<Block>>,
    /// Claims made in this section.
    #[serde(default)]
    pub claims: Vec<ClaimDoc>,
    /// Subsections in order.
    #[serde(default)]
    pub sections: Vec<SectionDoc>,
}

fn body_kind() -> SectionKind {
    SectionKind::Body
}

/// A claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimDoc {
    /// What sort of statement it is.
    pub kind: ClaimKind,
    /// How well it is supported.
    pub evidence: EvidenceLevel,
    /// Wording per locale.
    pub text: Localized<String>,
    /// Supporting references.
    #[serde(default)]
    pub references: Vec<CitationDoc>,
}

/// A citation of a reference by a claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitationDoc {
    /// Reference key.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Where in the work, e.g. "p. 12".
    #[serde(default)]
    pub locator: Option<String>,
}
