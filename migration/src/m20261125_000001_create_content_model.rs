//! The whole content model: categories, articles, sections, claims,
//! references, supervisors, tags, and one translation table per localized
//! entity.
//!
//! Enum columns are plain strings with CHECK constraints rather than native
//! PostgreSQL enum types: the same DDL then runs on SQLite, and adding a value
//! later is a constraint swap instead of an `ALTER TYPE` that cannot run in a
//! transaction. The value lists are spelled out here on purpose, so this
//! migration keeps meaning what it meant when later code changes the enums.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const STATUS: &[&str] = &["DRAFT", "IN_REVIEW", "PUBLISHED", "ARCHIVED"];
const EVIDENCE: &[&str] = &[
    "GUIDELINE",
    "SYSTEMATIC_REVIEW",
    "CLINICAL",
    "PRECLINICAL",
    "EXPERT_OPINION",
    "UNSUPPORTED",
];
const CLAIM_KIND: &[&str] = &["DEFINITION", "MECHANISM", "EFFICACY", "SAFETY", "PRACTICAL"];
const ROLE: &[&str] = &["SUPERVISOR", "AUTHOR", "REVIEWER"];
const QUALIFICATION_KIND: &[&str] = &["BOARD_CERTIFICATION", "MEMBERSHIP", "LICENSE"];
const SECTION_KIND: &[&str] = &["BODY", "FAQ", "SUMMARY"];
const REFERENCE_KIND: &[&str] = &["JOURNAL_ARTICLE", "GUIDELINE", "BOOK", "LEGISLATION", "WEBPAGE"];

/// A string column that only accepts the given values.
fn enum_col<T: IntoIden + Clone + 'static>(col: T, values: &[&str]) -> ColumnDef {
    let check = Expr::col(col.clone()).is_in(values.iter().copied());
    string_len(col, 24).check(check).to_owned()
}

