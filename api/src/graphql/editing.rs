//! Content edits: every mutation here loads the article's newest revision,
//! changes it, and saves the result as the next revision through
//! [`crate::editorial::revisions::save`], in one transaction with its audit entry and
//! change-log row. Each names the revision it started from
//! (`baseRevision`): a stale one is `CONFLICT` with the newest revision, so
//! no edit overwrites another unseen.
//!
//! Also here: the revision history of an article, for every key.

use async_graphql::{Context, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::block::Block;
use entity::enums::{Role, Status};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{db, require_role};
use crate::content::{ArticleDoc, ArticleText, Bundle, SectionDoc};
use crate::editorial::auth::Principal;
use crate::editorial::revisions::{self, Snapshot};
use crate::error::{Error, Result};
use crate::locale::Locale;

/// Roles that write content.
const WRITING: [Role; 3] = [Role::Editor, Role::Translator, Role::Admin];
/// Roles that change an article's structure and source text.
const EDITING: [Role; 2] = [Role::Editor, Role::Admin];

/// Content-editing mutations.
#[derive(Default)]
pub struct EditingMutation;

/// Reads `value` as a `T`, naming the path of the first field that does not
/// fit (`document.sections[3].blocks.ja[0].items`).
fn parse<T: DeserializeOwned>(what: &str, value: Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let at = if path == "." {
            what.to_owned()
        } else {
            format!("{what}.{path}")
        };
        Error::bad_input(format!("{at}: {}", err.inner()))
    })
}

/// A new article.
#[derive(InputObject)]
pub struct CreateArticleInput {
    /// The article in the form of one entry of `articles:` in a content
    /// file (docs/content.md), as JSON. It starts as a DRAFT.
    document: Json<Value>,
    /// What the revision is, for the history.
    #[graphql(validator(max_length = 500))]
    note: Option<String>,
}

/// A whole new revision of an article.
#[derive(InputObject)]
pub struct SaveArticleInput {
    /// The article's slug.
    #[graphql(validator(max_length = 200))]
    slug: String,
    /// The revision the edit started from: must be the newest.
    base_revision: i32,
    /// The article as a content document (JSON), as `articleRevisions`
    /// returns it.
    document: Json<Value>,
    /// What changed, for the history.
    #[graphql(validator(max_length = 500))]
    note: Option<String>,
}

/// New text for one section in one locale.
#[derive(InputObject)]
pub struct EditSectionInput {
    /// The article's slug.
    #[graphql(validator(max_length = 200))]
    slug: String,
    /// The revision the edit started from: must be the newest.
    base_revision: i32,
    /// The section's anchor.
    #[graphql(validator(max_length = 200))]
    anchor: String,
    /// The locale of the text.
    locale: Locale,
    /// The new heading; unchanged when left out.
    heading: Option<String>,
    /// The new blocks (a JSON array, as in content files); unchanged when
    /// left out.
    blocks: Option<Json<Value>>,
    /// What changed, for the history.
    #[graphql(validator(max_length = 500))]
    note: Option<String>,
}

/// A new section.
#[derive(InputObject)]
pub struct AddSectionInput {
    /// The article's slug.
    #[graphql(validator(max_length = 200))]
    slug: String,
    /// The revision the edit started from: must be the newest.
    base_revision: i32,
    /// The parent section's anchor; top level when left out.
    parent: Option<String>,
    /// Place among its siblings, from 0; last when left out.
    position: Option<i32>,
    /// The section as in content files (JSON): anchor, kind, heading,
    /// blocks, claims, sections.
    section: Json<Value>,
    /// What changed, for the history.
    #[graphql(validator(max_length = 500))]
    note: Option<String>,
}

/// Moving a section in the tree.
#[derive(InputObject)]
pub struct MoveSectionInput {
    /// The article's slug.
    #[graphql(validator(max_length = 200))]
    slug: String,
    /// The revision the edit started from: must be the newest.
    base_revision: i32,
    /// The section's anchor.
    anchor: String,
    /// The new parent's anchor; top level when left out.
    parent: Option<String>,
    /// The new place among its siblings, from 0.
    position: i32,
    /// What changed, for the history.
    #[graphql(validator(max_length = 500))]
    note: Option<String>,
}

