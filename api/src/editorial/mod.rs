//! Write rules: who may do what (keys and roles), the workflow, sign-offs
//! and the profiles they rest on, revisions, the medical-advertising lint,
//! and the audit trail every write leaves.

pub mod audit;
pub mod auth;
pub mod editing;
pub mod entities;
pub mod import;
pub mod lint;
pub mod media;
pub mod partners;
pub mod principal;
pub mod profiles;
pub mod revisions;
pub mod sign_off;
pub mod webhooks;
pub mod workflow;

use sea_orm::DatabaseConnection;

use crate::editorial::audit::Actor;
use crate::editorial::lint::Rules;
use crate::editorial::principal::Principal;
use crate::store::write::Followers;

/// What every write needs: the database, the lint's rules in force, what a
/// commit wakes in this process, and the key that acts.
pub struct Writer<'a> {
    /// The connection pool.
    pub db: &'a DatabaseConnection,
    /// The medical-advertising lint's rules.
    pub rules: &'a Rules,
    /// What a commit wakes.
    pub followers: &'a Followers,
    /// Who acts.
    pub key: &'a Principal,
}

impl Writer<'_> {
    /// Who acts, for the audit trail.
    pub fn actor(&self) -> Actor<'_> {
        Actor::Key(self.key)
    }
}
