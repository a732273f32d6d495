//! A bibliographic reference; not translated.

use crate::enums::ReferenceKind;
use sea_orm::entity::prelude::*;

/// A reference row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reference")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Stable human key used by content files, e.g. `misev2018`.
    #[sea_orm(unique)]
    pub key: String,
    pub kind: ReferenceKind,
    pub title: String,
    /// Authors as a JSON array of strings in citation form ("Théry C").
    pub authors: Json,
    /// Whether the author list is abbreviated ("et al.").
    pub authors_truncated: bool,
    /// Journal, book or website the work appeared in.
    pub container_title: Option<String>,
    pub publisher: Option<String>,
    pub year: Option<i32>,
    pub volume: Option<String>,
    pub issue: Option<String>,
    pub pages: Option<String>,
    #[sea_orm(unique)]
    pub doi: Option<String>,
    pub pmid: Option<String>,
    pub url: Option<String>,
    pub accessed_on: Option<Date>,
    /// What the work itself is as evidence (a mouse study is PRECLINICAL):
    /// a claim citing it says no more.
    pub evidence_level: Option<crate::enums::EvidenceLevel>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::from_columns!(
    id,
    key,
    kind,
    title,
    authors,
    authors_truncated,
    container_title,
    publisher,
    year,
    volume,
    issue,
    pages,
    doi,
    pmid,
    url,
    accessed_on,
    evidence_level
);