/// Deleting a section with its subsections and claims.
#[derive(InputObject)]
pub struct DeleteSectionInput {
    /// The article's slug.
    #[graphql(validator(max_length = 200))]
    slug: String,
    /// The revision the edit started from: must be the newest.
    base_revision: i32,
    /// The section's anchor.
    anchor: String,
    /// What changed, for the history.
    #[graphql(validator(max_length = 500))]
    note: Option<String>,
}

/// The article-level text of one locale: creates the translation when it
/// is missing.
#[derive(InputObject)]
pub struct EditTranslationInput {
    /// The article's slug.
    #[graphql(validator(max_length = 200))]
    slug: String,
    /// The revision the edit started from: must be the newest.
    base_revision: i32,
    /// The locale.
    locale: Locale,
    /// The title.
    title: String,
    /// The lead.
    lead: String,
    /// Blocks before the first section (JSON array); unchanged when left out.
    intro: Option<Json<Value>>,
    /// Title for search engines.
    seo_title: Option<String>,
    /// Meta description.
    seo_description: Option<String>,
    /// What changed, for the history.
    #[graphql(validator(max_length = 500))]
    note: Option<String>,
}

/// Bringing an older revision back, as a new one.
#[derive(InputObject)]
pub struct RestoreRevisionInput {
    /// The article's slug.
    #[graphql(validator(max_length = 200))]
    slug: String,
    /// The revision the edit started from: must be the newest.
    base_revision: i32,
    /// The revision whose content comes back.
    number: i32,
    /// Why, for the history.
    #[graphql(validator(max_length = 500))]
    note: Option<String>,
}

/// A saved revision.
#[derive(SimpleObject)]
pub struct RevisionSaved {
    /// The article's slug.
    slug: String,
    /// The new revision: name it as `baseRevision` in the next edit.
    revision: i32,
    /// The revision readers are shown (lower while edits of a published
    /// article wait to be published).
    live_revision: i32,
    /// The article's state: a save sends an article readers have not seen
    /// back to DRAFT.
    status: Status,
    /// What the medical-advertising lint finds in the saved revision, in
    /// every locale. Errors hold back `publish` of a medical article.
    findings: Vec<crate::editorial::lint::Finding>,
}

/// Finds the section `anchor` among `sections`, at any depth.
fn find_mut<'a>(sections: &'a mut [SectionDoc], anchor: &str) -> Option<&'a mut SectionDoc> {
    for s in sections {
        if s.anchor == anchor {
            return Some(s);
        }
        if let Some(found) = find_mut(&mut s.sections, anchor) {
            return Some(found);
        }
    }
    None
}

/// Takes the section `anchor` out of the tree.
fn take(sections: &mut Vec<SectionDoc>, anchor: &str) -> Option<SectionDoc> {
    if let Some(i) = sections.iter().position(|s| s.anchor == anchor) {
        return Some(sections.remove(i));
    }
    sections.iter_mut().find_map(|s| take(&mut s.sections, anchor))
}

/// The children of `parent` (the top level for `None`).
fn children<'a>(doc: &'a mut ArticleDoc, parent: Option<&str>) -> Result<&'a mut Vec<SectionDoc>> {
    match parent {
        None => Ok(&mut doc.sections),
        Some(anchor) => find_mut(&mut doc.sections, anchor)
            .map(|s| &mut s.sections)
            .ok_or_else(|| Error::bad_input(format!("parent: no section `{anchor}`"))),
    }
}

/// `position` among `siblings` sections, from 0 to after the last.
fn place(position: i32, siblings: usize) -> Result<usize> {
    usize::try_from(position)
        .ok()
        .filter(|p| *p <= siblings)
        .ok_or_else(|| Error::bad_input(format!("position: {position} is not between 0 and {siblings}")))
}

/// Runs `change` on the newest revision of `slug` and saves the result.
async fn edit(
    ctx: &Context<'_>,
    key: &Principal,
    slug: &str,
    base: i32,
    note: Option<String>,
    change: impl FnOnce(&mut ArticleDoc) -> Result<()>,
) -> Result<RevisionSaved> {
    let txn = crate::store::db::begin_write(db(ctx)?).await?;
    let found = revisions::lock(&txn, slug, base).await?;
    let Snapshot { mut article, .. } = revisions::head(&txn, &found).await?;
    change(&mut article)?;
    let reason = note.clone();
    let saved = revisions::save(
        &txn,
        crate::editorial::audit::Actor::Key(key),
        found,
        article,
        note,
        reason.as_deref(),
    )
    .await?;
    let findings = super::rules(ctx)?.run(&txn, &saved.document).await?;
    crate::store::write::commit(
        txn,
        crate::store::changes::Kind::Edit,
        &saved.touched,
        super::followers(ctx)?,
    )
    .await?;
    Ok(RevisionSaved {
        slug: saved.article.slug,
        revision: saved.revision,
        live_revision: saved.article.revision,
        status: saved.article.status,
        findings,
    })
}

