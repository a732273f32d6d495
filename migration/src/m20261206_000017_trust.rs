//! What a sign-off rests on, made explicit:
//!
//! - a physician's profile is revisioned (`supervisor.profile_revision`,
//!   every revision kept whole in `supervisor_profile`); a sign-off records
//!   the profile revision it was made under, and
//!   `confirmed_profile_revision` is the newest one the physician's own key
//!   stood behind (by signing off, or with `confirmProfile`), so a later
//!   change of name or qualifications shows as not yet confirmed;
//! - a category can be marked self-pay (自由診療), which the
//!   medical-advertising lint reads;
//! - a reference says what it is as evidence (`evidence_level`), so a claim
//!   can be held to say no more than its source;
//! - `lint_override`: an ADMIN's decision, with a reason, to publish one
//!   revision of an article despite the lint's errors.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        m.alter_table(
            Table::alter()
                .table(Category::Table)
                .add_column(boolean(Category::SelfPay).default(false))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Reference::Table)
                .add_column(string_len_null(Reference::EvidenceLevel, 24))
                .to_owned(),
        )
        .await?;
        for column in [Supervisor::ProfileRevision, Supervisor::ConfirmedProfileRevision] {
            m.alter_table(
                Table::alter()
                    .table(Supervisor::Table)
                    .add_column(integer(column).default(1))
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(SignOff::Table)
                .add_column(integer_null(SignOff::ProfileRevision))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ArticleSupervisor::Table)
                .add_column(integer_null(ArticleSupervisor::SignedOffProfileRevision))
                .to_owned(),
        )
        .await?;
        // Sign-offs made before profiles had revisions were made under the
        // only profile there was.
        let db = m.get_connection();
        db.execute_unprepared("UPDATE sign_off SET profile_revision = 1")
            .await?;
        db.execute_unprepared(
            "UPDATE article_supervisor SET signed_off_profile_revision = 1 WHERE signed_off_revision IS NOT NULL",
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SupervisorProfile::Table)
                .col(uuid(SupervisorProfile::SupervisorId))
                .col(integer(SupervisorProfile::Number))
                .col(text(SupervisorProfile::Document))
                .col(timestamp_with_time_zone(SupervisorProfile::SavedAt))
                .col(string_len(SupervisorProfile::SavedBy, 120))
                .primary_key(
                    Index::create()
                        .col(SupervisorProfile::SupervisorId)
                        .col(SupervisorProfile::Number),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(SupervisorProfile::Table, SupervisorProfile::SupervisorId)
                        .to(Supervisor::Table, Supervisor::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LintOverride::Table)
                .col(uuid(LintOverride::ArticleId))
                .col(integer(LintOverride::Revision))
                .col(text(LintOverride::Reason))
                .col(text(LintOverride::Findings))
                .col(timestamp_with_time_zone(LintOverride::At))
                .col(string_len(LintOverride::Actor, 120))
                .primary_key(Index::create().col(LintOverride::ArticleId).col(LintOverride::Revision))
                .foreign_key(
                    ForeignKey::create()
                        .from(LintOverride::Table, LintOverride::ArticleId)
                        .to(Article::Table, Article::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(LintOverride::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(SupervisorProfile::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(ArticleSupervisor::Table)
                .drop_column(ArticleSupervisor::SignedOffProfileRevision)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(SignOff::Table)
                .drop_column(SignOff::ProfileRevision)
                .to_owned(),
        )
        .await?;
        for column in [Supervisor::ConfirmedProfileRevision, Supervisor::ProfileRevision] {
            m.alter_table(Table::alter().table(Supervisor::Table).drop_column(column).to_owned())
                .await?;
        }
        m.alter_table(
            Table::alter()
                .table(Reference::Table)
                .drop_column(Reference::EvidenceLevel)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Category::Table)
                .drop_column(Category::SelfPay)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Category {
    Table,
    SelfPay,
}

#[derive(DeriveIden, Clone, Copy)]
enum Reference {
    Table,
    EvidenceLevel,
}

#[derive(DeriveIden, Clone, Copy)]
enum Supervisor {
    Table,
    Id,
    ProfileRevision,
    ConfirmedProfileRevision,
}

#[derive(DeriveIden, Clone, Copy)]
enum SignOff {
    Table,
    ProfileRevision,
}

#[derive(DeriveIden, Clone, Copy)]
enum ArticleSupervisor {
    Table,
    SignedOffProfileRevision,
}

#[derive(DeriveIden, Clone, Copy)]
enum Article {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum SupervisorProfile {
    Table,
    SupervisorId,
    Number,
    Document,
    SavedAt,
    SavedBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum LintOverride {
    Table,
    ArticleId,
    Revision,
    Reason,
    Findings,
    At,
    Actor,
}
