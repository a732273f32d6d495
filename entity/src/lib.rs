//! SeaORM entities of the Kiji content model, one module per table, plus the
//! enums shared by the database, the Rust code and the GraphQL schema.
//!
//! Localized entities keep their language-neutral data in the main table and
//! their text in a `*_translation` table keyed by `(owner id, locale)`.

pub mod block;
pub mod enums;

pub mod api_key;
pub mod article;
pub mod article_count;
pub mod article_revision;
pub mod article_supervisor;
pub mod article_tag;
pub mod article_translation;
pub mod audit;
pub mod career_entry;
pub mod career_entry_translation;
pub mod category;
pub mod category_translation;
pub mod change;
pub mod claim;
pub mod claim_reference;
pub mod claim_translation;
pub mod lint_override;
pub mod qualification;
pub mod qualification_translation;
pub mod reference;
pub mod section;
pub mod section_translation;
pub mod sign_off;
pub mod supervisor;
pub mod supervisor_profile;
pub mod supervisor_translation;
pub mod tag;
pub mod tag_translation;
pub mod trusted_document;

pub mod prelude;