/// Whether `key` may change the source locale and the structure.
fn edits_source(key: &Principal) -> bool {
    matches!(key, Principal::Key { role, .. } if EDITING.contains(role))
}

/// Refuses a TRANSLATOR's change to what only editors change.
fn require_translation(key: &Principal, before: &ArticleDoc, after: &ArticleDoc) -> Result<()> {
    if edits_source(key) {
        return Ok(());
    }
    let mut a = before.clone();
    let mut b = after.clone();
    for doc in [&mut a, &mut b] {
        strip_translations(doc);
    }
    if a == b {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "a TRANSLATOR key changes translations only; the source text and the structure need an EDITOR or ADMIN key"
                .into(),
        ))
    }
}

/// The document with only its source-locale texts.
fn strip_translations(doc: &mut ArticleDoc) {
    let source = doc.source_locale.clone();
    doc.translations.retain(|l, _| *l == source);
    fn sections(list: &mut [SectionDoc], source: &str) {
        for s in list {
            s.heading.retain(|l, _| l == source);
            s.blocks.retain(|l, _| l == source);
            for c in &mut s.claims {
                c.text.retain(|l, _| l == source);
            }
            sections(&mut s.sections, source);
        }
    }
    sections(&mut doc.sections, &source);
}

#[Object]
impl EditingMutation {
    /// Creates an article as a DRAFT, revision 1. Needs an EDITOR or ADMIN key.
    async fn create_article(&self, ctx: &Context<'_>, input: CreateArticleInput) -> Result<RevisionSaved> {
        let key = require_role(ctx, &EDITING, "createArticle")?;
        let mut doc: ArticleDoc = parse("document", input.document.0)?;
        doc.status = Status::Draft;
        doc.revision = 1;
        // An override is a decision about publishing a revision, made then.
        doc.lint_override = None;
        doc.published_at = None;
        for text in doc.translations.values_mut() {
            text.status = Status::Draft;
            text.source_revision = 1;
        }
        if doc.contributors.iter().any(|c| {
            c.signed_off_revision.is_some()
                || c.signed_off_at.is_some()
                || !c.signed_off_locales.is_empty()
                || c.signed_off_claims
        }) {
            return Err(Error::bad_input(
                "document.contributors: a sign-off is made by its physician with signOff, not written in a document",
            ));
        }
        let slug = doc.slug.clone();
        let txn = crate::store::db::begin_write(db(ctx)?).await?;
        let bundle = Bundle {
            articles: vec![doc],
            ..Bundle::default()
        };
        // Two creations of one slug at once: the second finds the first's
        // row only at its insert, as a unique violation.
        let (_, mut touched) = match crate::editorial::import::create(&txn, bundle, super::rules(ctx)?).await {
            Err(crate::content::import::ImportError::Database(err)) if taken(&err) => {
                return Err(Error::bad_input(format!("article `{slug}` already exists")));
            }
            other => other?,
        };
        let found = revisions::lock(&txn, &slug, 1).await?;
        let head = revisions::head(&txn, &found).await?;
        let findings = super::rules(ctx)?.run(&txn, &head.article).await?;
        revisions::keep(
            &txn,
            &found,
            1,
            None,
            &head,
            &crate::editorial::audit::Actor::Key(&key).who().1,
            input.note,
        )
        .await?;
        crate::editorial::audit::record(
            &txn,
            crate::editorial::audit::Actor::Key(&key),
            "CREATE",
            &format!("article:{slug}"),
            "revision 1",
        )
        .await?;
        touched.entity("article", found.id);
        crate::store::write::commit(txn, crate::store::changes::Kind::Edit, &touched, super::followers(ctx)?).await?;
        Ok(RevisionSaved {
            slug,
            revision: 1,
            live_revision: 1,
            status: Status::Draft,
            findings,
        })
    }

