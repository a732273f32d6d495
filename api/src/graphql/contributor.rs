//! The `Contributor` object: a person's part in an article, and the
//! revision they signed off.

use async_graphql::{ComplexObject, SimpleObject};
use entity::enums::ContributorRole;

use super::scalars::Timestamp;
use super::supervisor::Supervisor;
use crate::locale::Locale;

/// A person's part in an article and the revision they signed off.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Contributor {
    /// Supervisor, author or reviewer.
    pub(crate) role: ContributorRole,
    /// The person.
    pub(crate) supervisor: Supervisor,
    /// The article revision this person signed off, if any.
    pub(crate) signed_off_revision: Option<i32>,
    /// When they signed it off.
    pub(crate) signed_off_at: Option<Timestamp>,
    /// The locales they reviewed in that revision: their name covers the
    /// text in these locales only. Empty without a sign-off.
    pub(crate) signed_off_locales: Vec<Locale>,
    /// Whether they reviewed the claims too; claims are often written by
    /// editors apart from the reviewed text.
    pub(crate) signed_off_claims: bool,
    /// The revision of their profile (name, title, qualifications, career)
    /// the sign-off was made under; null for a sign-off recorded in an
    /// imported file.
    pub(crate) signed_off_profile_revision: Option<i32>,
    /// False when their profile changed after they last stood behind it
    /// (by signing off or confirming it): the name and qualifications shown
    /// are not yet confirmed by them, and their sign-off covers nothing
    /// until they are.
    pub(crate) profile_confirmed: bool,
    #[graphql(skip)]
    pub(crate) article_revision: i32,
}

#[ComplexObject]
impl Contributor {
    /// True when the sign-off covers the article's current revision.
    async fn signed_off_current_revision(&self) -> bool {
        self.signed_off_revision == Some(self.article_revision)
    }
}
