//! Sitemaps for search engines: an index naming one sitemap per locale (in
//! files of at most 50,000 URLs, the protocol's limit), each listing the
//! public page of every article readable in that locale, with `lastmod`
//! and, per the hreflang convention, every published translation as an
//! `xhtml:link rel="alternate"` (itself included) plus `x-default` for the
//! source locale. Only what the public can read is listed, and only where
//! `--public-url-template` says where it is read.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use entity::enums::Status;
use entity::{article, article_translation};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::content::html::escape;
use crate::content::urls::PublicUrls;
use crate::delivery::visibility;

/// URLs per sitemap file: the protocol's limit.
pub const PER_FILE: u64 = 50_000;

/// One sitemap file of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Its locale.
    pub locale: String,
    /// Its page within the locale, from 0.
    pub page: u64,
    /// The newest change of what it lists.
    pub lastmod: Option<DateTime<Utc>>,
}

impl File {
    /// Its path under the API's address.
    pub fn path(&self) -> String {
        format!("/sitemaps/{}-{}.xml", self.locale, self.page)
    }
}

fn visible_ids(now: DateTime<Utc>) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column((article::Entity, article::Column::Id))
        .from(article::Entity)
        .cond_where(visibility::article(now))
        .and_where(Expr::col((article::Entity, article::Column::DraftOf)).is_null())
        .to_owned()
}

/// The files of the index: per locale with a template, as many as its
/// articles need.
pub async fn files<C: ConnectionTrait>(db: &C, urls: &PublicUrls, now: DateTime<Utc>) -> Result<Vec<File>, DbErr> {
    let rows: Vec<(String, i64, Option<DateTime<Utc>>)> = article_translation::Entity::find()
        .select_only()
        .column(article_translation::Column::Locale)
        .column_as(Expr::col(article_translation::Column::ArticleId).count(), "n")
        .column_as(Expr::col(article_translation::Column::UpdatedAt).max(), "latest")
        .filter(article_translation::Column::Status.eq(Status::Published))
        .filter(article_translation::Column::ArticleId.in_subquery(visible_ids(now)))
        .group_by(article_translation::Column::Locale)
        .order_by_asc(article_translation::Column::Locale)
        .into_tuple()
        .all(db)
        .await?;
    let mut out = Vec::new();
    for (locale, count, latest) in rows {
        if urls.url(&locale, "x").is_none() {
            continue;
        }
        let pages = u64::try_from(count).unwrap_or(0).div_ceil(PER_FILE);
        for page in 0..pages {
            out.push(File {
                locale: locale.clone(),
                page,
                lastmod: latest,
            });
        }
    }
    Ok(out)
}

/// The sitemap index naming `files`, at `base` (the API's own address).
pub fn index_xml(base: &str, files: &[File]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for file in files {
        let _ = write!(out, "<sitemap><loc>{}{}</loc>", escape(base), escape(&file.path()));
        if let Some(at) = file.lastmod {
            let _ = write!(out, "<lastmod>{}</lastmod>", w3c(at));
        }
        out.push_str("</sitemap>\n");
    }
    out.push_str("</sitemapindex>\n");
    out
}