    /// Saves a whole new revision of an article. Needs an EDITOR or ADMIN
    /// key, or a TRANSLATOR key for a change to translations only.
    async fn save_article(&self, ctx: &Context<'_>, input: SaveArticleInput) -> Result<RevisionSaved> {
        let key = require_role(ctx, &WRITING, "saveArticle")?;
        let doc: ArticleDoc = parse("document", input.document.0)?;
        let check_key = key.clone();
        edit(
            ctx,
            &key,
            &input.slug,
            input.base_revision,
            input.note,
            move |article| {
                require_translation(&check_key, article, &doc)?;
                *article = doc;
                Ok(())
            },
        )
        .await
    }

    /// Changes a section's heading or blocks in one locale. Needs an
    /// EDITOR or ADMIN key, or a TRANSLATOR key outside the source locale.
    async fn edit_section(&self, ctx: &Context<'_>, input: EditSectionInput) -> Result<RevisionSaved> {
        let key = require_role(ctx, &WRITING, "editSection")?;
        let blocks: Option<Vec<Block>> = input.blocks.map(|b| parse("blocks", b.0)).transpose()?;
        let locale = input.locale.as_str().to_owned();
        let anchor = input.anchor.clone();
        let check_key = key.clone();
        edit(
            ctx,
            &key,
            &input.slug,
            input.base_revision,
            input.note,
            move |article| {
                let before = article.clone();
                let section = find_mut(&mut article.sections, &anchor)
                    .ok_or_else(|| Error::bad_input(format!("anchor: no section `{anchor}`")))?;
                if let Some(heading) = input.heading {
                    section.heading.insert(locale.clone(), heading);
                } else if !section.heading.contains_key(&locale) {
                    return Err(Error::bad_input(format!(
                        "heading: section `{anchor}` has no heading in `{locale}` yet; give one"
                    )));
                }
                if let Some(blocks) = blocks {
                    section.blocks.insert(locale, blocks);
                }
                require_translation(&check_key, &before, article)
            },
        )
        .await
    }

    /// Adds a section. Needs an EDITOR or ADMIN key.
    async fn add_section(&self, ctx: &Context<'_>, input: AddSectionInput) -> Result<RevisionSaved> {
        let key = require_role(ctx, &EDITING, "addSection")?;
        let section: SectionDoc = parse("section", input.section.0)?;
        edit(
            ctx,
            &key,
            &input.slug,
            input.base_revision,
            input.note,
            move |article| {
                let list = children(article, input.parent.as_deref())?;
                let at = place(input.position.unwrap_or(list.len() as i32), list.len())?;
                list.insert(at, section);
                Ok(())
            },
        )
        .await
    }

    /// Moves a section (with its subsections) under another parent or to
    /// another place among its siblings. Needs an EDITOR or ADMIN key.
    async fn move_section(&self, ctx: &Context<'_>, input: MoveSectionInput) -> Result<RevisionSaved> {
        let key = require_role(ctx, &EDITING, "moveSection")?;
        edit(
            ctx,
            &key,
            &input.slug,
            input.base_revision,
            input.note,
            move |article| {
                let anchor = input.anchor;
                let moved = take(&mut article.sections, &anchor)
                    .ok_or_else(|| Error::bad_input(format!("anchor: no section `{anchor}`")))?;
                if let Some(parent) = &input.parent
                    && (parent == &anchor || find_mut(&mut moved.sections.clone(), parent).is_some())
                {
                    return Err(Error::bad_input(format!(
                        "parent: `{parent}` is `{anchor}` or inside it; a section cannot contain itself"
                    )));
                }
                let list = children(article, input.parent.as_deref())?;
                let at = place(input.position, list.len())?;
                list.insert(at, moved);
                Ok(())
            },
        )
        .await
    }

    /// Deletes a section with its subsections and claims. Needs an EDITOR
    /// or ADMIN key.
    async fn delete_section(&self, ctx: &Context<'_>, input: DeleteSectionInput) -> Result<RevisionSaved> {
        let key = require_role(ctx, &EDITING, "deleteSection")?;
        edit(
            ctx,
            &key,
            &input.slug,
            input.base_revision,
            input.note,
            move |article| {
                take(&mut article.sections, &input.anchor)
                    .map(|_| ())
                    .ok_or_else(|| Error::bad_input(format!("anchor: no section `{}`", input.anchor)))
            },
        )
        .await
    }

