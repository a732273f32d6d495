//! An article's live rows read back as a content document: the form a
//! revision is kept in, and what `kiji export` writes.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset, Utc};
use entity::{
    article, article_supervisor, article_tag, article_translation, category, claim, claim_reference, claim_translation,
    reference, section, section_translation, supervisor, tag,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{
    ArticleDoc, ArticleText, CareerDoc, CareerText, CategoryDoc, CitationDoc, ClaimDoc, ContributorDoc,
    QualificationDoc, ReferenceDoc, SectionDoc, SupervisorDoc, SupervisorText, TagDoc,
};

/// Per section anchor and locale, the source revision its text was made from.
pub type SectionRevisions = HashMap<String, BTreeMap<String, i32>>;

fn offset(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.fixed_offset()
}

/// Reads the article `found` from its live rows: its document, and when
/// each section's texts were last brought up to date.
pub async fn document<C: ConnectionTrait>(
    db: &C,
    found: &article::Model,
) -> Result<(ArticleDoc, SectionRevisions), DbErr> {
    let category = category::Entity::find_by_id(found.category_id)
        .one(db)
        .await?
        .map(|c| c.slug)
        .unwrap_or_default();
    let translations = article_translation::Entity::find()
        .filter(article_translation::Column::ArticleId.eq(found.id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| {
            (
                t.locale,
                ArticleText {
                    title: t.title,
                    lead: t.lead,
                    intro: t.intro.0,
                    seo_title: t.seo_title,
                    seo_description: t.seo_description,
                    status: t.status,
                    source_revision: t.source_revision,
                },
            )
        })
        .collect();
    let tags: Vec<String> = {
        let links = article_tag::Entity::find()
            .filter(article_tag::Column::ArticleId.eq(found.id))
            .order_by_asc(article_tag::Column::Position)
            .all(db)
            .await?;
        let slugs: HashMap<Uuid, String> = tag::Entity::find()
            .filter(tag::Column::Id.is_in(links.iter().map(|l| l.tag_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.slug))
            .collect();
        links.iter().filter_map(|l| slugs.get(&l.tag_id).cloned()).collect()
    };
    let contributors = {
        let links = article_supervisor::Entity::find()
            .filter(article_supervisor::Column::ArticleId.eq(found.id))
            .order_by_asc(article_supervisor::Column::Position)
            .all(db)
            .await?;
        let slugs: HashMap<Uuid, String> = supervisor::Entity::find()
            .filter(supervisor::Column::Id.is_in(links.iter().map(|l| l.supervisor_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s.slug))
            .collect();
        links
            .iter()
            .filter_map(|l| {
                Some(ContributorDoc {
                    supervisor: slugs.get(&l.supervisor_id)?.clone(),
                    role: l.role,
                    signed_off_revision: l.signed_off_revision,
                    signed_off_at: l.signed_off_at.map(offset),
                    signed_off_locales: l.signed_off_locales().map(str::to_owned).collect(),
                    signed_off_claims: l.signed_off_claims,
                })
            })
            .collect()
    };
    let (sections, revisions) = sections(db, found.id).await?;
    Ok((
        ArticleDoc {
            slug: found.slug.clone(),
            category,
            source_locale: found.source_locale.clone(),
            status: found.status,
            revision: found.revision,
            published_at: found.published_at.map(offset),
            updated_at: Some(offset(found.updated_at)),
            source: None,
            tags,
            contributors,
            translations,
            sections,
            lint_override: None,
        },
        revisions,
    ))
}

/// The section tree of article `article_id` with its claims.
async fn sections<C: ConnectionTrait>(db: &C, article_id: Uuid) -> Result<(Vec<SectionDoc>, SectionRevisions), DbErr> {
    let rows = section::Entity::find()
        .filter(section::Column::ArticleId.eq(article_id))
        .order_by_asc(section::Column::Position)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|s| s.id).collect();
    let mut texts: HashMap<Uuid, Vec<section_translation::Model>> = HashMap::new();
    for t in section_translation::Entity::find()
        .filter(section_translation::Column::SectionId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        texts.entry(t.section_id).or_default().push(t);
    }
    let claims = claim::Entity::find()
        .filter(claim::Column::SectionId.is_in(ids))
        .order_by_asc(claim::Column::Position)
        .all(db)
        .await?;
    let claim_ids: Vec<Uuid> = claims.iter().map(|c| c.id).collect();
    let mut claim_texts: HashMap<Uuid, BTreeMap<String, String>> = HashMap::new();
    for t in claim_translation::Entity::find()
        .filter(claim_translation::Column::ClaimId.is_in(claim_ids.clone()))
        .all(db)
        .await?
    {
        claim_texts.entry(t.claim_id).or_default().insert(t.locale, t.text);
    }
    let citations = claim_reference::Entity::find()
        .filter(claim_reference::Column::ClaimId.is_in(claim_ids))
        .order_by_asc(claim_reference::Column::Position)
        .all(db)
        .await?;
    let keys: HashMap<Uuid, String> = reference::Entity::find()
        .filter(reference::Column::Id.is_in(citations.iter().map(|c| c.reference_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.key))
        .collect();
    let mut cited: HashMap<Uuid, Vec<CitationDoc>> = HashMap::new();
    for c in citations {
        if let Some(key) = keys.get(&c.reference_id) {
            cited.entry(c.claim_id).or_default().push(CitationDoc {
                reference: key.clone(),
                locator: c.locator,
            });
        }
    }
    let mut by_section: HashMap<Uuid, Vec<ClaimDoc>> = HashMap::new();
    for c in claims {
        by_section.entry(c.section_id).or_default().push(ClaimDoc {
            kind: c.kind,
            evidence: c.evidence_level,
            text: claim_texts.remove(&c.id).unwrap_or_default(),
            references: cited.remove(&c.id).unwrap_or_default(),
        });
    }
    let mut revisions = SectionRevisions::new();
    let mut built: HashMap<Uuid, SectionDoc> = HashMap::new();
    for row in &rows {
        let mut heading = BTreeMap::new();
        let mut blocks = BTreeMap::new();
        let mut at = BTreeMap::new();
        for t in texts.remove(&row.id).unwrap_or_default() {
            heading.insert(t.locale.clone(), t.heading);
            if !t.blocks.0.is_empty() {
                blocks.insert(t.locale.clone(), t.blocks.0);
            }
            at.insert(t.locale, t.source_revision);
        }
        revisions.insert(row.anchor.clone(), at);
        built.insert(
            row.id,
            SectionDoc {
                anchor: row.anchor.clone(),
                kind: row.kind,
                heading,
                blocks,
                claims: by_section.remove(&row.id).unwrap_or_default(),
                sections: Vec::new(),
            },
        );
    }
    // Children are attached deepest first, so each is complete when it
    // moves into its parent.
    let mut order: Vec<&section::Model> = rows.iter().collect();
    order.sort_by_key(|s| std::cmp::Reverse(s.level));
    for row in order {
        let Some(parent) = row.parent_id else { continue };
        if let Some(child) = built.remove(&row.id)
            && let Some(parent) = built.get_mut(&parent)
        {
            parent.sections.push(child);
        }
    }
    let positions: HashMap<&str, i32> = rows.iter().map(|s| (s.anchor.as_str(), s.position)).collect();
    for doc in built.values_mut() {
        sort_children(doc, &positions);
    }
    let mut top: Vec<(i32, SectionDoc)> = rows
        .iter()
        .filter(|s| s.parent_id.is_none())
        .filter_map(|s| built.remove(&s.id).map(|d| (s.position, d)))
        .collect();
    top.sort_by_key(|(position, _)| *position);
    Ok((top.into_iter().map(|(_, d)| d).collect(), revisions))
}

/// Puts every section's children in their stored order.
fn sort_children(doc: &mut SectionDoc, positions: &HashMap<&str, i32>) {
    doc.sections
        .sort_by_key(|s| positions.get(s.anchor.as_str()).copied().unwrap_or(i32::MAX));
    for child in &mut doc.sections {
        sort_children(child, positions);
    }
}

/// The stored category `slug` as a content document, if there is one.
pub async fn category_document<C: ConnectionTrait>(db: &C, slug: &str) -> Result<Option<CategoryDoc>, DbErr> {
    use entity::category_translation;
    let Some(row) = category::Entity::find()
        .filter(category::Column::Slug.eq(slug))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let texts = category_translation::Entity::find()
        .filter(category_translation::Column::CategoryId.eq(row.id))
        .all(db)
        .await?;
    Ok(Some(CategoryDoc {
        slug: row.slug,
        public: row.is_public,
        position: row.position,
        source_locale: row.source_locale,
        name: texts.iter().map(|t| (t.locale.clone(), t.name.clone())).collect(),
        description: texts
            .iter()
            .filter_map(|t| Some((t.locale.clone(), t.description.clone()?)))
            .collect(),
        medical: row.medical,
        self_pay: row.self_pay,
    }))
}

/// The stored tag `slug` as a content document, if there is one.
pub async fn tag_document<C: ConnectionTrait>(db: &C, slug: &str) -> Result<Option<TagDoc>, DbErr> {
    use entity::tag_translation;
    let Some(row) = tag::Entity::find().filter(tag::Column::Slug.eq(slug)).one(db).await? else {
        return Ok(None);
    };
    let name = tag_translation::Entity::find()
        .filter(tag_translation::Column::TagId.eq(row.id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.locale, t.name))
        .collect();
    Ok(Some(TagDoc {
        slug: row.slug,
        public: row.is_public,
        source_locale: row.source_locale,
        name,
    }))
}

/// The stored supervisor `slug` as a content document (their profile as
/// it stands), with its row, if there is one.
pub async fn supervisor_document<C: ConnectionTrait>(
    db: &C,
    slug: &str,
) -> Result<Option<(supervisor::Model, SupervisorDoc)>, DbErr> {
    use entity::{
        career_entry, career_entry_translation, qualification, qualification_translation, supervisor_translation,
    };
    let Some(row) = supervisor::Entity::find()
        .filter(supervisor::Column::Slug.eq(slug))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let profile = supervisor_translation::Entity::find()
        .filter(supervisor_translation::Column::SupervisorId.eq(row.id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| {
            (
                t.locale,
                SupervisorText {
                    name: t.name,
                    name_reading: t.name_reading,
                    title: t.title,
                    affiliation: t.affiliation,
                    bio: t.bio,
                },
            )
        })
        .collect();
    let quals = qualification::Entity::find()
        .filter(qualification::Column::SupervisorId.eq(row.id))
        .order_by_asc(qualification::Column::Position)
        .all(db)
        .await?;
    let qual_texts = qualification_translation::Entity::find()
        .filter(qualification_translation::Column::QualificationId.is_in(quals.iter().map(|q| q.id)))
        .all(db)
        .await?;
    let qualifications = quals
        .iter()
        .map(|q| QualificationDoc {
            kind: q.kind,
            name: qual_texts
                .iter()
                .filter(|t| t.qualification_id == q.id)
                .map(|t| (t.locale.clone(), t.name.clone()))
                .collect(),
        })
        .collect();
    let steps = career_entry::Entity::find()
        .filter(career_entry::Column::SupervisorId.eq(row.id))
        .order_by_asc(career_entry::Column::Position)
        .all(db)
        .await?;
    let step_texts = career_entry_translation::Entity::find()
        .filter(career_entry_translation::Column::CareerEntryId.is_in(steps.iter().map(|c| c.id)))
        .all(db)
        .await?;
    let career = steps
        .iter()
        .map(|c| CareerDoc {
            started: c.started.clone(),
            ended: c.ended.clone(),
            text: step_texts
                .iter()
                .filter(|t| t.career_entry_id == c.id)
                .map(|t| {
                    (
                        t.locale.clone(),
                        CareerText {
                            text: t.text.clone(),
                            organization: t.organization.clone(),
                            role: t.role.clone(),
                        },
                    )
                })
                .collect(),
        })
        .collect();
    let doc = SupervisorDoc {
        slug: row.slug.clone(),
        public: row.is_public,
        source_locale: row.source_locale.clone(),
        photo_url: row.photo_url.clone(),
        profile,
        qualifications,
        career,
    };
    Ok(Some((row, doc)))
}

/// The stored reference `key` as a content document, if there is one.
pub async fn reference_document<C: ConnectionTrait>(db: &C, key: &str) -> Result<Option<ReferenceDoc>, DbErr> {
    let Some(r) = reference::Entity::find()
        .filter(reference::Column::Key.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(ReferenceDoc {
        key: r.key,
        kind: r.kind,
        title: r.title,
        authors: serde_json::from_value(r.authors).unwrap_or_default(),
        et_al: r.authors_truncated,
        container_title: r.container_title,
        publisher: r.publisher,
        year: r.year,
        volume: r.volume,
        issue: r.issue,
        pages: r.pages,
        doi: r.doi,
        pmid: r.pmid,
        url: r.url,
        accessed_on: r.accessed_on,
        evidence: r.evidence_level,
    }))
}