/// A foreign key from `from_tbl.from_col` to `to_tbl.id`.
fn fk<A, B, C, D>(from_tbl: A, from_col: B, to_tbl: C, to_col: D, cascade: bool) -> ForeignKeyCreateStatement
where
    A: IntoIden + 'static,
    B: IntoIden + 'static,
    C: IntoIden + 'static,
    D: IntoIden + 'static,
{
    let action = if cascade {
        ForeignKeyAction::Cascade
    } else {
        ForeignKeyAction::Restrict
    };
    ForeignKey::create()
        .from(from_tbl, from_col)
        .to(to_tbl, to_col)
        .on_delete(action)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

/// The `(owner, locale)` primary key every translation table shares.
fn translation_pk<A: IntoIden + Clone + 'static>(owner: A) -> IndexCreateStatement {
    Index::create().col(owner).col(Tr::Locale).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Category::Table)
                .col(pk_uuid(Category::Id))
                .col(string_len_uniq(Category::Slug, 200))
                .col(integer(Category::Position).default(0))
                .col(string_len(Category::SourceLocale, 35))
                .col(timestamp_with_time_zone(Category::CreatedAt))
                .col(timestamp_with_time_zone(Category::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CategoryTranslation::Table)
                .col(uuid(CategoryTranslation::CategoryId))
                .col(string_len(Tr::Locale, 35))
                .col(string(CategoryTranslation::Name))
                .col(text_null(CategoryTranslation::Description))
                .primary_key(&mut translation_pk(CategoryTranslation::CategoryId))
                .foreign_key(&mut fk(
                    CategoryTranslation::Table,
                    CategoryTranslation::CategoryId,
                    Category::Table,
                    Category::Id,
                    true,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Article::Table)
                .col(pk_uuid(Article::Id))
                .col(string_len_uniq(Article::Slug, 200))
                .col(uuid(Article::CategoryId))
                .col(string_len(Article::SourceLocale, 35))
                .col(enum_col(Article::Status, STATUS))
                .col(integer(Article::Revision).default(1))
                .col(timestamp_with_time_zone_null(Article::PublishedAt))
                .col(timestamp_with_time_zone(Article::CreatedAt))
                .col(timestamp_with_time_zone(Article::UpdatedAt))
                .foreign_key(&mut fk(
                    Article::Table,
                    Article::CategoryId,
                    Category::Table,
                    Category::Id,
                    false,
                ))
                .to_owned(),
        )
        .await?;
        // Keyset pagination walks (status, published_at, id) and (status, updated_at, id).
        m.create_index(
            Index::create()
                .name("ix_article_status_published")
                .table(Article::Table)
                .col(Article::Status)
                .col(Article::PublishedAt)
                .col(Article::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_article_status_updated")
                .table(Article::Table)
                .col(Article::Status)
                .col(Article::UpdatedAt)
                .col(Article::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_article_category")
                .table(Article::Table)
                .col(Article::CategoryId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ArticleTranslation::Table)
                .col(uuid(ArticleTranslation::ArticleId))
                .col(string_len(Tr::Locale, 35))
                .col(text(ArticleTranslation::Title))
                .col(text(ArticleTranslation::Lead))
                .col(json_binary(ArticleTranslation::Intro))
                .col(text_null(ArticleTranslation::SeoTitle))
                .col(text_null(ArticleTranslation::SeoDescription))
                .col(enum_col(ArticleTranslation::Status, STATUS))
                .col(integer(ArticleTranslation::SourceRevision))
                .col(timestamp_with_time_zone(ArticleTranslation::CreatedAt))
                .col(timestamp_with_time_zone(ArticleTranslation::UpdatedAt))
                .primary_key(&mut translation_pk(ArticleTranslation::ArticleId))
                .foreign_key(&mut fk(
                    ArticleTranslation::Table,
                    ArticleTranslation::ArticleId,
                    Article::Table,
                    Article::Id,
                    true,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Section::Table)
                .col(pk_uuid(Section::Id))
                .col(uuid(Section::ArticleId))
                .col(uuid_null(Section::ParentId))
                .col(integer(Section::Position))
                .col(string_len(Section::Anchor, 200))
                .col(integer(Section::Level).check(Expr::col(Section::Level).between(2, 6)))
                .col(enum_col(Section::Kind, SECTION_KIND))
                .foreign_key(&mut fk(
                    Section::Table,
                    Section::ArticleId,
                    Article::Table,
                    Article::Id,
                    true,
                ))
                .foreign_key(&mut fk(
                    Section::Table,
                    Section::ParentId,
                    Section::Table,
                    Section::Id,
                    true,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_section_article_anchor")
                .table(Section::Table)
                .col(Section::ArticleId)
                .col(Section::Anchor)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_section_parent")
                .table(Section::Table)
                .col(Section::ParentId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SectionTranslation::Table)
                .col(uuid(SectionTranslation::SectionId))
                .col(string_len(Tr::Locale, 35))
                .col(text(SectionTranslation::Heading))
                .col(json_binary(SectionTranslation::Blocks))
                .primary_key(&mut translation_pk(SectionTranslation::SectionId))
                .foreign_key(&mut fk(
                    SectionTranslation::Table,
                    SectionTranslation::SectionId,
                    Section::Table,
                    Section::Id,
                    true,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Claim::Table)
                .col(pk_uuid(Claim::Id))
                .col(uuid(Claim::SectionId))
                .col(integer(Claim::Position))
                .col(enum_col(Claim::Kind, CLAIM_KIND))
                .col(enum_col(Claim::EvidenceLevel, EVIDENCE))
                .foreign_key(&mut fk(
                    Claim::Table,
                    Claim::SectionId,
                    Section::Table,
                    Section::Id,
                    true,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_claim_section")
                .table(Claim::Table)
                .col(Claim::SectionId)
                .col(Claim::Position)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ClaimTranslation::Table)
                .col(uuid(ClaimTranslation::ClaimId))
                .col(string_len(Tr::Locale, 35))
                .col(text(ClaimTranslation::Text))
                .primary_key(&mut translation_pk(ClaimTranslation::ClaimId))
                .foreign_key(&mut fk(
                    ClaimTranslation::Table,
                    ClaimTranslation::ClaimId,
                    Claim::Table,
                    Claim::Id,
                    true,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Reference::Table)
                .col(pk_uuid(Reference::Id))
                .col(string_len_uniq(Reference::Key, 100))
                .col(enum_col(Reference::Kind, REFERENCE_KIND))
                .col(text(Reference::Title))
                .col(json_binary(Reference::Authors))
                .col(boolean(Reference::AuthorsTruncated).default(false))
                .col(text_null(Reference::ContainerTitle))
                .col(text_null(Reference::Publisher))
                .col(integer_null(Reference::Year))
                .col(string_len_null(Reference::Volume, 50))
                .col(string_len_null(Reference::Issue, 50))
                .col(string_len_null(Reference::Pages, 50))
                .col(string_len_null(Reference::Doi, 200).unique_key())
                .col(string_len_null(Reference::Pmid, 20))
                .col(text_null(Reference::Url))
                .col(date_null(Reference::AccessedOn))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ClaimReference::Table)
                .col(uuid(ClaimReference::ClaimId))
                .col(uuid(ClaimReference::ReferenceId))
                .col(integer(ClaimReference::Position))
                .col(string_len_null(ClaimReference::Locator, 200))
                .primary_key(
                    Index::create()
                        .col(ClaimReference::ClaimId)
                        .col(ClaimReference::ReferenceId),
                )
                .foreign_key(&mut fk(
                    ClaimReference::Table,
                    ClaimReference::ClaimId,
                    Claim::Table,
                    Claim::Id,
                    true,
                ))
                .foreign_key(&mut fk(
                    ClaimReference::Table,
                    ClaimReference::ReferenceId,
                    Reference::Table,
                    Reference::Id,
                    false,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_claim_reference_reference")
                .table(ClaimReference::Table)
                .col(ClaimReference::ReferenceId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Supervisor::Table)
                .col(pk_uuid(Supervisor::Id))
                .col(string_len_uniq(Supervisor::Slug, 200))
                .col(text_null(Supervisor::PhotoUrl))
                .col(string_len(Supervisor::SourceLocale, 35))
                .col(timestamp_with_time_zone(Supervisor::CreatedAt))
                .col(timestamp_with_time_zone(Supervisor::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SupervisorTranslation::Table)
                .col(uuid(SupervisorTranslation::SupervisorId))
                .col(string_len(Tr::Locale, 35))
                .col(string(SupervisorTranslation::Name))
                .col(string_null(SupervisorTranslation::NameReading))
                .col(string_null(SupervisorTranslation::Title))
                .col(string_null(SupervisorTranslation::Affiliation))
                .col(text_null(SupervisorTranslation::Bio))
                .primary_key(&mut translation_pk(SupervisorTranslation::SupervisorId))
                .foreign_key(&mut fk(
                    SupervisorTranslation::Table,
                    SupervisorTranslation::SupervisorId,
                    Supervisor::Table,
                    Supervisor::Id,
                    true,
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Qualification::Table)
                .col(pk_uuid(Qualification::Id))
                .col(uuid(Qualification::SupervisorId))
                .col(integer(Qualification::Position))
                .col(enum_col(Qualification::Kind, QUALIFICATION_KIND))
                .foreign_key(&mut fk(
                    Qualification::Table,
                    Qualification::SupervisorId,
                    Supervisor::Table,
                    Supervisor::Id,
                    true,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_qualification_supervisor")
                .table(Qualification::Table)
                .col(Qualification::SupervisorId)
                .col(Qualification::Position)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(QualificationTranslation::Table)
                .col(uuid(QualificationTranslation::QualificationId))
                .col(string_len(Tr::Locale, 35))
                .col(text(QualificationTranslation::Name))
                .primary_key(&mut translation_pk(QualificationTranslation::QualificationId))
                .foreign_key(&mut fk(
                    QualificationTranslation::Table,
                    QualificationTranslation::QualificationId,
                    Qualification::Table,
                    Qualification::Id,
                    true,
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CareerEntry::Table)
                .col(pk_uuid(CareerEntry::Id))
                .col(uuid(CareerEntry::SupervisorId))
                .col(integer(CareerEntry::Position))
                .col(string_len_null(CareerEntry::Started, 10))
                .col(string_len_null(CareerEntry::Ended, 10))
                .foreign_key(&mut fk(
                    CareerEntry::Table,
                    CareerEntry::SupervisorId,
                    Supervisor::Table,
                    Supervisor::Id,
                    true,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_career_entry_supervisor")
                .table(CareerEntry::Table)
                .col(CareerEntry::SupervisorId)
                .col(CareerEntry::Position)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CareerEntryTranslation::Table)
                .col(uuid(CareerEntryTranslation::CareerEntryId))
                .col(string_len(Tr::Locale, 35))
                .col(text(CareerEntryTranslation::Text))
                .col(text_null(CareerEntryTranslation::Organization))
                .col(text_null(CareerEntryTranslation::Role))
                .primary_key(&mut translation_pk(CareerEntryTranslation::CareerEntryId))
                .foreign_key(&mut fk(
                    CareerEntryTranslation::Table,
                    CareerEntryTranslation::CareerEntryId,
                    CareerEntry::Table,
                    CareerEntry::Id,
                    true,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ArticleSupervisor::Table)
                .col(uuid(ArticleSupervisor::ArticleId))
                .col(uuid(ArticleSupervisor::SupervisorId))
                .col(enum_col(ArticleSupervisor::Role, ROLE))
                .col(integer(ArticleSupervisor::Position))
                .col(integer_null(ArticleSupervisor::SignedOffRevision))
                .col(timestamp_with_time_zone_null(ArticleSupervisor::SignedOffAt))
                .primary_key(
                    Index::create()
                        .col(ArticleSupervisor::ArticleId)
                        .col(ArticleSupervisor::SupervisorId)
                        .col(ArticleSupervisor::Role),
                )
                .foreign_key(&mut fk(
                    ArticleSupervisor::Table,
                    ArticleSupervisor::ArticleId,
                    Article::Table,
                    Article::Id,
                    true,
                ))
                .foreign_key(&mut fk(
                    ArticleSupervisor::Table,
                    ArticleSupervisor::SupervisorId,
                    Supervisor::Table,
                    Supervisor::Id,
                    false,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_article_supervisor_supervisor")
                .table(ArticleSupervisor::Table)
                .col(ArticleSupervisor::SupervisorId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Tag::Table)
                .col(pk_uuid(Tag::Id))
                .col(string_len_uniq(Tag::Slug, 200))
                .col(string_len(Tag::SourceLocale, 35))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TagTranslation::Table)
                .col(uuid(TagTranslation::TagId))
                .col(string_len(Tr::Locale, 35))
                .col(string(TagTranslation::Name))
                .primary_key(&mut translation_pk(TagTranslation::TagId))
                .foreign_key(&mut fk(
                    TagTranslation::Table,
                    TagTranslation::TagId,
                    Tag::Table,
                    Tag::Id,
                    true,
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ArticleTag::Table)
                .col(uuid(ArticleTag::ArticleId))
                .col(uuid(ArticleTag::TagId))
                .col(integer(ArticleTag::Position))
                .primary_key(Index::create().col(ArticleTag::ArticleId).col(ArticleTag::TagId))
                .foreign_key(&mut fk(
                    ArticleTag::Table,
                    ArticleTag::ArticleId,
                    Article::Table,
                    Article::Id,
                    true,
                ))
                .foreign_key(&mut fk(ArticleTag::Table, ArticleTag::TagId, Tag::Table, Tag::Id, true))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_article_tag_tag")
                .table(ArticleTag::Table)
                .col(ArticleTag::TagId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Children before parents, so foreign keys never block a drop.
        let tables: [DynIden; 20] = [
            ArticleTag::Table.into_iden(),
            TagTranslation::Table.into_iden(),
            Tag::Table.into_iden(),
            ArticleSupervisor::Table.into_iden(),
            CareerEntryTranslation::Table.into_iden(),
            CareerEntry::Table.into_iden(),
            QualificationTranslation::Table.into_iden(),
            Qualification::Table.into_iden(),
            SupervisorTranslation::Table.into_iden(),
            Supervisor::Table.into_iden(),
            ClaimReference::Table.into_iden(),
            Reference::Table.into_iden(),
            ClaimTranslation::Table.into_iden(),
            Claim::Table.into_iden(),
            SectionTranslation::Table.into_iden(),
            Section::Table.into_iden(),
            ArticleTranslation::Table.into_iden(),
            Article::Table.into_iden(),
            CategoryTranslation::Table.into_iden(),
            Category::Table.into_iden(),
        ];
        for table in tables {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

/// The column every translation table has.
#[derive(DeriveIden, Clone, Copy)]
enum Tr {
    Locale,
}

#[derive(DeriveIden, Clone, Copy)]
enum Category {
    Table,
    Id,
    Slug,
    Position,
    SourceLocale,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CategoryTranslation {
    Table,
    CategoryId,
    Name,
    Description,
}

#[derive(DeriveIden, Clone, Copy)]
enum Article {
    Table,
    Id,
    Slug,
    CategoryId,
    SourceLocale,
    Status,
    Revision,
    PublishedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ArticleTranslation {
    Table,
    ArticleId,
    Title,
    Lead,
    Intro,
    SeoTitle,
    SeoDescription,
    Status,
    SourceRevision,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Section {
    Table,
    Id,
    ArticleId,
    ParentId,
    Position,
    Anchor,
    Level,
    Kind,
}

#[derive(DeriveIden, Clone, Copy)]
enum SectionTranslation {
    Table,
    SectionId,
    Heading,
    Blocks,
}

#[derive(DeriveIden, Clone, Copy)]
enum Claim {
    Table,
    Id,
    SectionId,
    Position,
    Kind,
    EvidenceLevel,
}

#[derive(DeriveIden, Clone, Copy)]
enum ClaimTranslation {
    Table,
    ClaimId,
    Text,
}

#[derive(DeriveIden, Clone, Copy)]
enum Reference {
    Table,
    Id,
    Key,
    Kind,
    Title,
    Authors,
    AuthorsTruncated,
    ContainerTitle,
    Publisher,
    Year,
    Volume,
    Issue,
    Pages,
    Doi,
    Pmid,
    Url,
    AccessedOn,
}

#[derive(DeriveIden, Clone, Copy)]
enum ClaimReference {
    Table,
    ClaimId,
    ReferenceId,
    Position,
    Locator,
}

#[derive(DeriveIden, Clone, Copy)]
enum Supervisor {
    Table,
    Id,
    Slug,
    PhotoUrl,
    SourceLocale,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SupervisorTranslation {
    Table,
    SupervisorId,
    Name,
    NameReading,
    Title,
    Affiliation,
    Bio,
}

#[derive(DeriveIden, Clone, Copy)]
enum Qualification {
    Table,
    Id,
    SupervisorId,
    Position,
    Kind,
}

#[derive(DeriveIden, Clone, Copy)]
enum QualificationTranslation {
    Table,
    QualificationId,
    Name,
}

#[derive(DeriveIden, Clone, Copy)]
enum CareerEntry {
    Table,
    Id,
    SupervisorId,
    Position,
    Started,
    Ended,
}

#[derive(DeriveIden, Clone, Copy)]
enum CareerEntryTranslation {
    Table,
    CareerEntryId,
    Text,
    Organization,
    Role,
}

#[derive(DeriveIden, Clone, Copy)]
enum ArticleSupervisor {
    Table,
    ArticleId,
    SupervisorId,
    Role,
    Position,
    SignedOffRevision,
    SignedOffAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Tag {
    Table,
    Id,
    Slug,
    SourceLocale,
}

#[derive(DeriveIden, Clone, Copy)]
enum TagTranslation {
    Table,
    TagId,
    Name,
}

#[derive(DeriveIden, Clone, Copy)]
enum ArticleTag {
    Table,
    ArticleId,
    TagId,
    Position,
}