    /// Sets the title, lead and other article-level text of one locale,
    /// creating the translation (as a DRAFT) when missing. Needs an EDITOR
    /// or ADMIN key, or a TRANSLATOR key outside the source locale.
    async fn edit_translation(&self, ctx: &Context<'_>, input: EditTranslationInput) -> Result<RevisionSaved> {
        let key = require_role(ctx, &WRITING, "editTranslation")?;
        let intro: Option<Vec<Block>> = input.intro.map(|b| parse("intro", b.0)).transpose()?;
        let check_key = key.clone();
        edit(
            ctx,
            &key,
            &input.slug,
            input.base_revision,
            input.note,
            move |article| {
                let before = article.clone();
                let locale = input.locale.as_str().to_owned();
                let old = article.translations.get(&locale);
                let text = ArticleText {
                    title: input.title,
                    lead: input.lead,
                    intro: intro.or_else(|| old.map(|t| t.intro.clone())).unwrap_or_default(),
                    seo_title: input.seo_title,
                    seo_description: input.seo_description,
                    status: old.map_or(Status::Draft, |t| t.status),
                    source_revision: old.map_or(1, |t| t.source_revision),
                };
                article.translations.insert(locale, text);
                require_translation(&check_key, &before, article)
            },
        )
        .await
    }

    /// Saves the content of an older revision as the newest one. Needs an
    /// EDITOR or ADMIN key.
    async fn restore_revision(&self, ctx: &Context<'_>, input: RestoreRevisionInput) -> Result<RevisionSaved> {
        let key = require_role(ctx, &EDITING, "restoreRevision")?;
        let txn = crate::store::db::begin_write(db(ctx)?).await?;
        let found = revisions::lock(&txn, &input.slug, input.base_revision).await?;
        let Some(old) = revisions::stored(&txn, &found, input.number).await? else {
            return Err(Error::bad_input(format!(
                "number: `{}` has no kept revision {}",
                found.slug, input.number
            )));
        };
        let reason = input.note.clone();
        let note = Some(
            input
                .note
                .unwrap_or_else(|| format!("restores revision {}", input.number)),
        );
        let saved = revisions::save(
            &txn,
            crate::editorial::audit::Actor::Key(&key),
            found,
            old.article,
            note,
            reason.as_deref(),
        )
        .await?;
        let findings = super::rules(ctx)?.run(&txn, &saved.document).await?;
        crate::store::write::commit(
            txn,
            crate::store::changes::Kind::Edit,
            &saved.touched,
            super::followers(ctx)?,
        )
        .await?;
        Ok(RevisionSaved {
            slug: saved.article.slug,
            revision: saved.revision,
            live_revision: saved.article.revision,
            status: saved.article.status,
            findings,
        })
    }
}

/// A category, tag, supervisor or reference to create or replace.
#[derive(InputObject)]
pub struct SaveEntityInput {
    /// The entry as in content files (docs/content.md), as JSON. Its slug
    /// (or key, for a reference) says which one it replaces; a new one is
    /// created.
    document: Json<Value>,
    /// Why, for the audit trail: required for the changes only an ADMIN
    /// makes (a category's `medical` or self-pay flag, a physician's name,
    /// title, qualifications or career, a reference).
    #[graphql(validator(max_length = 500))]
    reason: Option<String>,
}

/// A saved category, tag, supervisor or reference.
#[derive(SimpleObject)]
pub struct EntitySaved {
    /// `category`, `tag`, `supervisor` or `reference`.
    kind: String,
    /// Its slug, or a reference's key.
    key: String,
    /// Whether it was created rather than replaced.
    created: bool,
}

/// Saves the one entity of `bundle` in one transaction, with its audit
/// entry and change-log row.
/// Whether `err` is a unique constraint meeting a concurrent insert.
fn taken(err: &sea_orm::DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// The row of `E` whose `column` is `value`, locked for the transaction on
/// PostgreSQL (SQLite's writing transaction already excludes other writers),
/// so two replacements of one entry run one after the other.
async fn locked<E: sea_orm::EntityTrait>(
    txn: &sea_orm::DatabaseTransaction,
    column: E::Column,
    value: &str,
) -> Result<Option<E::Model>> {
    use sea_orm::{ConnectionTrait, QuerySelect};
    let mut find = E::find().filter(column.eq(value));
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        find = find.lock_exclusive();
    }
    Ok(find.one(txn).await?)
}

