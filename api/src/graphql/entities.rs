//! `saveCategory`, `saveTag`, `saveSupervisor`, `saveReference`: one entry
//! created or replaced in place, by the rules of `editorial::entities`.

use async_graphql::{Context, InputObject, Json, Object, SimpleObject};
use entity::enums::Role;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::editing::parse;
use super::{require_role, writer};
use crate::content::Bundle;
use crate::error::Result;

/// Roles that save entries.
const EDITING: [Role; 2] = [Role::Editor, Role::Admin];

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
/// Reads the entry `input` holds as a `T`, places it in a bundle with
/// `place`, and saves it as a key allowed `what`.
async fn save_entity<T: DeserializeOwned>(
    ctx: &Context<'_>,
    what: &str,
    input: SaveEntityInput,
    place: impl FnOnce(T) -> Bundle,
) -> Result<EntitySaved> {
    let key = require_role(ctx, &EDITING, what)?;
    let bundle = place(parse("document", input.document.0)?);
    let saved = crate::editorial::entities::save(&writer(ctx, &key)?, bundle, input.reason).await?;
    Ok(EntitySaved {
        kind: saved.kind.to_owned(),
        key: saved.key,
        created: saved.created,
    })
}

#[Object]
impl EntityMutation {
    /// Creates a bibliographic reference (an EDITOR or ADMIN key), or
    /// replaces one (an ADMIN key: claims citing it keep citing it, and
    /// keep their sign-offs).
    async fn save_reference(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The document to save in place, and the reason when the change needs one.")]
        input: SaveEntityInput,
    ) -> Result<EntitySaved> {
        save_entity(ctx, "saveReference", input, |doc| Bundle {
            references: vec![doc],
            ..Bundle::default()
        })
        .await
    }

    /// Creates or replaces a supervisor's profile with qualifications and
    /// career. Needs an EDITOR or ADMIN key.
    async fn save_supervisor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The document to save in place, and the reason when the change needs one.")]
        input: SaveEntityInput,
    ) -> Result<EntitySaved> {
        save_entity(ctx, "saveSupervisor", input, |doc| Bundle {
            supervisors: vec![doc],
            ..Bundle::default()
        })
        .await
    }

    /// Creates or replaces a category. Needs an EDITOR or ADMIN key; an
    /// ADMIN key to change whether it is medical.
    async fn save_category(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The document to save in place, and the reason when the change needs one.")]
        input: SaveEntityInput,
    ) -> Result<EntitySaved> {
        save_entity(ctx, "saveCategory", input, |doc| Bundle {
            categories: vec![doc],
            ..Bundle::default()
        })
        .await
    }

    /// Creates or replaces a tag. Needs an EDITOR or ADMIN key.
    async fn save_tag(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The document to save in place, and the reason when the change needs one.")]
        input: SaveEntityInput,
    ) -> Result<EntitySaved> {
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
