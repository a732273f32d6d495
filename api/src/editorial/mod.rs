//! Write rules: who may do what (keys and roles), the workflow, sign-offs
//! and the profiles they rest on, revisions, the medical-advertising lint,
//! and the audit trail every write leaves.

pub mod audit;
pub mod auth;
pub mod import;
pub mod lint;
pub mod principal;
pub mod profiles;
pub mod revisions;
