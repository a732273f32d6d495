//! The `Category` object, and the list queries of categories and tags.

use async_graphql::{Context, ID, Object};
use chrono::Utc;
use entity::{category, category_translation, tag};
use sea_orm::{EntityTrait, QueryFilter, QueryOrder};

use super::localized::{HasLocale, LocaleFields, LocaleInfo};
use super::node::{Kind, global_id};
use super::tag::Tag;
use super::{db, localize, preference};
use crate::delivery::locale::{Locale, Localization, Preference};
use crate::delivery::visibility;
use crate::error::Result;

/// A category in the locale chosen for this request.
#[derive(Clone)]
pub struct Category {
    model: category::Model,
    l10n: Localization<category_translation::Model>,
}

impl Category {
    /// Its name in the locale read, for what is built from it in Rust.
    pub(crate) fn display_name(&self) -> &str {
        &self.l10n.text().name
    }

    /// A category with its texts in hand; `None` when none is readable.
    pub(crate) fn from_texts(
        ctx: &Context<'_>,
        model: category::Model,
        texts: Vec<category_translation::Model>,
        pref: &Preference,
    ) -> Option<Self> {
        crate::delivery::tags::entity(ctx, "category", model.id);
        let l10n = Localization::resolve(texts, pref, &model.source_locale)?;
        Some(Self { model, l10n })
    }

    /// The category's id.
    pub fn uuid(&self) -> uuid::Uuid {
        self.model.id
    }

    /// Wraps category rows, loading their names in one batch.
    pub(crate) async fn wrap_all(
        ctx: &Context<'_>,
        models: Vec<category::Model>,
        pref: &Preference,
    ) -> Result<Vec<Self>> {
        for model in &models {
            crate::delivery::tags::entity(ctx, "category", model.id);
        }
        let wrapped =
            localize::<category_translation::Entity, _>(ctx, models, pref, |m| m.id, |m| m.source_locale.clone());
        Ok(wrapped
            .await?
            .into_iter()
            .map(|(model, l10n)| Self { model, l10n })
            .collect())
    }
}

/// A series of articles, e.g. a regenerative-medicine column.
#[Object]
impl Category {
    /// Global id; pass it to `node(id:)` to refetch this object.
    pub async fn id(&self) -> ID {
        global_id(Kind::Category, self.model.id)
    }

    /// URL slug; pass it to `articles(filter: {category: …})`.
    async fn slug(&self) -> &str {
        &self.model.slug
    }

    /// Name.
    async fn name(&self) -> &str {
        &self.l10n.text().name
    }

    /// Description.
    async fn description(&self) -> Option<&str> {
        self.l10n.text().description.as_deref()
    }

    /// `locale`, `isFallback` and `availableLocales`, in this place.
    #[graphql(flatten)]
    async fn localized(&self) -> LocaleFields<'_> {
        LocaleFields(&self.l10n)
    }
}

/// Category and tag queries.
#[derive(Default)]
pub struct CategoryQuery;

#[Object]
impl CategoryQuery {
    /// Every category with a published article (or marked public), in
    /// navigation order.
    async fn categories(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Locale to read in; defaults to Accept-Language, then the server default.")] locale: Option<
            Locale,
        >,
    ) -> Result<Vec<Category>> {
        let pref = preference(ctx, locale)?;
        crate::delivery::tags::collection(ctx, "categories");
        let models = category::Entity::find()
            .filter(visibility::category_for(super::audience(ctx), Utc::now()))
            .order_by_asc(category::Column::Position)
            .order_by_asc(category::Column::Slug)
            .all(db(ctx)?)
            .await?;
        Category::wrap_all(ctx, models, &pref).await
    }

    /// Every tag of a published article (or marked public), by slug.
    async fn tags(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Locale to read in; defaults to Accept-Language, then the server default.")] locale: Option<
            Locale,
        >,
    ) -> Result<Vec<Tag>> {
        let pref = preference(ctx, locale)?;
        crate::delivery::tags::collection(ctx, "tags");
        let models = tag::Entity::find()
            .filter(visibility::tag_for(super::audience(ctx), Utc::now()))
            .order_by_asc(tag::Column::Slug)
            .all(db(ctx)?)
            .await?;
        Tag::wrap_all(ctx, models, &pref).await
    }
}

impl HasLocale for Category {
    fn localization(&self) -> &dyn LocaleInfo {
        &self.l10n
    }
}
