//! The GraphQL schema: one module per type, the root `Query` merged here.
//!
//! Resolvers reach the database only through the per-request
//! [`DataLoader`](async_graphql::dataloader::DataLoader) (relations) or, for
//! the root lookups, through one query each.

pub mod article;
pub mod audit_log;
pub mod block;
pub mod category;
pub mod changes;
pub mod claim;
pub mod contributor;
pub mod editing;
pub mod entities;
pub mod image;
pub mod json_ld;
pub mod lint;
pub mod localized;
pub mod node;
pub mod pagination;
pub mod partners;
pub mod reading;
pub mod reference;
pub mod revision;
pub mod scalars;
pub mod sdl;
pub mod search;
pub mod section;
pub mod sign_off;
pub mod supervisor;
pub mod syndication;
pub mod tag;
pub mod translation_work;
pub mod viewer;
pub mod workflow;

use std::sync::Arc;

use async_graphql::{Context, Interface, MergedObject, Schema};
use sea_orm::DatabaseConnection;

use crate::delivery::locale::{Localization, Preference, Translation};
use crate::error::{Error, Result};
use crate::locale::Locale;
use crate::store::db::Reader;
use crate::store::loaders::{Child, ChildrenOf, RequestLoader};
use localized::HasLocale as _;

/// The schema type served at `/graphql`.
pub type KijiSchema = Schema<Query, Mutation, changes::ChangeSubscription>;

/// Root query: delivery reads of published content.
#[derive(MergedObject, Default)]
pub struct Query(
    article::ArticleQuery,
    supervisor::SupervisorQuery,
    category::CategoryQuery,
    node::NodeQuery,
    viewer::ViewerQuery,
    translation_work::TranslationWorkQuery,
    audit_log::AuditLogQuery,
    revision::RevisionQuery,
    lint::LintQuery,
    changes::ChangeQuery,
    partners::PartnerQuery,
    search::SearchQuery,
);

/// Root mutation: editorial writes, each one transaction that appends to
/// the change log.
#[derive(MergedObject, Default)]
pub struct Mutation(
    editing::EditingMutation,
    entities::EntityMutation,
    sign_off::SignOffMutation,
    workflow::WorkflowMutation,
    partners::PartnerMutation,
    image::ImageMutation,
);

/// Localization settings of the server.
#[derive(Debug, Clone)]
pub struct LocaleSettings {
    /// Used when a request names no locale.
    pub default: Locale,
    /// Tried after the requested locales, before an entity's source locale.
    pub fallbacks: Vec<Locale>,
}

/// Locales from the request's Accept-Language header, best first.
#[derive(Debug, Clone, Default)]
pub struct AcceptLanguage(pub Vec<Locale>);

/// Every object whose text is stored per locale.
#[derive(Interface)]
#[graphql(
    field(
        name = "locale",
        ty = "Locale",
        desc = "The locale the text of this object is actually in."
    ),
    field(
        name = "is_fallback",
        ty = "bool",
        desc = "True when the text is not in the requested language but in a fallback."
    ),
    field(
        name = "available_locales",
        ty = "Vec<Locale>",
        desc = "Every locale this object can be read in."
    )
)]
pub enum Localized {
    /// An article.
    Article(article::Article),
    /// A section.
    Section(section::Section),
    /// A claim.
    Claim(claim::Claim),
    /// A supervisor.
    Supervisor(supervisor::Supervisor),
    /// A qualification.
    Qualification(supervisor::Qualification),
    /// A career entry.
    CareerEntry(supervisor::CareerEntry),
    /// A category.
    Category(category::Category),
    /// A tag.
    Tag(tag::Tag),
}

