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
const BUILTIN: &str = include_str!("../../../rules/medical-advertising.yaml");

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
    /// `blocks[2]`, `blocks[1].caption`, `claims[0]`…
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
    /// The alt text and caption of each image the texts show, by image
    /// and locale: readers read them beside the text.
    pub images: HashMap<(uuid::Uuid, String), (String, Option<String>)>,
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

/// The errors among `findings`.
pub fn errors(findings: &[Finding]) -> impl Iterator<Item = &Finding> {
    findings.iter().filter(|f| f.severity == Severity::Error)
}

/// What the lint needs to know of `doc` beyond its text: whether its
/// category is self-pay, what each reference it cites is as evidence, and
/// the texts (as they are now) of the images its blocks show.
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
    let mut shown: Vec<uuid::Uuid> = doc
        .translations
        .values()
        .flat_map(|t| t.intro.iter().filter_map(entity::block::Block::image))
        .collect();
    let mut stack: Vec<&SectionDoc> = doc.sections.iter().collect();
    while let Some(s) = stack.pop() {
        shown.extend(s.blocks.values().flatten().filter_map(entity::block::Block::image));
        stack.extend(s.sections.iter());
    }
    shown.sort_unstable();
    shown.dedup();
    let mut images = HashMap::new();
    for chunk in shown.chunks(2000) {
        for t in entity::media_text::Entity::find()
            .filter(entity::media_text::Column::MediaId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            images.insert((t.media_id, t.locale), (t.alt, t.caption));
        }
    }
    Ok(Facts {
        self_pay,
        references,
        images,
    })
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

mod check;
mod overrides;
mod rules;
mod text;

pub use overrides::{not_overridden, record_override};
pub use rules::Guideline;
use rules::*;
use text::*;

#[cfg(test)]
mod tests;
