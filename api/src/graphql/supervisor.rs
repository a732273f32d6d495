//! The `Supervisor` object (a physician's profile with qualifications and
//! career) and the `supervisor` / `supervisors` queries.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;
use entity::enums::QualificationKind;
use entity::{
    career_entry, career_entry_translation, qualification, qualification_translation, supervisor,
    supervisor_translation,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::localized::{HasLocale, LocaleFields, LocaleInfo};
use super::node::{Kind, global_id};
use super::{db, loader, localize, preference};
use crate::delivery::locale::{Locale, Localization, Preference};
use crate::delivery::visibility;
use crate::error::Result;
use crate::store::loaders::{CareerOf, QualificationsOf};

/// A supervisor in the locale chosen for this request.
#[derive(Clone)]
pub struct Supervisor {
    model: supervisor::Model,
    l10n: Localization<supervisor_translation::Model>,
    pref: Preference,
}

impl Supervisor {
    /// Wraps supervisor rows, loading their profiles in one batch.
    pub(crate) async fn wrap_all(
        ctx: &Context<'_>,
        models: Vec<supervisor::Model>,
        pref: &Preference,
    ) -> Result<Vec<Self>> {
        for model in &models {
            crate::delivery::tags::entity(ctx, "supervisor", model.id);
        }
        let wrapped =
            localize::<supervisor_translation::Entity, _>(ctx, models, pref, |m| m.id, |m| m.source_locale.clone());
        Ok(wrapped
            .await?
            .into_iter()
            .map(|(model, l10n)| Self {
                model,
                l10n,
                pref: pref.clone(),
            })
            .collect())
    }

    /// A supervisor with the profile texts in hand; `None` when none is
    /// readable.
    pub(crate) fn from_texts(
        ctx: &Context<'_>,
        model: supervisor::Model,
        texts: Vec<supervisor_translation::Model>,
        pref: &Preference,
    ) -> Option<Self> {
        crate::delivery::tags::entity(ctx, "supervisor", model.id);
        let l10n = Localization::resolve(texts, pref, &model.source_locale)?;
        Some(Self {
            model,
            l10n,
            pref: pref.clone(),
        })
    }

    /// The supervisor's id.
    pub fn uuid(&self) -> uuid::Uuid {
        self.model.id
    }

    pub(crate) fn text(&self) -> &supervisor_translation::Model {
        self.l10n.text()
    }
}

/// A physician or other contributor who supervises articles.
#[Object]
impl Supervisor {
    /// Global id; pass it to `node(id:)` to refetch this object.
    pub async fn id(&self) -> ID {
        global_id(Kind::Supervisor, self.model.id)
    }

    /// URL slug.
    async fn slug(&self) -> &str {
        &self.model.slug
    }

    /// `locale`, `isFallback` and `availableLocales`, in this place.
    #[graphql(flatten)]
    async fn localized(&self) -> LocaleFields<'_> {
        LocaleFields(&self.l10n)
    }

    /// The profile's stored fields, `name` to `profileRevision`, in this
    /// place.
    #[graphql(flatten)]
    async fn profile(&self) -> Profile<'_> {
        let text = self.text();
        Profile {
            name: &text.name,
            name_reading: text.name_reading.as_deref(),
            title: text.title.as_deref(),
            affiliation: text.affiliation.as_deref(),
            bio: text.bio.as_deref(),
            photo_url: self.model.photo_url.as_deref(),
            profile_revision: self.model.profile_revision,
        }
    }

    /// The portrait, with its alt text in the profile's locale.
    async fn photo(&self, ctx: &Context<'_>) -> Result<Option<super::image::Image>> {
        super::image::Image::photo_of(ctx, self.model.id, &self.text().locale).await
    }

    /// False when the profile changed after the physician last stood behind
    /// it (by signing off or with `confirmProfile`).
    async fn profile_confirmed(&self) -> bool {
        crate::editorial::profiles::confirmed(&self.model)
    }

    /// Qualifications in the order the profile lists them.
    pub(crate) async fn qualifications(&self, ctx: &Context<'_>) -> Result<Vec<Qualification>> {
        let rows = loader(ctx)?
            .load_one(QualificationsOf(self.model.id))
            .await?
            .unwrap_or_default();
        Ok(rows
            .iter()
            .filter_map(|(model, texts)| {
                let l10n = Localization::resolve(texts.clone(), &self.pref, &self.model.source_locale)?;
                Some(Qualification {
                    model: model.clone(),
                    l10n,
                })
            })
            .collect())
    }

    /// Career steps in the order the profile lists them.
    async fn career(&self, ctx: &Context<'_>) -> Result<Vec<CareerEntry>> {
        let rows = loader(ctx)?
            .load_one(CareerOf(self.model.id))
            .await?
            .unwrap_or_default();
        Ok(rows
            .iter()
            .filter_map(|(model, texts)| {
                let l10n = Localization::resolve(texts.clone(), &self.pref, &self.model.source_locale)?;
                Some(CareerEntry {
                    model: model.clone(),
                    l10n,
                })
            })
            .collect())
    }
}