/// The schema's types and limits; the one definition both the server and
/// [`sdl`] use, so the exported SDL cannot drift from what is served.
fn builder() -> async_graphql::SchemaBuilder<Query, Mutation, changes::ChangeSubscription> {
    Schema::build(Query::default(), Mutation::default(), changes::ChangeSubscription)
        .register_output_type::<Localized>()
        // A full article page is ~12 levels deep; this leaves room for nested
        // lists while refusing pathological queries before they execute.
        .limit_depth(24)
        .limit_complexity(5_000)
}

/// Builds the schema with its shared data.
pub fn build_schema(
    db: DatabaseConnection,
    locales: LocaleSettings,
    rules: std::sync::Arc<crate::editorial::lint::Rules>,
    followers: crate::store::write::Followers,
    urls: crate::content::urls::PublicUrls,
    search: Arc<crate::delivery::search::SearchIndex>,
    images: image::Images,
) -> KijiSchema {
    builder()
        .data(search)
        .data(images.base)
        .data(images.store)
        .data(db)
        .data(locales)
        .data(rules)
        .data(followers)
        .data(urls)
        .finish()
}

/// What a write by `key` needs.
pub(crate) fn writer<'a>(
    ctx: &Context<'a>,
    key: &'a crate::editorial::principal::Principal,
) -> Result<crate::editorial::Writer<'a>> {
    Ok(crate::editorial::Writer {
        db: pool(ctx)?,
        rules: rules(ctx)?,
        followers: followers(ctx)?,
        key,
    })
}

/// What a write wakes in this process (the response cache).
pub(crate) fn followers<'a>(ctx: &Context<'a>) -> Result<&'a crate::store::write::Followers> {
    ctx.data_opt::<crate::store::write::Followers>()
        .ok_or_else(|| Error::Internal("schema has no followers of the change log".into()))
}

/// The medical-advertising lint's rules in force.
pub(crate) fn rules<'a>(ctx: &Context<'a>) -> Result<&'a crate::editorial::lint::Rules> {
    ctx.data_opt::<std::sync::Arc<crate::editorial::lint::Rules>>()
        .map(|r| &**r)
        .ok_or_else(|| Error::Internal("schema has no lint rules".into()))
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    sdl::print(&builder().finish().sdl())
}

/// The request's loader.
pub(crate) fn loader<'a>(ctx: &Context<'a>) -> Result<&'a RequestLoader> {
    ctx.data_opt::<RequestLoader>()
        .ok_or_else(|| Error::Internal("request has no loader".into()))
}

/// Who the request is for: the public, or a key that sees drafts.
pub(crate) fn audience(ctx: &Context<'_>) -> crate::delivery::visibility::Audience {
    crate::delivery::visibility::Audience::of(ctx.data_opt::<crate::editorial::auth::Principal>())
}

/// What a lookup that found nothing answers: null for the public and for
/// keys, `NOT_FOUND` for a partner, the same whether `what` exists beyond
/// its licence or not at all.
pub(crate) fn absent<T>(ctx: &Context<'_>, what: impl FnOnce() -> String) -> Result<Option<T>> {
    match audience(ctx) {
        crate::delivery::visibility::Audience::Partner(_) => Err(Error::NotFound(format!("no {}", what()))),
        _ => Ok(None),
    }
}

/// A request's partner licences, read by the first field that needs them.
#[derive(Default)]
pub struct LicenceCell(tokio::sync::OnceCell<Arc<crate::delivery::licences::Licensed>>);

/// The licences in force of the request's partner; `None` when the request
/// is not a partner's.
pub(crate) async fn licensed(ctx: &Context<'_>) -> Result<Option<Arc<crate::delivery::licences::Licensed>>> {
    let crate::delivery::visibility::Audience::Partner(partner) = audience(ctx) else {
        return Ok(None);
    };
    let load = || async {
        crate::delivery::licences::Licensed::load(db(ctx)?, partner, chrono::Utc::now())
            .await
            .map(Arc::new)
            .map_err(Error::from)
    };
    match ctx.data_opt::<LicenceCell>() {
        Some(cell) => cell.0.get_or_try_init(load).await.cloned().map(Some),
        None => load().await.map(Some),
    }
}

