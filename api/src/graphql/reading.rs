//! Reading aids flattened into `Article`: how long it takes to read, and
//! which articles to read next.

use std::collections::HashMap;

use async_graphql::{Context, Object};
use chrono::Utc;
use entity::{article, article_tag};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::article::Article;
use super::{audience, db};
use crate::delivery::visibility;
use crate::error::{Error, Result};

/// Characters a Japanese (or Chinese) reader reads per minute: the usual
/// figure for adults is 400 to 600.
const CHARS_PER_MINUTE: usize = 500;
/// Words per minute in languages written with spaces.
const WORDS_PER_MINUTE: usize = 230;
/// Candidates weighed for `relatedArticles`: the newest sharing a tag or
/// the category.
const CANDIDATES: u64 = 200;

/// The reading aids of one article.
pub struct Reading<'a>(pub &'a Article);

/// Minutes to read `texts` in `locale`: by characters where words are not
/// separated by spaces, by words elsewhere; at least one.
pub fn minutes<'t>(locale: &str, texts: impl Iterator<Item = &'t str>) -> i32 {
    let language = locale.split('-').next().unwrap_or(locale);
    let by_chars = matches!(language, "ja" | "zh");
    let count: usize = texts
        .map(|t| {
            if by_chars {
                t.chars().filter(|c| c.is_alphanumeric()).count()
            } else {
                t.split_whitespace().count()
            }
        })
        .sum();
    let rate = if by_chars { CHARS_PER_MINUTE } else { WORDS_PER_MINUTE };
    i32::try_from(count.div_ceil(rate).max(1)).unwrap_or(i32::MAX)
}

#[Object]
impl Reading<'_> {
    /// Minutes a reader takes to read the article in the locale shown
    /// (lead, introduction and every section): Japanese and Chinese at 500
    /// characters a minute, other languages at 230 words; at least 1.
    async fn reading_minutes(&self, ctx: &Context<'_>) -> Result<i32> {
        let scope = self.0.scope();
        let text = self.0.text();
        let sections = scope.sections(ctx).await?;
        let texts = scope.section_texts(ctx).await?;
        let mut pieces: Vec<String> = vec![text.lead.clone()];
        for block in &text.intro.0 {
            pieces.extend(block.texts().into_iter().map(str::to_owned));
        }
        for section in sections.iter() {
            let Some(found) = texts.get(&section.id) else {
                continue;
            };
            let Some(chosen) = scope.localize(found) else {
                continue;
            };
            let chosen = chosen.text();
            pieces.push(chosen.heading.clone());
            for block in &chosen.blocks.0 {
                pieces.extend(block.texts().into_iter().map(str::to_owned));
            }
        }
        Ok(minutes(self.0.locale_str(), pieces.iter().map(String::as_str)))
    }

    /// Articles to read next, most related first: those sharing the most
    /// tags, then those in the same category, newest first among equals.
    /// Only articles the reader may see, in the locale chosen for the
    /// request.
    #[graphql(complexity = "first.unwrap_or(3).clamp(0, 10) as usize * child_complexity + 5")]
    async fn related_articles(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many, 0 to 10.", default = 3)] first: Option<i32>,
    ) -> Result<Vec<Article>> {
        let first = usize::try_from(first.unwrap_or(3))
            .ok()
            .filter(|n| *n <= 10)
            .ok_or_else(|| Error::bad_input("`first` must be between 0 and 10"))?;
        if first == 0 {
            return Ok(Vec::new());
        }
        let db = db(ctx)?;
        let model = self.0.model();
        let id = model.draft_of.unwrap_or(model.id);
        let tags: Vec<Uuid> = article_tag::Entity::find()
            .select_only()
            .column(article_tag::Column::TagId)
            .filter(article_tag::Column::ArticleId.eq(id))
            .into_tuple()
            .all(db)
            .await?;
        let sharing = sea_orm::sea_query::Query::select()
            .column(article_tag::Column::ArticleId)
            .from(article_tag::Entity)
            .and_where(article_tag::Column::TagId.is_in(tags.iter().copied()))
            .to_owned();
        let audience = audience(ctx);
        // Related articles are for readers: an editor's preview shows the
        // published ones around it too.
        let reader = match audience {
            visibility::Audience::Partner(_) => audience,
            _ => visibility::Audience::Public,
        };
        let candidates = article::Entity::find()
            .filter(visibility::article_for(reader, Utc::now()))
            .filter(article::Column::DraftOf.is_null())
            .filter(article::Column::Id.ne(id))
            .filter(
                sea_orm::Condition::any()
                    .add(article::Column::CategoryId.eq(model.category_id))
                    .add(article::Column::Id.in_subquery(sharing)),
            )
            .order_by_desc(article::Column::PublishedAt)
            .order_by_asc(article::Column::Id)
            .limit(CANDIDATES)
            .all(db)
            .await?;
        let ids: Vec<Uuid> = candidates.iter().map(|a| a.id).collect();
        let mut shared: HashMap<Uuid, usize> = HashMap::new();
        for (article_id, tag_id) in article_tag::Entity::find()
            .select_only()
            .columns([article_tag::Column::ArticleId, article_tag::Column::TagId])
            .filter(article_tag::Column::ArticleId.is_in(ids))
            .into_tuple::<(Uuid, Uuid)>()
            .all(db)
            .await?
        {
            if tags.contains(&tag_id) {
                *shared.entry(article_id).or_default() += 1;
            }
        }
        // Candidates come newest first; a stable sort by score keeps that
        // order among equals.
        let score = |a: &article::Model| {
            shared.get(&a.id).copied().unwrap_or(0) * 2 + usize::from(a.category_id == model.category_id)
        };
        let mut chosen = candidates;
        chosen.sort_by_key(|a| std::cmp::Reverse(score(a)));
        crate::delivery::tags::collection(ctx, "articles");
        let pref = self.0.scope().pref.clone();
        let mut wrapped = Article::wrap_all(ctx, chosen, &pref, false).await?;
        wrapped.truncate(first);
        Ok(wrapped)
    }
}

#[cfg(test)]
mod tests {
    use super::minutes;

    #[test]
    fn japanese_is_read_by_characters_and_english_by_words() {
        let ja = "あ".repeat(1200);
        assert_eq!(minutes("ja", [ja.as_str()].into_iter()), 3);
        let en = "word ".repeat(461);
        assert_eq!(minutes("en", [en.as_str()].into_iter()), 3);
        assert_eq!(minutes("en-GB", ["short"].into_iter()), 1);
        // Japanese counted by words would be one "word" per paragraph.
        assert_eq!(minutes("ja", ["。、 ".repeat(100).as_str()].into_iter()), 1);
    }
}
