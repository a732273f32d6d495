//! The entities an answer shows, collected while it is resolved: they
//! become the answer's surrogate keys (`Surrogate-Key`, `Cache-Tag`) and
//! the keys its cached copy is invalidated by.
//!
//! Keys are the change log's (`article:…`, `supervisor:…`), plus one per
//! collection (`articles`, `categories`, `tags`, `supervisors`) for answers
//! that list, search or miss: a new article changes every list it could be
//! on, and `article(slug:)` answering `null` changes when one is imported.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_graphql::Context;
use uuid::Uuid;

use crate::store::changes::entity_key;

/// The keys one request's answer carries.
#[derive(Debug, Default)]
pub struct Tags(Mutex<BTreeSet<String>>);

impl Tags {
    /// The keys collected, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// Notes that the answer shows the entity `kind` with `id`.
pub(crate) fn entity(ctx: &Context<'_>, kind: &str, id: Uuid) {
    if let Some(tags) = ctx.data_opt::<Arc<Tags>>()
        && let Ok(mut set) = tags.0.lock()
    {
        set.insert(entity_key(kind, id));
    }
}

/// Notes that the answer depends on which entities of a collection exist.
pub(crate) fn collection(ctx: &Context<'_>, name: &'static str) {
    if let Some(tags) = ctx.data_opt::<Arc<Tags>>()
        && let Ok(mut set) = tags.0.lock()
    {
        set.insert(name.to_owned());
    }
}
