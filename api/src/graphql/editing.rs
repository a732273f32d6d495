//! Content-editing mutations: every one saves the article's next revision
//! from the revision it names (`baseRevision`; a stale one is `CONFLICT`),
//! by the rules of `editorial::editing`.

use async_graphql::{Context, InputObject, Json, Object, SimpleObject};
use entity::block::Block;
use entity::enums::{Role, Status};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{require_role, writer};
use crate::content::{ArticleDoc, SectionDoc};
use crate::editorial::editing::{self as rules, Change};
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
pub(super) fn parse<T: DeserializeOwned>(what: &str, value: Value) -> Result<T> {
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

impl From<rules::Saved> for RevisionSaved {
    fn from(saved: rules::Saved) -> Self {
        Self {
            slug: saved.slug,
            revision: saved.revision,
            live_revision: saved.live_revision,
            status: saved.status,
            findings: saved.findings,
        }
    }
}

#[Object]
impl EditingMutation {
    /// Creates an article as a DRAFT, revision 1. Needs an EDITOR or ADMIN key.
    async fn create_article(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new article, as one entry of `articles:` in a content document.")]
        input: CreateArticleInput,
    ) -> Result<RevisionSaved> {
        let key = require_role(ctx, &EDITING, "createArticle")?;
        let doc: ArticleDoc = parse("document", input.document.0)?;
        Ok(rules::create(&writer(ctx, &key)?, doc, input.note).await?.into())
    }

    /// Saves a whole new revision of an article. Needs an EDITOR or ADMIN
    /// key, or a TRANSLATOR key for a change to translations only.
    async fn save_article(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The article, the revision the edit starts from, and the whole new document.")]
        input: SaveArticleInput,
    ) -> Result<RevisionSaved> {
        let key = require_role(ctx, &WRITING, "saveArticle")?;
        let doc: ArticleDoc = parse("document", input.document.0)?;
        let change = Change::Whole(doc);
        Ok(rules::edit(
            &writer(ctx, &key)?,
            &input.slug,
            input.base_revision,
            input.note,
            change,
        )
        .await?
        .into())
    }

    /// Changes a section's heading or blocks in one locale. Needs an
    /// EDITOR or ADMIN key, or a TRANSLATOR key outside the source locale.
    async fn edit_section(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The section, by anchor, the revision the edit starts from, and its new text.")]
        input: EditSectionInput,
    ) -> Result<RevisionSaved> {
        let key = require_role(ctx, &WRITING, "editSection")?;
        let blocks: Option<Vec<Block>> = input.blocks.map(|b| parse("blocks", b.0)).transpose()?;
        let change = Change::Section {
            anchor: input.anchor,
            locale: input.locale,
            heading: input.heading,
            blocks,
        };
        Ok(rules::edit(
            &writer(ctx, &key)?,
            &input.slug,
            input.base_revision,
            input.note,
            change,
        )
        .await?
        .into())
    }

    /// Adds a section. Needs an EDITOR or ADMIN key.
    async fn add_section(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Where the new section goes, the revision the edit starts from, and its text.")]
        input: AddSectionInput,
    ) -> Result<RevisionSaved> {
        let key = require_role(ctx, &EDITING, "addSection")?;
        let section: SectionDoc = parse("section", input.section.0)?;
        let change = Change::AddSection {
            parent: input.parent,
            position: input.position,
            section,
        };
        Ok(rules::edit(
            &writer(ctx, &key)?,
            &input.slug,
            input.base_revision,
            input.note,
            change,
        )
        .await?
        .into())
    }

    /// Moves a section (with its subsections) under another parent or to
    /// another place among its siblings. Needs an EDITOR or ADMIN key.
    async fn move_section(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The section, by anchor, the revision the edit starts from, and its new place.")]
        input: MoveSectionInput,
    ) -> Result<RevisionSaved> {
        let key = require_role(ctx, &EDITING, "moveSection")?;
        let change = Change::MoveSection {
            anchor: input.anchor,
            parent: input.parent,
            position: input.position,
        };
        Ok(rules::edit(
            &writer(ctx, &key)?,
            &input.slug,
            input.base_revision,
            input.note,
            change,
        )
        .await?
        .into())
    }

    /// Deletes a section with its subsections and claims. Needs an EDITOR
    /// or ADMIN key.
    async fn delete_section(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The section, by anchor, and the revision the edit starts from.")] input: DeleteSectionInput,
    ) -> Result<RevisionSaved> {
        let key = require_role(ctx, &EDITING, "deleteSection")?;
        let change = Change::DeleteSection { anchor: input.anchor };
        Ok(rules::edit(
            &writer(ctx, &key)?,
            &input.slug,
            input.base_revision,
            input.note,
            change,
        )
        .await?
        .into())
    }

    /// Sets the title, lead and other article-level text of one locale,
    /// creating the translation (as a DRAFT) when missing. Needs an EDITOR
    /// or ADMIN key, or a TRANSLATOR key outside the source locale.
    async fn edit_translation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The article, the locale, the revision the edit starts from, and the translated texts.")]
        input: EditTranslationInput,
    ) -> Result<RevisionSaved> {
        let key = require_role(ctx, &WRITING, "editTranslation")?;
        let intro: Option<Vec<Block>> = input.intro.map(|b| parse("intro", b.0)).transpose()?;
        let change = Change::Translation {
            locale: input.locale,
            title: input.title,
            lead: input.lead,
            intro,
            seo_title: input.seo_title,
            seo_description: input.seo_description,
        };
        Ok(rules::edit(
            &writer(ctx, &key)?,
            &input.slug,
            input.base_revision,
            input.note,
            change,
        )
        .await?
        .into())
    }

    /// Saves the content of an older revision as the newest one. Needs an
    /// EDITOR or ADMIN key.
    async fn restore_revision(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The article, the revision to restore, and the revision the edit starts from.")]
        input: RestoreRevisionInput,
    ) -> Result<RevisionSaved> {
        let key = require_role(ctx, &EDITING, "restoreRevision")?;
        let w = writer(ctx, &key)?;
        Ok(
            rules::restore(&w, &input.slug, input.base_revision, input.number, input.note)
                .await?
                .into(),
        )
    }
}