/// A qualification in the locale chosen for this request.
pub struct Qualification {
    model: qualification::Model,
    l10n: Localization<qualification_translation::Model>,
}

impl Qualification {
    /// Its kind and name, for what is built from it in Rust (JSON-LD).
    pub(crate) fn kind_and_name(&self) -> (QualificationKind, &str) {
        (self.model.kind, &self.l10n.text().name)
    }
}

/// A certification, society membership or licence.
#[Object]
impl Qualification {
    /// Certification, membership or licence.
    async fn kind(&self) -> QualificationKind {
        self.model.kind
    }

    /// Position in the profile's list, from 0.
    async fn position(&self) -> i32 {
        self.model.position
    }

    /// Name of the qualification.
    async fn name(&self) -> &str {
        &self.l10n.text().name
    }

    /// `locale`, `isFallback` and `availableLocales`, in this place.
    #[graphql(flatten)]
    async fn localized(&self) -> LocaleFields<'_> {
        LocaleFields(&self.l10n)
    }
}

/// A career entry in the locale chosen for this request.
pub struct CareerEntry {
    model: career_entry::Model,
    l10n: Localization<career_entry_translation::Model>,
}

/// One step of a career.
#[Object]
impl CareerEntry {
    /// Position in the profile's list, from 0.
    async fn position(&self) -> i32 {
        self.model.position
    }

    /// The step as the profile states it.
    async fn text(&self) -> &str {
        &self.l10n.text().text
    }

    /// Organisation, where it can be named on its own.
    async fn organization(&self) -> Option<&str> {
        self.l10n.text().organization.as_deref()
    }

    /// Role held there.
    async fn role(&self) -> Option<&str> {
        self.l10n.text().role.as_deref()
    }

    /// Start (year or year-month), where known.
    async fn started(&self) -> Option<&str> {
        self.model.started.as_deref()
    }

    /// End (year or year-month), where known.
    async fn ended(&self) -> Option<&str> {
        self.model.ended.as_deref()
    }

    /// `locale`, `isFallback` and `availableLocales`, in this place.
    #[graphql(flatten)]
    async fn localized(&self) -> LocaleFields<'_> {
        LocaleFields(&self.l10n)
    }
}

/// A profile's stored fields as the schema shows them, borrowed from its
/// rows: built only when one of them is asked for.
#[derive(SimpleObject)]
struct Profile<'a> {
    /// Full name.
    name: &'a str,
    /// Phonetic reading of the name, where known.
    name_reading: Option<&'a str>,
    /// Job title.
    title: Option<&'a str>,
    /// Clinic or institution.
    affiliation: Option<&'a str>,
    /// Biography.
    bio: Option<&'a str>,
    /// Portrait URL, as imported.
    #[graphql(deprecation = "Use `photo`: an image with alt text, sizes and variants.")]
    photo_url: Option<&'a str>,
    /// The profile's revision: one more with each change of name, title,
    /// qualifications or career. A physician confirms the one they read
    /// with `confirmProfile`.
    profile_revision: i32,
}

/// Supervisor queries.
#[derive(Default)]
pub struct SupervisorQuery;

#[Object]
impl SupervisorQuery {
    /// A supervisor by slug, or null when there is none or no published
    /// article names them yet (unless their profile is marked public).
    async fn supervisor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "URL slug.", validator(max_length = 200))] slug: String,
        #[graphql(desc = "Locale to read in; defaults to Accept-Language, then the server default.")] locale: Option<
            Locale,
        >,
    ) -> Result<Option<Supervisor>> {
        let pref = preference(ctx, locale)?;
        crate::delivery::tags::collection(ctx, "supervisors");
        let Some(model) = supervisor::Entity::find()
            .filter(supervisor::Column::Slug.eq(&slug))
            .filter(visibility::supervisor_for(super::audience(ctx), Utc::now()))
            .one(db(ctx)?)
            .await?
        else {
            return super::absent(ctx, || format!("supervisor `{slug}`"));
        };
        Ok(Supervisor::wrap_all(ctx, vec![model], &pref).await?.pop())
    }

    /// Every supervisor of a published article (or marked public), in the
    /// order they were added.
    async fn supervisors(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Locale to read in; defaults to Accept-Language, then the server default.")] locale: Option<
            Locale,
        >,
    ) -> Result<Vec<Supervisor>> {
        let pref = preference(ctx, locale)?;
        crate::delivery::tags::collection(ctx, "supervisors");
        let models = supervisor::Entity::find()
            .filter(visibility::supervisor_for(super::audience(ctx), Utc::now()))
            .order_by_asc(supervisor::Column::Id)
            .all(db(ctx)?)
            .await?;
        Supervisor::wrap_all(ctx, models, &pref).await
    }
}

impl HasLocale for Supervisor {
    fn localization(&self) -> &dyn LocaleInfo {
        &self.l10n
    }
}

impl HasLocale for Qualification {
    fn localization(&self) -> &dyn LocaleInfo {
        &self.l10n
    }
}

impl HasLocale for CareerEntry {
    fn localization(&self) -> &dyn LocaleInfo {
        &self.l10n
    }
}
