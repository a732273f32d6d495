//! Enums stored as upper-case strings (portable across SQLite and
//! PostgreSQL, and guarded by CHECK constraints in the migrations), exposed as
//! GraphQL enums and read from content files with the same spelling.

use async_graphql::Enum;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Publication state of an article or of one of its translations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Being written; visible only to editorial roles and previews.
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    /// Waiting for review or a supervisor's sign-off.
    #[sea_orm(string_value = "IN_REVIEW")]
    InReview,
    /// Reviewed (and, in a medical category, signed off); ready to publish.
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    /// Public.
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
    /// Withdrawn from delivery but kept for the record.
    #[sea_orm(string_value = "ARCHIVED")]
    Archived,
}

/// How strong the evidence behind a claim is, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EvidenceLevel {
    /// A clinical guideline or consensus position statement.
    #[sea_orm(string_value = "GUIDELINE")]
    Guideline,
    /// A systematic review or meta-analysis.
    #[sea_orm(string_value = "SYSTEMATIC_REVIEW")]
    SystematicReview,
    /// Studies in humans.
    #[sea_orm(string_value = "CLINICAL")]
    Clinical,
    /// Animal or in-vitro studies.
    #[sea_orm(string_value = "PRECLINICAL")]
    Preclinical,
    /// A review that summarises the literature without searching and
    /// weighing it systematically.
    #[sea_orm(string_value = "NARRATIVE_REVIEW")]
    NarrativeReview,
    /// The supervising physician's judgement, set explicitly by an editor.
    #[sea_orm(string_value = "EXPERT_OPINION")]
    ExpertOpinion,
    /// Stated without any source.
    #[sea_orm(string_value = "UNSUPPORTED")]
    Unsupported,
    /// A statute or official notice: a legal fact, not clinical evidence,
    /// so it stands outside the ranking above.
    #[sea_orm(string_value = "REGULATORY")]
    Regulatory,
}

impl EvidenceLevel {
    /// Whether a claim at this level must cite at least one reference.
    pub fn requires_reference(self) -> bool {
        !matches!(self, Self::ExpertOpinion | Self::Unsupported)
    }
}

/// What sort of statement a claim makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClaimKind {
    /// What something is.
    #[sea_orm(string_value = "DEFINITION")]
    Definition,
    /// How something works.
    #[sea_orm(string_value = "MECHANISM")]
    Mechanism,
    /// That a treatment has an effect.
    #[sea_orm(string_value = "EFFICACY")]
    Efficacy,
    /// Risks, side effects and contraindications.
    #[sea_orm(string_value = "SAFETY")]
    Safety,
    /// Practical matters: cost, duration, procedure, regulation.
    #[sea_orm(string_value = "PRACTICAL")]
    Practical,
}

/// The part a person played in an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContributorRole {
    /// Medically supervised the article and signs off revisions.
    #[sea_orm(string_value = "SUPERVISOR")]
    Supervisor,
    /// Wrote the article.
    #[sea_orm(string_value = "AUTHOR")]
    Author,
    /// Reviewed the article.
    #[sea_orm(string_value = "REVIEWER")]
    Reviewer,
}

/// Kind of a supervisor's qualification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QualificationKind {
    /// A specialist or board certification.
    #[sea_orm(string_value = "BOARD_CERTIFICATION")]
    BoardCertification,
    /// Membership of a professional society.
    #[sea_orm(string_value = "MEMBERSHIP")]
    Membership,
    /// A licence to practise.
    #[sea_orm(string_value = "LICENSE")]
    License,
}

/// The role a section plays in its article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SectionKind {
    /// Ordinary body text.
    #[sea_orm(string_value = "BODY")]
    Body,
    /// Frequently asked questions (rendered as FAQ, marked up as FAQPage).
    #[sea_orm(string_value = "FAQ")]
    Faq,
    /// The article's summary or conclusion.
    #[sea_orm(string_value = "SUMMARY")]
    Summary,
}

/// Bibliographic kind of a reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReferenceKind {
    /// An article in a journal.
    #[sea_orm(string_value = "JOURNAL_ARTICLE")]
    JournalArticle,
    /// A guideline or position statement.
    #[sea_orm(string_value = "GUIDELINE")]
    Guideline,
    /// A book or a chapter of one.
    #[sea_orm(string_value = "BOOK")]
    Book,
    /// A statute or regulation.
    #[sea_orm(string_value = "LEGISLATION")]
    Legislation,
    /// A web page.
    #[sea_orm(string_value = "WEBPAGE")]
    Webpage,
}

/// What an API key may do (DESIGN.md, "Access"). Requests without a key
/// are the public role, which no key has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Reads drafts and unpublished revisions through the delivery queries.
    #[sea_orm(string_value = "PREVIEW")]
    Preview,
    /// Writes drafts.
    #[sea_orm(string_value = "EDITOR")]
    Editor,
    /// Writes translations.
    #[sea_orm(string_value = "TRANSLATOR")]
    Translator,
    /// Signs off revisions.
    #[sea_orm(string_value = "SUPERVISOR")]
    Supervisor,
    /// Publishes, and manages keys.
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    /// Reads what one partner's licences cover, and its change feed.
    #[sea_orm(string_value = "PARTNER")]
    Partner,
}

impl Role {
    /// The spelling used in the database, files and the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Preview => "PREVIEW",
            Self::Editor => "EDITOR",
            Self::Translator => "TRANSLATOR",
            Self::Supervisor => "SUPERVISOR",
            Self::Admin => "ADMIN",
            Self::Partner => "PARTNER",
        }
    }
}
