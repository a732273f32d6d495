//! Global object ids (Relay object identification): the object's type and
//! UUID, base64url-encoded (`Article:0192…`): opaque to clients, stable
//! across locales, releases and databases holding the same content.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::error::{Error, Result};

/// Most ids one `nodes` call may name.
pub const MAX_NODES: usize = 100;

/// The kinds of object a global id can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// An article.
    Article,
    /// A section.
    Section,
    /// A claim.
    Claim,
    /// A reference.
    Reference,
    /// A supervisor.
    Supervisor,
    /// A category.
    Category,
    /// A tag.
    Tag,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 7] = [
        Kind::Article,
        Kind::Section,
        Kind::Claim,
        Kind::Reference,
        Kind::Supervisor,
        Kind::Category,
        Kind::Tag,
    ];

    /// The collection whose cache keys an object of this kind carries.
    pub fn collection(self) -> &'static str {
        match self {
            Kind::Article | Kind::Section | Kind::Claim => "articles",
            Kind::Reference => "references",
            Kind::Supervisor => "supervisors",
            Kind::Category => "categories",
            Kind::Tag => "tags",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Article => "Article",
            Kind::Section => "Section",
            Kind::Claim => "Claim",
            Kind::Reference => "Reference",
            Kind::Supervisor => "Supervisor",
            Kind::Category => "Category",
            Kind::Tag => "Tag",
        }
    }
}

/// The global id of the object of `kind` with row id `id`.
pub fn global_id(kind: Kind, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", kind.name(), id.simple()))
}

/// The kind and row id a global id names; `BAD_USER_INPUT` when it is not
/// an id this API issued.
pub fn decode(id: &str) -> Result<(Kind, Uuid)> {
    let invalid = || Error::bad_input("`id` is not an id issued by this API");
    if id.len() > 100 {
        return Err(invalid());
    }
    let raw = URL_SAFE_NO_PAD.decode(id.trim()).map_err(|_| invalid())?;
    let raw = std::str::from_utf8(&raw).map_err(|_| invalid())?;
    let (name, uuid) = raw.split_once(':').ok_or_else(invalid)?;
    let kind = Kind::ALL.into_iter().find(|k| k.name() == name).ok_or_else(invalid)?;
    Ok((kind, Uuid::try_parse(uuid).map_err(|_| invalid())?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_reject_anything_else() {
        let id = Uuid::now_v7();
        for kind in Kind::ALL {
            assert_eq!(decode(&global_id(kind, id)).ok(), Some((kind, id)));
        }
        for bad in [
            "",
            "nope",
            &URL_SAFE_NO_PAD.encode("Article:xyz"),
            &URL_SAFE_NO_PAD.encode(format!("Nope:{}", id.simple())),
        ] {
            assert!(decode(bad).is_err(), "{bad}");
        }
        assert!(decode(&id.to_string()).is_err(), "a bare UUID is not a global id");
    }
}
