//! Database migrations of Kiji, the only place that creates or changes the
//! schema. The same migrations run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod checks;

mod m20261125_000001_create_content_model;
mod m20261125_000002_public_flags;
mod m20261125_000003_change_log;
mod m20261125_000004_trusted_documents;
mod m20261125_000005_article_visible_from;
mod m20261125_000006_list_indexes_and_counts;
mod m20261125_000007_blocks_as_json_text;
mod m20261126_000008_api_keys;
mod m20261126_000009_evidence_levels;
mod m20261126_000010_sign_off_scope;
mod m20261126_000011_supervisor_keys;
mod m20261126_000012_audit;
mod m20261126_000013_workflow;
mod m20261126_000015_revisions;
mod m20261126_000016_article_preview_keys;
mod m20261206_000017_trust;
mod m20261206_000018_syndication;
mod m20261206_000019_webhooks;
mod m20261206_000020_usage;
mod m20261206_000021_media;
mod m20261206_000022_supervisor_photo;
mod m20261206_000023_feed_tokens;
mod m20261207_000024_article_media;

/// Runs Kiji's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_content_model::Migration),
            Box::new(m20261125_000002_public_flags::Migration),
            Box::new(m20261125_000003_change_log::Migration),
            Box::new(m20261125_000004_trusted_documents::Migration),
            Box::new(m20261125_000005_article_visible_from::Migration),
            Box::new(m20261125_000006_list_indexes_and_counts::Migration),
            Box::new(m20261125_000007_blocks_as_json_text::Migration),
            Box::new(m20261126_000008_api_keys::Migration),
            Box::new(m20261126_000009_evidence_levels::Migration),
            Box::new(m20261126_000010_sign_off_scope::Migration),
            Box::new(m20261126_000011_supervisor_keys::Migration),
            Box::new(m20261126_000012_audit::Migration),
            Box::new(m20261126_000013_workflow::Migration),
            Box::new(m20261126_000015_revisions::Migration),
            Box::new(m20261126_000016_article_preview_keys::Migration),
            Box::new(m20261206_000017_trust::Migration),
            Box::new(m20261206_000018_syndication::Migration),
            Box::new(m20261206_000019_webhooks::Migration),
            Box::new(m20261206_000020_usage::Migration),
            Box::new(m20261206_000021_media::Migration),
            Box::new(m20261206_000022_supervisor_photo::Migration),
            Box::new(m20261206_000023_feed_tokens::Migration),
            Box::new(m20261207_000024_article_media::Migration),
        ]
    }
}