/// Saves the one entry `input` holds, read as a `T` and placed in a bundle
/// by `place`, in one transaction with its audit entry (what changed,
/// before and after) and change-log row.
///
/// What a sign-off rests on changes only by an ADMIN, with a reason:
/// whether a category needs a physician's sign-off (creating a category
/// that does not, or changing the flag), turning a category's self-pay
/// flag off (the advertising lint's disclosures hang on it), who a
/// physician is (name, title, qualifications, career: see
/// [`crate::editorial::profiles`]), and a cited work (claims cite it by id and keep
/// their sign-offs).
async fn save_entity<T: DeserializeOwned>(
    ctx: &Context<'_>,
    what: &str,
    input: SaveEntityInput,
    place: impl FnOnce(T) -> Bundle,
) -> Result<EntitySaved> {
    use crate::content::export;
    use entity::{category, reference, supervisor, tag};
    let key = require_role(ctx, &EDITING, what)?;
    let bundle = place(parse("document", input.document.0)?);
    let admin = matches!(key, Principal::Key { role: Role::Admin, .. });
    let reason = input.reason.filter(|r| !r.trim().is_empty());
    let txn = crate::store::db::begin_write(db(ctx)?).await?;
    // Locked first, so two replacements of one entry run one after the
    // other and each compares with what the other left.
    let mut admin_only: Option<&str> = None;
    let mut profile: Option<(
        supervisor::Model,
        crate::content::SupervisorDoc,
        crate::content::SupervisorDoc,
    )> = None;
    let (before, after): (Option<Value>, Value) = if let Some(doc) = bundle.references.first() {
        locked::<reference::Entity>(&txn, reference::Column::Key, &doc.key).await?;
        let old = export::reference_document(&txn, &doc.key).await?;
        if old.is_some() {
            admin_only = Some("replacing a reference changes what reviewed claims cite");
        }
        (old.map(to_json).transpose()?, to_json(doc)?)
    } else if let Some(doc) = bundle.categories.first() {
        locked::<category::Entity>(&txn, category::Column::Slug, &doc.slug).await?;
        let old = export::category_document(&txn, &doc.slug).await?;
        match &old {
            None if !doc.medical => {
                admin_only = Some("a category whose articles publish without a physician's sign-off");
            }
            Some(old) if old.medical != doc.medical => {
                admin_only = Some("whether a category needs a physician's sign-off");
            }
            Some(old) if old.self_pay && !doc.self_pay => {
                admin_only = Some("turning off a category's self-pay flag (what its articles must disclose)");
            }
            _ => {}
        }
        (old.map(to_json).transpose()?, to_json(doc)?)
    } else if let Some(doc) = bundle.supervisors.first() {
        locked::<supervisor::Entity>(&txn, supervisor::Column::Slug, &doc.slug).await?;
        let old = export::supervisor_document(&txn, &doc.slug).await?;
        if let Some((row, old)) = &old
            && crate::editorial::profiles::identity_changed(old, doc)
        {
            admin_only =
                Some("who a physician is (name, title, qualifications, career, affiliation, biography, photo)");
            profile = Some((row.clone(), old.clone(), doc.clone()));
        }
        (old.map(|(_, d)| to_json(d)).transpose()?, to_json(doc)?)
    } else if let Some(doc) = bundle.tags.first() {
        locked::<tag::Entity>(&txn, tag::Column::Slug, &doc.slug).await?;
        let old = export::tag_document(&txn, &doc.slug).await?;
        (old.map(to_json).transpose()?, to_json(doc)?)
    } else {
        (None, Value::Null)
    };
    if let Some(act) = admin_only {
        if !admin {
            return Err(Error::Forbidden(format!("{act}: changed with an ADMIN key only")));
        }
        if reason.is_none() {
            return Err(Error::bad_input(format!(
                "{act} changes only with a `reason`, kept in the audit trail"
            )));
        }
    }
    // Two creations of one key at once: the second meets the first only
    // at its insert, as a unique violation.
    let saved = match crate::content::import::save_entity(&txn, bundle).await {
        Err(crate::content::import::ImportError::Database(err)) if taken(&err) => {
            return Err(Error::bad_input(
                "another entry with this slug, key, DOI or PMID was saved at the same time; reload and try again",
            ));
        }
        other => other?,
    };
    let who = crate::editorial::audit::Actor::Key(&key).who().1;
    let mut detail = crate::content::diff::describe(before.as_ref(), &after);
    if let Some((row, before, doc)) = &profile {
        let number = crate::editorial::profiles::next(&txn, row, before, doc, &who).await?;
        detail = format!("profile revision {number}, not yet confirmed by the physician; {detail}");
    }
    if let Some(reason) = &reason {
        detail = format!("{detail}; reason: {reason}");
    }
    // A physician an editor adds has confirmed nothing of what the profile
    // says until their own key does.
    if saved.created && saved.kind == "supervisor" {
        supervisor::Entity::update_many()
            .col_expr(
                supervisor::Column::ConfirmedProfileRevision,
                sea_orm::sea_query::Expr::value(0),
            )
            .filter(supervisor::Column::Slug.eq(saved.key.as_str()))
            .exec(&txn)
            .await?;
    }
    crate::editorial::audit::record(
        &txn,
        crate::editorial::audit::Actor::Key(&key),
        if saved.created { "CREATE" } else { "REPLACE" },
        &format!("{}:{}", saved.kind, saved.key),
        &detail,
    )
    .await?;
    crate::store::write::commit(
        txn,
        crate::store::changes::Kind::Edit,
        &saved.touched,
        super::followers(ctx)?,
    )
    .await?;
    Ok(EntitySaved {
        kind: saved.kind.to_owned(),
        key: saved.key,
        created: saved.created,
    })
}