/// The sitemap of `locale`'s page `page`; `None` when the locale has no
/// template or the page lists nothing.
pub async fn locale_xml<C: ConnectionTrait>(
    db: &C,
    urls: &PublicUrls,
    locale: &str,
    page: u64,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    // A page past any library's size names nothing (and must not reach
    // the database as an OFFSET out of range).
    let Some(offset) = page.checked_mul(PER_FILE).filter(|o| *o < 1_000_000_000) else {
        return Ok(None);
    };
    if urls.url(locale, "x").is_none() {
        return Ok(None);
    }
    let listed: Vec<(Uuid, DateTime<Utc>)> = article_translation::Entity::find()
        .select_only()
        .column(article_translation::Column::ArticleId)
        .column(article_translation::Column::UpdatedAt)
        .filter(article_translation::Column::Locale.eq(locale))
        .filter(article_translation::Column::Status.eq(Status::Published))
        .filter(article_translation::Column::ArticleId.in_subquery(visible_ids(now)))
        .order_by_asc(article_translation::Column::ArticleId)
        .offset(offset)
        .limit(PER_FILE)
        .into_tuple()
        .all(db)
        .await?;
    if listed.is_empty() {
        return Ok(None);
    }
    let mut articles: HashMap<Uuid, (String, String, DateTime<Utc>)> = HashMap::with_capacity(listed.len());
    let mut locales: HashMap<Uuid, Vec<String>> = HashMap::with_capacity(listed.len());
    // Bounded statements: SQLite binds at most 32,766 values in one.
    for chunk in listed.chunks(5000) {
        let ids = chunk.iter().map(|(id, _)| *id);
        let rows: Vec<(Uuid, String, String, DateTime<Utc>)> = article::Entity::find()
            .select_only()
            .columns([
                article::Column::Id,
                article::Column::Slug,
                article::Column::SourceLocale,
                article::Column::UpdatedAt,
            ])
            .filter(article::Column::Id.is_in(ids.clone()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, slug, source, updated) in rows {
            articles.insert(id, (slug, source, updated));
        }
        let rows: Vec<(Uuid, String)> = article_translation::Entity::find()
            .select_only()
            .columns([
                article_translation::Column::ArticleId,
                article_translation::Column::Locale,
            ])
            .filter(article_translation::Column::ArticleId.is_in(ids))
            .filter(article_translation::Column::Status.eq(Status::Published))
            .order_by_asc(article_translation::Column::Locale)
            .into_tuple()
            .all(db)
            .await?;
        for (id, l) in rows {
            locales.entry(id).or_default().push(l);
        }
    }
    let mut out = String::with_capacity(listed.len() * 400);
    out.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" \
         xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
    );
    for (id, text_updated) in &listed {
        let Some((slug, source, updated)) = articles.get(id) else {
            continue;
        };
        let Some(loc) = urls.url(locale, slug) else {
            continue;
        };
        let _ = write!(
            out,
            "<url><loc>{}</loc><lastmod>{}</lastmod>",
            escape(&loc),
            w3c(*text_updated.max(updated))
        );
        let alternates: Vec<(String, String)> = locales
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|l| urls.url(l, slug).map(|u| (l.clone(), u)))
            .collect();
        // A lone translation has no alternates to point at.
        if alternates.len() > 1 {
            for (l, u) in &alternates {
                let _ = write!(
                    out,
                    "<xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>",
                    escape(l),
                    escape(u)
                );
            }
            if let Some((_, u)) = alternates.iter().find(|(l, _)| l == source) {
                let _ = write!(
                    out,
                    "<xhtml:link rel=\"alternate\" hreflang=\"x-default\" href=\"{}\"/>",
                    escape(u)
                );
            }
        }
        out.push_str("</url>\n");
    }
    out.push_str("</urlset>\n");
    Ok(Some(out))
}

/// A time as the W3C datetime sitemaps take, to the second.
fn w3c(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Built sitemaps by address, with the change-log position they reflect:
/// kept until the log moves.
pub struct Built {
    files: moka::sync::Cache<String, (i64, std::sync::Arc<Vec<u8>>)>,
    base: Option<String>,
}

impl Built {
    /// An empty store; `base` is where clients reach the API
    /// (`--api-url`), or `None` to take it from each request.
    pub fn new(base: Option<String>) -> Self {
        Self {
            // Locales × pages: a few dozen files even for a large library.
            files: moka::sync::Cache::new(256),
            base: base.map(|b| b.trim_end_matches('/').to_owned()),
        }
    }

    /// `--api-url`, if given.
    pub fn base(&self) -> Option<&str> {
        self.base.as_deref()
    }

    /// The file kept under `key`, with its position.
    pub fn get(&self, key: &str) -> Option<(i64, std::sync::Arc<Vec<u8>>)> {
        self.files.get(key)
    }

    /// Keeps `body` under `key` as built at `position`.
    pub fn keep(&self, key: String, position: i64, body: std::sync::Arc<Vec<u8>>) {
        self.files.insert(key, (position, body));
    }
}
