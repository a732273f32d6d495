//! The revision history of articles, for every key: the list, one
//! revision whole, and what changed between two.

use async_graphql::{Context, Json, Object, SimpleObject};
use entity::enums::Role;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use super::scalars::Timestamp;
use super::{db, require_role};
use crate::content::ArticleDoc;
use crate::editorial::revisions::{self, Snapshot};
use crate::error::{Error, Result};

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
    saved_at: Timestamp,
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
        _ if matches!(audience, crate::delivery::visibility::Audience::Partner(_)) => {
            Err(Error::NotFound(format!("no article `{slug}`")))
        }
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
        #[graphql(desc = "The article's URL slug.", validator(max_length = 200))] slug: String,
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
                saved_at: Timestamp(r.saved_at),
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
        #[graphql(desc = "The article's URL slug.", validator(max_length = 200))] slug: String,
        #[graphql(desc = "The revision's number, from 1.")] number: i32,
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
        #[graphql(desc = "The article's URL slug.", validator(max_length = 200))] slug: String,
        #[graphql(desc = "The revision the changes start from.")] from: i32,
        #[graphql(desc = "The revision the changes lead to.")] to: i32,
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
