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
pub mod article_hero;
pub mod article_media;
pub mod article_revision;
pub mod article_state;
pub mod article_supervisor;
pub mod article_tag;
pub mod article_translation;
pub mod audit;
pub mod career_entry;
pub mod career_entry_translation;
pub mod category;
pub mod category_translation;
pub mod change;
pub mod change_article;
pub mod claim;
pub mod claim_reference;
pub mod claim_translation;
pub mod clock;
pub mod licence;
pub mod licence_locale;
pub mod lint_override;
pub mod media;
pub mod media_text;
pub mod media_variant;
pub mod partner;
pub mod qualification;
pub mod qualification_translation;
pub mod reference;
pub mod section;
pub mod section_translation;
pub mod sign_off;
pub mod supervisor;
pub mod supervisor_photo;
pub mod supervisor_profile;
pub mod supervisor_translation;
pub mod tag;
pub mod tag_translation;
pub mod trusted_document;
pub mod usage_daily;
pub mod webhook_delivery;
pub mod webhook_endpoint;

pub mod prelude;

/// A model read by position from consecutive columns of a row.
///
/// SeaORM's `FromQueryResult` finds each column by name, formatting
/// `{prefix}{column}` and hashing it for every column of every row; the
/// joined reads that carry a page know where each model's columns start,
/// so they read by index instead.
pub trait FromColumns: Sized {
    /// How many columns the model takes, in `Column::iter()` order.
    const COLUMNS: usize;

    /// The model from the `COLUMNS` columns starting at `at`;
    /// `TryGetError::Null` when a non-null column is null (a `LEFT JOIN`
    /// that found nothing).
    fn from_columns(row: &sea_orm::QueryResult, at: usize) -> Result<Self, sea_orm::TryGetError>;
}

/// Implements [`FromColumns`] for the `Model` of the module it is used in;
/// the fields must be listed in declaration order, which a generated test
/// checks against `Column::iter()`.
#[macro_export]
macro_rules! from_columns {
    ($($field:ident),+ $(,)?) => {
        impl $crate::FromColumns for Model {
            const COLUMNS: usize = [$(stringify!($field)),+].len();

            #[allow(unused_assignments)]
            fn from_columns(
                row: &sea_orm::QueryResult,
                at: usize,
            ) -> Result<Self, sea_orm::TryGetError> {
                let mut at = at;
                Ok(Self {
                    $($field: {
                        let value = sea_orm::TryGetable::try_get_by_index(row, at)?;
                        at += 1;
                        value
                    },)+
                })
            }
        }

        #[cfg(test)]
        #[test]
        fn columns_are_listed_in_select_order() {
            use sea_orm::{IdenStatic, Iterable};
            let selected: Vec<&str> = Column::iter().map(|c| c.as_str()).collect();
            assert_eq!(selected, [$(stringify!($field)),+]);
        }
    };
}
