//! What travels with an article when it is republished: its canonical URL,
//! and to a partner the attribution and licence it reads it under.

use async_graphql::{Context, Object, SimpleObject};

use super::article::Article;
use super::scalars::Timestamp;
use crate::content::urls::{PublicUrls, UrlTemplate};
use crate::error::Result;
use crate::locale::Locale;

/// The syndication fields of one article, flattened into `Article`.
pub struct Syndication<'a>(pub &'a Article);

/// The licence a partner reads an article under.
#[derive(SimpleObject)]
pub struct License {
    /// The terms of use, as the clinic wrote them.
    terms: String,
    /// What the partner must show beside the article.
    attribution: String,
    /// From when the licence holds; null: from its grant.
    valid_from: Option<Timestamp>,
    /// Until when it holds; null: open-ended.
    valid_until: Option<Timestamp>,
    /// The locales it covers.
    locales: Vec<Locale>,
}

/// The article's page in one locale.
#[derive(SimpleObject)]
pub struct Alternate {
    /// The locale.
    locale: Locale,
    /// The `hreflang` value: the locale, or `x-default` for the page to
    /// show readers whose language has none.
    hreflang: String,
    /// The page.
    url: String,
}

impl Syndication<'_> {
    /// The partner's licence for this article in its locale, if the
    /// request is a partner's.
    async fn grant(&self, ctx: &Context<'_>) -> Result<Option<crate::editorial::partners::Granted>> {
        self.grant_in(ctx, self.0.locale_str()).await
    }

    /// The partner's licence for this article in `locale`.
    async fn grant_in(&self, ctx: &Context<'_>, locale: &str) -> Result<Option<crate::editorial::partners::Granted>> {
        let Some(licensed) = super::licensed(ctx).await? else {
            return Ok(None);
        };
        let model = self.0.model();
        Ok(licensed.grant_for(model.id, model.category_id, locale).cloned())
    }

    /// Where the article is read in `locale`: the partner licence's rule,
    /// or the server's template.
    async fn url_in(&self, ctx: &Context<'_>, locale: &str) -> Result<Option<String>> {
        if let Some(template) = self
            .grant_in(ctx, locale)
            .await?
            .and_then(|g| g.licence.canonical_url_template)
            .and_then(|t| UrlTemplate::parse(&t).ok())
        {
            return Ok(Some(template.fill(locale, self.slug())));
        }
        Ok(ctx
            .data_opt::<PublicUrls>()
            .and_then(|urls| urls.url(locale, self.slug())))
    }

    /// The article's slug as readers see it (a preview copy shows its
    /// article's).
    fn slug(&self) -> &str {
        let slug = &self.0.model().slug;
        slug.strip_suffix("~draft").unwrap_or(slug)
    }
}

#[Object]
impl Syndication<'_> {
    /// Where this article is read in this locale: the clinic's page, from
    /// the server's `--public-url-template` (null when it has none). To a
    /// partner, the URL its licence says its copy must name in
    /// `<link rel="canonical">`.
    async fn canonical_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.url_in(ctx, self.0.locale_str()).await
    }

    /// The article's page in each locale the reader may read it in, for
    /// `<link rel="alternate" hreflang="…">` in a page head: every
    /// translation (this one included), then `x-default` for the source
    /// locale. Empty when the article is readable in one locale only, or
    /// no URL template covers its locales.
    async fn alternates(&self, ctx: &Context<'_>) -> Result<Vec<Alternate>> {
        let mut out = Vec::new();
        for locale in self.0.scope().allowed.iter() {
            if let Some(url) = self.url_in(ctx, locale).await? {
                out.push(Alternate {
                    locale: Locale::trusted(locale),
                    hreflang: locale.clone(),
                    url,
                });
            }
        }
        if out.len() < 2 {
            return Ok(Vec::new());
        }
        out.sort_by(|a, b| a.hreflang.cmp(&b.hreflang));
        let source = &self.0.model().source_locale;
        if let Some(default) = out.iter().find(|a| a.hreflang == *source) {
            out.push(Alternate {
                locale: default.locale.clone(),
                hreflang: "x-default".to_owned(),
                url: default.url.clone(),
            });
        }
        Ok(out)
    }

    /// The article as schema.org JSON-LD (`MedicalWebPage`), for a page's
    /// `<script type="application/ld+json">`: headline, language, dates,
    /// the physicians whose sign-off covers this very text (`reviewedBy`,
    /// with their credentials, and `lastReviewed`), the cited works with
    /// their DOI and PMID, and the series. Also at
    /// `/articles/{slug}/jsonld`.
    async fn json_ld(&self, ctx: &Context<'_>) -> Result<async_graphql::Json<serde_json::Value>> {
        let url = self.canonical_url(ctx).await?;
        Ok(async_graphql::Json(super::json_ld::of(ctx, self.0, url).await?))
    }

    /// To a partner: the attribution its licence requires beside this
    /// article. Null for everyone else.
    async fn attribution(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(self.grant(ctx).await?.map(|g| g.licence.attribution))
    }

    /// To a partner: the licence it reads this article under, in this
    /// locale. Null for everyone else.
    async fn license(&self, ctx: &Context<'_>) -> Result<Option<License>> {
        Ok(self.grant(ctx).await?.map(|g| License {
            terms: g.licence.terms,
            attribution: g.licence.attribution,
            valid_from: g.licence.starts_at.map(Timestamp),
            valid_until: g.licence.ends_at.map(Timestamp),
            locales: g.locales.iter().map(|l| Locale::trusted(l)).collect(),
        }))
    }
}
