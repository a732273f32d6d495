//! The `Tag` object: a topic shared across articles.

use async_graphql::{Context, ID, Object};
use entity::{tag, tag_translation};

use super::localize;
use super::localized::{HasLocale, LocaleFields, LocaleInfo};
use super::node::{Kind, global_id};
use crate::delivery::locale::{Localization, Preference};
use crate::error::Result;

/// A tag in the locale chosen for this request.
#[derive(Clone)]
pub struct Tag {
    model: tag::Model,
    l10n: Localization<tag_translation::Model>,
}

impl Tag {
    /// A tag with its texts in hand; `None` when none is readable.
    pub(crate) fn from_texts(
        ctx: &Context<'_>,
        model: tag::Model,
        texts: Vec<tag_translation::Model>,
        pref: &Preference,
    ) -> Option<Self> {
        crate::delivery::tags::entity(ctx, "tag", model.id);
        let l10n = Localization::resolve(texts, pref, &model.source_locale)?;
        Some(Self { model, l10n })
    }

    /// The tag's id.
    pub fn uuid(&self) -> uuid::Uuid {
        self.model.id
    }

    /// Wraps tag rows, loading their names in one batch.
    pub(crate) async fn wrap_all(ctx: &Context<'_>, models: Vec<tag::Model>, pref: &Preference) -> Result<Vec<Self>> {
        for model in &models {
            crate::delivery::tags::entity(ctx, "tag", model.id);
        }
        let wrapped = localize::<tag_translation::Entity, _>(ctx, models, pref, |m| m.id, |m| m.source_locale.clone());
        Ok(wrapped
            .await?
            .into_iter()
            .map(|(model, l10n)| Self { model, l10n })
            .collect())
    }
}

/// A topic shared across articles.
#[Object]
impl Tag {
    /// Global id; pass it to `node(id:)` to refetch this object.
    pub async fn id(&self) -> ID {
        global_id(Kind::Tag, self.model.id)
    }

    /// URL slug; pass it to `articles(filter: {tag: …})`.
    async fn slug(&self) -> &str {
        &self.model.slug
    }

    /// Name.
    async fn name(&self) -> &str {
        &self.l10n.text().name
    }

    /// `locale`, `isFallback` and `availableLocales`, in this place.
    #[graphql(flatten)]
    async fn localized(&self) -> LocaleFields<'_> {
        LocaleFields(&self.l10n)
    }
}

impl HasLocale for Tag {
    fn localization(&self) -> &dyn LocaleInfo {
        &self.l10n
    }
}
