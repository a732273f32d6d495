//! Numbered revisions of an article, sign-offs per revision, and what each
//! text was translated from.
//!
//! `article.revision` stays the revision the live rows hold (what readers
//! read); `head_revision` is the newest saved one, which edits, sign-offs
//! and workflow steps name. `article_revision` keeps every saved revision
//! whole, as the document it was saved from. `sign_off` keeps every
//! sign-off of every revision, so signing off a draft revision does not
//! overwrite the sign-off readers see on the published one.
//! `source_revision` on an article and a section is the revision in which
//! its source-locale text last changed; on a section's translation, the
//! source revision it was made from.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [Article::HeadRevision, Article::SourceRevision] {
            m.alter_table(
                Table::alter()
                    .table(Article::Table)
                    .add_column(integer(column).default(1))
                    .to_owned(),
            )
            .await?;
        }
        // The preview copy of a published article's unpublished revision:
        // a hidden article row (never visible: no `visible_from`) whose
        // sections delivery reads like any other's.
        m.alter_table(
            Table::alter()
                .table(Article::Table)
                .add_column(uuid_null(Article::DraftOf))
                .to_owned(),
        )
        .await?;
        // A newer revision of a published article set to replace it at a
        // time: the scheduler publishes it then (or at its next start).
        m.alter_table(
            Table::alter()
                .table(Article::Table)
                .add_column(integer_null(Article::ScheduledRevision))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Article::Table)
                .add_column(timestamp_with_time_zone_null(Article::ScheduledAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_article_scheduled_at")
                .table(Article::Table)
                .col(Article::ScheduledAt)
                .to_owned(),
        )
        .await?;
        // A preview copy's slug is the article's plus `~draft`, so the
        // column takes a 200-character slug and the suffix (SQLite does
        // not enforce the length).
        if m.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
            m.get_connection()
                .execute_unprepared("ALTER TABLE article ALTER COLUMN slug TYPE varchar(210)")
                .await?;
        }
        m.create_index(
            Index::create()
                .name("ix_article_draft_of")
                .table(Article::Table)
                .col(Article::DraftOf)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Section::Table)
                .add_column(integer(Section::SourceRevision).default(1))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(SectionTranslation::Table)
                .add_column(integer(SectionTranslation::SourceRevision).default(1))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        // Until now every translation was compared with `revision`, and a
        // section's translation had no record of its own: it was made
        // from what its article's translation was made from.
        db.execute_unprepared("UPDATE article SET head_revision = revision, source_revision = revision")
            .await?;
        db.execute_unprepared(
            "UPDATE section SET source_revision = \
             (SELECT a.revision FROM article a WHERE a.id = section.article_id)",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE section_translation SET source_revision = COALESCE(\
             (SELECT t.source_revision FROM section s \
              JOIN article_translation t ON t.article_id = s.article_id AND t.locale = section_translation.locale \
              WHERE s.id = section_translation.section_id), 1)",
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ArticleRevision::Table)
                .col(uuid(ArticleRevision::ArticleId))
                .col(integer(ArticleRevision::Number))
                .col(integer_null(ArticleRevision::BaseRevision))
                .col(text(ArticleRevision::Document))
                .col(timestamp_with_time_zone(ArticleRevision::SavedAt))
                .col(string_len(ArticleRevision::SavedBy, 120))
                .col(string_len_null(ArticleRevision::Note, 500))
                .primary_key(
                    Index::create()
                        .col(ArticleRevision::ArticleId)
                        .col(ArticleRevision::Number),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ArticleRevision::Table, ArticleRevision::ArticleId)
                        .to(Article::Table, Article::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SignOff::Table)
                .col(uuid(SignOff::ArticleId))
                .col(integer(SignOff::Revision))
                .col(uuid(SignOff::SupervisorId))
                .col(text(SignOff::Locales).default(""))
                .col(boolean(SignOff::Claims).default(false))
                .col(timestamp_with_time_zone_null(SignOff::SignedAt))
                .primary_key(
                    Index::create()
                        .col(SignOff::ArticleId)
                        .col(SignOff::Revision)
                        .col(SignOff::SupervisorId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(SignOff::Table, SignOff::ArticleId)
                        .to(Article::Table, Article::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(SignOff::Table, SignOff::SupervisorId)
                        .to(Supervisor::Table, Supervisor::Id),
                )
                .to_owned(),
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO sign_off (article_id, revision, supervisor_id, locales, claims, signed_at) \
             SELECT article_id, signed_off_revision, supervisor_id, signed_off_locales, signed_off_claims, \
             signed_off_at FROM article_supervisor \
             WHERE role = 'SUPERVISOR' AND signed_off_revision IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SignOff::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(ArticleRevision::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(SectionTranslation::Table)
                .drop_column(SectionTranslation::SourceRevision)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Section::Table)
                .drop_column(Section::SourceRevision)
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared("DELETE FROM article WHERE draft_of IS NOT NULL")
            .await?;
        if m.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
            db.execute_unprepared("ALTER TABLE article ALTER COLUMN slug TYPE varchar(200)")
                .await?;
        }
        m.drop_index(
            Index::drop()
                .name("ix_article_scheduled_at")
                .table(Article::Table)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_article_draft_of")
                .table(Article::Table)
                .to_owned(),
        )
        .await?;
        for column in [
            Article::ScheduledAt,
            Article::ScheduledRevision,
            Article::DraftOf,
            Article::SourceRevision,
            Article::HeadRevision,
        ] {
            m.alter_table(Table::alter().table(Article::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Article {
    Table,
    Id,
    HeadRevision,
    SourceRevision,
    DraftOf,
    ScheduledRevision,
    ScheduledAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Section {
    Table,
    SourceRevision,
}

#[derive(DeriveIden, Clone, Copy)]
enum SectionTranslation {
    Table,
    SourceRevision,
}

#[derive(DeriveIden, Clone, Copy)]
enum Supervisor {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum ArticleRevision {
    Table,
    ArticleId,
    Number,
    BaseRevision,
    Document,
    SavedAt,
    SavedBy,
    Note,
}

#[derive(DeriveIden, Clone, Copy)]
enum SignOff {
    Table,
    ArticleId,
    Revision,
    SupervisorId,
    Locales,
    Claims,
    SignedAt,
}