/// A content document as JSON, for comparing and recording.
fn to_json<T: serde::Serialize>(doc: T) -> Result<Value> {
    serde_json::to_value(doc).map_err(|err| Error::Internal(format!("document does not serialize: {err}")))
}

#[Object]
impl EntityMutation {
    /// Creates a bibliographic reference (an EDITOR or ADMIN key), or
    /// replaces one (an ADMIN key: claims citing it keep citing it, and
    /// keep their sign-offs).
    async fn save_reference(&self, ctx: &Context<'_>, input: SaveEntityInput) -> Result<EntitySaved> {
        save_entity(ctx, "saveReference", input, |doc| Bundle {
            references: vec![doc],
            ..Bundle::default()
        })
        .await
    }

    /// Creates or replaces a supervisor's profile with qualifications and
    /// career. Needs an EDITOR or ADMIN key.
    async fn save_supervisor(&self, ctx: &Context<'_>, input: SaveEntityInput) -> Result<EntitySaved> {
        save_entity(ctx, "saveSupervisor", input, |doc| Bundle {
            supervisors: vec![doc],
            ..Bundle::default()
        })
        .await
    }

    /// Creates or replaces a category. Needs an EDITOR or ADMIN key; an
    /// ADMIN key to change whether it is medical.
    async fn save_category(&self, ctx: &Context<'_>, input: SaveEntityInput) -> Result<EntitySaved> {
        save_entity(ctx, "saveCategory", input, |doc| Bundle {
            categories: vec![doc],
            ..Bundle::default()
        })
        .await
    }

    /// Creates or replaces a tag. Needs an EDITOR or ADMIN key.
    async fn save_tag(&self, ctx: &Context<'_>, input: SaveEntityInput) -> Result<EntitySaved> {
        save_entity(ctx, "saveTag", input, |doc| Bundle {
            tags: vec![doc],
            ..Bundle::default()
        })
        .await
    }
}

/// Mutations of categories, tags, supervisors and references.
#[derive(Default)]
pub struct EntityMutation;

/// The revision history of articles, for every key.
#[derive(Default)]
pub struct RevisionQuery;

/// One kept revision.
#[derive(SimpleObject)]
pub struct RevisionInfo {
    /// Its number.
    number: i32,
    /// The revision the edit started from; null for the first.
    base_revision: Option<i32>,
    /// When it was saved.
    saved_at: DateTime<Utc>,
    /// The key that saved it (its name), or `import`.
    saved_by: String,
    /// What the editor said it changed.
    note: Option<String>,
}

/// One difference between two revisions.
#[derive(SimpleObject)]
pub struct RevisionChange {
    /// Where, in the document (`sections[what-is].heading.en`; sections are
    /// named by anchor).
    path: String,
    /// The value before; null where it was added.
    before: Option<Json<Value>>,
    /// The value after; null where it was removed.
    after: Option<Json<Value>>,
}

