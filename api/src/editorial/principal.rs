//! Who a request is for: the public, or one API key with its role.

use entity::enums::Role;
use uuid::Uuid;

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No key: published content only.
    Public,
    /// A valid, unrevoked key.
    Key {
        /// The key's id.
        id: Uuid,
        /// The key's name.
        name: String,
        /// What it may do.
        role: Role,
        /// For a SUPERVISOR key, the physician it speaks for.
        supervisor: Option<Uuid>,
        /// For a PREVIEW key limited to one article, that article.
        article: Option<Uuid>,
        /// For a PARTNER key, the partner it reads for.
        partner: Option<Uuid>,
        /// A feed token: good for feed and embed URLs only.
        feed_only: bool,
    },
}

impl Principal {
    /// The role, `None` for the public.
    pub fn role(&self) -> Option<Role> {
        match self {
            Self::Public => None,
            Self::Key { role, .. } => Some(*role),
        }
    }

    /// Whether this is a feed token.
    pub fn feed_only(&self) -> bool {
        matches!(self, Self::Key { feed_only: true, .. })
    }

    /// Whether answers to this principal may be shared with anyone else
    /// (the response cache, a CDN).
    pub fn is_public(&self) -> bool {
        matches!(self, Self::Public)
    }
}