/// The request's key when its role is one of `roles`; otherwise
/// `FORBIDDEN`, naming the roles that may do `what`. Called before anything
/// is looked up, so a refusal never tells whether a target exists.
pub(crate) fn require_role(
    ctx: &Context<'_>,
    roles: &[entity::enums::Role],
    what: &str,
) -> Result<crate::editorial::auth::Principal> {
    match ctx.data_opt::<crate::editorial::auth::Principal>() {
        Some(key @ crate::editorial::auth::Principal::Key { role, .. }) if roles.contains(role) => Ok(key.clone()),
        // A partner is told nothing beyond its licence, not even that
        // editorial operations exist for other keys.
        Some(crate::editorial::auth::Principal::Key {
            role: entity::enums::Role::Partner,
            ..
        }) => Err(Error::NotFound(format!("{what} is not available to a partner key"))),
        _ => {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(Error::Forbidden(format!("{what} needs a {} key", names.join(" or "))))
        }
    }
}

/// The database as this request reads it (see `Reader`: every read of a
/// request goes through it).
pub(crate) fn db<'a>(ctx: &Context<'a>) -> Result<&'a Reader> {
    refuse_over_websocket(ctx)?;
    ctx.data_opt::<Arc<Reader>>()
        .map(|reader| &**reader)
        .ok_or_else(|| Error::Internal("request has no database reader".into()))
}

/// Refuses a query or mutation sent over `/graphql/ws` (see
/// `changes::OverWebSocket`).
fn refuse_over_websocket(ctx: &Context<'_>) -> Result<()> {
    if ctx.data_opt::<changes::OverWebSocket>().is_some() {
        return Err(Error::bad_input(
            "only subscriptions run over /graphql/ws; send queries and mutations to /graphql",
        ));
    }
    Ok(())
}

/// The connection pool, for writes.
pub(crate) fn pool<'a>(ctx: &Context<'a>) -> Result<&'a DatabaseConnection> {
    refuse_over_websocket(ctx)?;
    ctx.data_opt::<DatabaseConnection>()
        .ok_or_else(|| Error::Internal("schema has no database".into()))
}

/// The locale preference of a root field: its `locale` argument, else the
/// Accept-Language header, else the server default.
pub(crate) fn preference(ctx: &Context<'_>, locale: Option<Locale>) -> Result<Preference> {
    let settings = ctx
        .data_opt::<LocaleSettings>()
        .ok_or_else(|| Error::Internal("schema has no locale settings".into()))?;
    let choices = match locale {
        Some(locale) => vec![locale],
        None => ctx
            .data_opt::<AcceptLanguage>()
            .map(|a| a.0.clone())
            .unwrap_or_default(),
    };
    Ok(Preference::new(&choices, &settings.default, &settings.fallbacks))
}

/// Loads the translations (rows of `E`) of `rows` in one batch and chooses
/// one for each; a row with no translation at all is left out.
pub(crate) async fn localize<E, R>(
    ctx: &Context<'_>,
    rows: Vec<R>,
    pref: &Preference,
    id: impl Fn(&R) -> uuid::Uuid,
    source: impl Fn(&R) -> String,
) -> Result<Vec<(R, Localization<E::Model>)>>
where
    E: Child + 'static,
    E::Model: Translation + Clone + Send + Sync,
{
    let texts = loader(ctx)?
        .load_many(rows.iter().map(|r| ChildrenOf::<E>::new(id(r))))
        .await?;
    // `get`, not `remove`: the same owner may appear in several rows (one
    // physician as supervisor and as author), and each row needs its text.
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let texts = texts.get(&ChildrenOf::new(id(&row)))?.to_vec();
            let l10n = Localization::resolve(texts, pref, &source(&row))?;
            Some((row, l10n))
        })
        .collect())
}