/// An article's revisions.
#[derive(SimpleObject)]
pub struct RevisionHistory {
    /// The newest revision: edits name it as `baseRevision`.
    head_revision: i32,
    /// The revision readers are shown.
    live_revision: i32,
    /// Kept revisions, newest first. An article imported and not edited
    /// since has none kept until its first edit.
    revisions: Vec<RevisionInfo>,
}

/// The stored revision `number` of `slug`, or the newest when it has none kept.
pub(super) async fn revision_of(ctx: &Context<'_>, slug: &str, number: i32) -> Result<Snapshot> {
    let db = db(ctx)?;
    let found = readable(ctx, slug).await?;
    if let Some(kept) = revisions::stored(db, &found, number).await? {
        return Ok(kept);
    }
    if number == found.head_revision {
        return revisions::head(db, &found).await;
    }
    Err(Error::bad_input(format!("`{slug}` has no kept revision {number}")))
}

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// The article `slug`, if the request's key may read its drafts. A key
/// limited to another article is told only that, whether or not `slug`
/// exists.
pub(super) async fn readable(ctx: &Context<'_>, slug: &str) -> Result<entity::article::Model> {
    let found = entity::article::Entity::find()
        .filter(entity::article::Column::Slug.eq(slug))
        .filter(entity::article::Column::DraftOf.is_null())
        .one(db(ctx)?)
        .await?;
    let audience = super::audience(ctx);
    match found {
        Some(found) if audience.covers(found.id) => Ok(found),
        _ if matches!(audience, crate::delivery::visibility::Audience::Article(_)) => {
            Err(Error::Forbidden("this key previews one other article only".into()))
        }
        Some(_) => Err(Error::Forbidden("this key cannot read drafts".into())),
        None => Err(Error::bad_input(format!("no article `{slug}`"))),
    }
}

#[Object]
impl RevisionQuery {
    /// The revision history of an article. Needs a key (any role).
    async fn article_revisions(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 200))] slug: String,
    ) -> Result<RevisionHistory> {
        require_role(ctx, &ANY, "articleRevisions")?;
        let db = db(ctx)?;
        let found = readable(ctx, &slug).await?;
        let revisions = revisions::list(db, &found)
            .await?
            .into_iter()
            .map(|r| RevisionInfo {
                number: r.number,
                base_revision: r.base_revision,
                saved_at: r.saved_at,
                saved_by: r.saved_by,
                note: r.note,
            })
            .collect();
        Ok(RevisionHistory {
            head_revision: found.head_revision,
            live_revision: found.revision,
            revisions,
        })
    }

    /// One revision of an article as a content document (JSON), the form
    /// `saveArticle` takes. Needs a key (any role).
    async fn article_revision(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 200))] slug: String,
        number: i32,
    ) -> Result<Json<Value>> {
        require_role(ctx, &ANY, "articleRevision")?;
        let snapshot = revision_of(ctx, &slug, number).await?;
        serde_json::to_value(snapshot.article)
            .map(Json)
            .map_err(|err| Error::Internal(format!("revision does not serialize: {err}")))
    }

    /// What changed from revision `from` to revision `to` of an article.
    /// Needs a key (any role).
    async fn article_revision_diff(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 200))] slug: String,
        from: i32,
        to: i32,
    ) -> Result<Vec<RevisionChange>> {
        require_role(ctx, &ANY, "articleRevisionDiff")?;
        let a = revision_of(ctx, &slug, from).await?;
        let b = revision_of(ctx, &slug, to).await?;
        let value = |doc: ArticleDoc| {
            let mut v = serde_json::to_value(doc).unwrap_or(Value::Null);
            // The number and the time of a save are not what it changed.
            if let Some(o) = v.as_object_mut() {
                o.remove("revision");
                o.remove("updated_at");
            }
            v
        };
        Ok(crate::content::diff::changes(&value(a.article), &value(b.article))
            .into_iter()
            .map(|c| RevisionChange {
                path: c.path,
                before: c.before.map(Json),
                after: c.after.map(Json),
            })
            .collect())
    }
}

/// Every role a key can have.
const ANY: [Role; 5] = [
    Role::Preview,
    Role::Editor,
    Role::Translator,
    Role::Supervisor,
    Role::Admin,
];
