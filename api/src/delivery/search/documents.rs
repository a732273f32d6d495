//! What the index holds of an article: one document per locale the public
//! can read it in, made of the text a reader of that locale sees (title,
//! lead, introduction, each section's heading, blocks and claims), with
//! the section anchors a hit links to.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::enums::Status;
use entity::{article, article_tag, article_translation, claim, claim_translation, section, section_translation};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::delivery::visibility;

/// One article in one locale, as the index holds it.
#[derive(Debug, Clone)]
pub struct Doc {
    /// The article.
    pub article: Uuid,
    /// The locale of the text.
    pub locale: String,
    /// Its category.
    pub category: Uuid,
    /// Its tags.
    pub tags: Vec<Uuid>,
    /// Title.
    pub title: String,
    /// Lead and introduction.
    pub lead: String,
    /// The sections in reading order.
    pub passages: Vec<Passage>,
}

/// A section's text, kept with the document for snippets.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Passage {
    /// The section's anchor; `None` for the lead and introduction.
    #[serde(rename = "a")]
    pub anchor: Option<String>,
    /// The section's heading.
    #[serde(rename = "h")]
    pub heading: String,
    /// Its blocks and claims, one per line.
    #[serde(rename = "t")]
    pub text: String,
}

/// The documents of the articles among `ids` that the public can read at
/// `now`: none for an article that is not (any more) visible, which is how
/// an unpublished article leaves the index.
pub async fn load<C: ConnectionTrait>(db: &C, ids: &[Uuid], now: DateTime<Utc>) -> Result<Vec<Doc>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // One change can touch tens of thousands of articles (an import):
    // read them in pieces, SQLite binds at most 32,766 values a statement.
    if ids.len() > 2000 {
        let mut docs = Vec::new();
        for chunk in ids.chunks(2000) {
            docs.extend(Box::pin(load(db, chunk, now)).await?);
        }
        return Ok(docs);
    }
    let articles = article::Entity::find()
        .filter(visibility::article(now))
        .filter(article::Column::DraftOf.is_null())
        .filter(article::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    if articles.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = articles.iter().map(|a| a.id).collect();
    let translations = article_translation::Entity::find()
        .filter(article_translation::Column::ArticleId.is_in(ids.iter().copied()))
        .filter(article_translation::Column::Status.eq(Status::Published))
        .all(db)
        .await?;
    let mut tags: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for link in article_tag::Entity::find()
        .filter(article_tag::Column::ArticleId.is_in(ids.iter().copied()))
        .order_by_asc(article_tag::Column::Position)
        .all(db)
        .await?
    {
        tags.entry(link.article_id).or_default().push(link.tag_id);
    }
    let sections = section::Entity::find()
        .filter(section::Column::ArticleId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let section_ids: Vec<Uuid> = sections.iter().map(|s| s.id).collect();
    let mut section_texts: HashMap<(Uuid, String), section_translation::Model> = HashMap::new();
    let mut claims: HashMap<Uuid, Vec<claim::Model>> = HashMap::new();
    let mut claim_texts: HashMap<(Uuid, String), String> = HashMap::new();
    // Bounded chunks: a rebuild reads hundreds of articles at once, and
    // SQLite binds at most 32,766 values per statement.
    for chunk in section_ids.chunks(2000) {
        for text in section_translation::Entity::find()
            .filter(section_translation::Column::SectionId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            section_texts.insert((text.section_id, text.locale.clone()), text);
        }
        let found = claim::Entity::find()
            .filter(claim::Column::SectionId.is_in(chunk.iter().copied()))
            .order_by_asc(claim::Column::Position)
            .all(db)
            .await?;
        let claim_ids: Vec<Uuid> = found.iter().map(|c| c.id).collect();
        for c in found {
            claims.entry(c.section_id).or_default().push(c);
        }
        for ids in claim_ids.chunks(2000) {
            let rows: Vec<(Uuid, String, String)> = claim_translation::Entity::find()
                .select_only()
                .columns([
                    claim_translation::Column::ClaimId,
                    claim_translation::Column::Locale,
                    claim_translation::Column::Text,
                ])
                .filter(claim_translation::Column::ClaimId.is_in(ids.iter().copied()))
                .into_tuple()
                .all(db)
                .await?;
            for (id, locale, text) in rows {
                claim_texts.insert((id, locale), text);
            }
        }
    }
    // What images among the blocks show, as readers of each locale read it.
    let shown: Vec<Uuid> = entity::article_media::Entity::find()
        .select_only()
        .column(entity::article_media::Column::MediaId)
        .distinct()
        .filter(entity::article_media::Column::ArticleId.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let mut image_texts: HashMap<(Uuid, String), String> = HashMap::new();
    for chunk in shown.chunks(2000) {
        for t in entity::media_text::Entity::find()
            .filter(entity::media_text::Column::MediaId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            let text = match t.caption {
                Some(caption) => format!("{}\n{caption}", t.alt),
                None => t.alt,
            };
            image_texts.insert((t.media_id, t.locale), text);
        }
    }
    let image_text = |block: &entity::block::Block, locale: &str| {
        block
            .image()
            .and_then(|id| image_texts.get(&(id, locale.to_owned())).map(String::as_str))
    };
    let mut by_article: HashMap<Uuid, Vec<section::Model>> = HashMap::new();
    for s in sections {
        by_article.entry(s.article_id).or_default().push(s);
    }
    let articles: HashMap<Uuid, article::Model> = articles.into_iter().map(|a| (a.id, a)).collect();
    let mut docs = Vec::with_capacity(translations.len());
    for t in translations {
        let Some(a) = articles.get(&t.article_id) else {
            continue;
        };
        let ordered = reading_order(by_article.get(&a.id).map(Vec::as_slice).unwrap_or_default());
        let mut lead = t.lead.clone();
        for block in &t.intro.0 {
            for text in block.texts().into_iter().chain(image_text(block, &t.locale)) {
                lead.push('\n');
                lead.push_str(text);
            }
        }
        let passages = ordered
            .into_iter()
            .filter_map(|s| {
                let st = section_texts.get(&(s.id, t.locale.clone()))?;
                let mut text = String::new();
                for block in &st.blocks.0 {
                    for piece in block.texts().into_iter().chain(image_text(block, &t.locale)) {
                        text.push_str(piece);
                        text.push('\n');
                    }
                }
                for c in claims.get(&s.id).map(Vec::as_slice).unwrap_or_default() {
                    if let Some(claim) = claim_texts.get(&(c.id, t.locale.clone())) {
                        text.push_str(claim);
                        text.push('\n');
                    }
                }
                Some(Passage {
                    anchor: Some(s.anchor.clone()),
                    heading: st.heading.clone(),
                    text,
                })
            })
            .collect();
        docs.push(Doc {
            article: a.id,
            locale: t.locale,
            category: a.category_id,
            tags: tags.get(&a.id).cloned().unwrap_or_default(),
            title: t.title,
            lead,
            passages,
        });
    }
    Ok(docs)
}

/// Sections depth first, siblings by position: the order a page shows.
fn reading_order(sections: &[section::Model]) -> Vec<&section::Model> {
    let mut children: HashMap<Option<Uuid>, Vec<&section::Model>> = HashMap::new();
    for s in sections {
        children.entry(s.parent_id).or_default().push(s);
    }
    for list in children.values_mut() {
        list.sort_by_key(|s| s.position);
    }
    let mut out = Vec::with_capacity(sections.len());
    let mut stack: Vec<&section::Model> = children.get(&None).cloned().unwrap_or_default();
    stack.reverse();
    while let Some(s) = stack.pop() {
        out.push(s);
        if let Some(kids) = children.get(&Some(s.id)) {
            stack.extend(kids.iter().rev());
        }
    }
    out
}

/// The ids of every article the public can read at `now`, after `after`
/// in id order, at most `limit`: a rebuild walks them page by page.
pub async fn visible_ids<C: ConnectionTrait>(
    db: &C,
    after: Option<Uuid>,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbErr> {
    let mut query = article::Entity::find()
        .select_only()
        .column(article::Column::Id)
        .filter(visibility::article(now))
        .filter(article::Column::DraftOf.is_null())
        .order_by_asc(article::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(article::Column::Id.gt(after));
    }
    query.into_tuple().all(db).await
}
