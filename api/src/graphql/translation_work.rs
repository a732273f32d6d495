//! `translationWork`: what translators have to do in one locale — articles
//! with no translation in it, and translations made from an older revision
//! of the source text than the current one.

use std::collections::HashMap;

use async_graphql::{Context, Enum, Object, SimpleObject};
use entity::enums::{Role, Status};
use entity::{article, article_translation};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::db;
use crate::error::{Error, Result};
use crate::locale::Locale;

/// The root field `translationWork`.
#[derive(Default)]
pub struct TranslationWorkQuery;

/// Why an article needs a translator.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum TranslationNeed {
    /// There is no translation in the locale.
    Missing,
    /// The translation was made from an older revision of the source text.
    Outdated,
}

/// One article a translator has to translate or bring up to date.
#[derive(SimpleObject)]
pub struct TranslationTask {
    /// The article's slug.
    slug: String,
    /// Its title in the source locale.
    source_title: String,
    /// The locale it is written in.
    source_locale: Locale,
    /// Its publication state.
    status: Status,
    /// The revision in which the source text last changed.
    revision: i32,
    /// What is needed.
    need: TranslationNeed,
    /// The revision the existing translation was made from; null when missing.
    translated_from_revision: Option<i32>,
    /// How many revisions the translation lags; null when missing.
    lags_by: Option<i32>,
    /// The state of the existing translation; null when missing.
    translation_status: Option<Status>,
}

/// Most tasks one answer lists.
const MAX_TASKS: i32 = 200;
/// Articles read per statement.
const PAGE: u64 = 500;

/// Roles that translate or manage translations.
const TRANSLATING: [Role; 3] = [Role::Translator, Role::Editor, Role::Admin];

#[Object]
impl TranslationWorkQuery {
    /// Articles (drafts included) with no translation in `locale`, or one
    /// made from an older source revision, oldest work first. Needs a
    /// TRANSLATOR, EDITOR or ADMIN key.
    async fn translation_work(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The locale to translate into.")] locale: Locale,
        #[graphql(desc = "At most this many tasks, 1 to 200; 50 when left out.")] first: Option<i32>,
    ) -> Result<Vec<TranslationTask>> {
        let first = first.unwrap_or(50);
        super::require_role(ctx, &TRANSLATING, "translationWork")?;
        if !(1..=MAX_TASKS).contains(&first) {
            return Err(Error::bad_input(format!(
                "`first` must be between 1 and {MAX_TASKS}, got {first}"
            )));
        }
        let db = db(ctx)?;
        let mut tasks = Vec::new();
        // A page of articles at a time: the statement's parameters and the
        // memory stay bounded however large the corpus is.
        let mut page = 0;
        while tasks.len() < first as usize {
            let articles = article::Entity::find()
                .filter(article::Column::SourceLocale.ne(locale.as_str()))
                .filter(article::Column::DraftOf.is_null())
                .order_by_asc(article::Column::UpdatedAt)
                .order_by_asc(article::Column::Id)
                .paginate(db, PAGE)
                .fetch_page(page)
                .await?;
            if articles.is_empty() {
                break;
            }
            page += 1;
            let mut by_article: HashMap<Uuid, Vec<article_translation::Model>> = HashMap::new();
            for text in article_translation::Entity::find()
                .filter(article_translation::Column::ArticleId.is_in(articles.iter().map(|a| a.id)))
                .all(db)
                .await?
            {
                by_article.entry(text.article_id).or_default().push(text);
            }
            for article in articles {
                let texts = by_article.remove(&article.id).unwrap_or_default();
                let Some(source) = texts.iter().find(|t| t.locale == article.source_locale) else {
                    continue;
                };
                let translation = texts.iter().find(|t| t.locale == locale.as_str());
                let need = match translation {
                    None => TranslationNeed::Missing,
                    Some(t) if t.source_revision < article.source_revision => TranslationNeed::Outdated,
                    Some(_) => continue,
                };
                tasks.push(TranslationTask {
                    slug: article.slug.clone(),
                    source_title: source.title.clone(),
                    source_locale: Locale::trusted(&article.source_locale),
                    status: article.status,
                    revision: article.source_revision,
                    need,
                    translated_from_revision: translation.map(|t| t.source_revision),
                    lags_by: translation.map(|t| article.source_revision - t.source_revision),
                    translation_status: translation.map(|t| t.status),
                });
            }
        }
        tasks.truncate(first as usize);
        Ok(tasks)
    }
}
