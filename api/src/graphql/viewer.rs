//! `viewer`: who the request is, so a client can check its key.

use async_graphql::{Context, Object};
use entity::enums::Role;

use crate::editorial::auth::Principal;

/// The root field `viewer`.
#[derive(Default)]
pub struct ViewerQuery;

/// Who sent the request.
pub struct Viewer(Principal);

#[Object]
impl ViewerQuery {
    /// Who sent this request: the public (no key) or a key's role and name.
    async fn viewer(&self, ctx: &Context<'_>) -> Viewer {
        Viewer(ctx.data_opt::<Principal>().cloned().unwrap_or(Principal::Public))
    }
}

/// Who sent the request: the public, or a key with its role and name.
#[Object]
impl Viewer {
    /// The key's role; null for the public.
    async fn role(&self) -> Option<Role> {
        self.0.role()
    }

    /// The key's name; null for the public.
    async fn key_name(&self) -> Option<&str> {
        match &self.0 {
            Principal::Public => None,
            Principal::Key { name, .. } => Some(name),
        }
    }
}
