//! Where an article is read on the clinic's own site (or a partner's):
//! URL templates with `{locale}` and `{slug}`, from `--public-url-template`
//! and from a licence's canonical-URL rule.

/// A checked URL template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTemplate(String);

impl UrlTemplate {
    /// An absolute http(s) URL of at most 500 characters naming the
    /// article by `{slug}` (and optionally its locale by `{locale}`).
    pub fn parse(template: &str) -> Result<Self, String> {
        let template = template.trim();
        let ok = (template.starts_with("https://") || template.starts_with("http://"))
            && template.contains("{slug}")
            && template.len() <= 500
            && !template
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>'));
        if ok {
            Ok(Self(template.to_owned()))
        } else {
            Err(format!(
                "`{}` is not a URL template: an http(s) URL of at most 500 characters with `{{slug}}` \
                 (and optionally `{{locale}}`), e.g. `https://clinic.example/{{locale}}/columns/{{slug}}`",
                template.chars().take(80).collect::<String>()
            ))
        }
    }

    /// The URL of article `slug` in `locale`. Slugs and locale tags are
    /// URL-safe by construction (checked on import), so they go in as is.
    pub fn fill(&self, locale: &str, slug: &str) -> String {
        self.0.replace("{locale}", locale).replace("{slug}", slug)
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The clinic's public URLs: one template for every locale, and templates
/// for single locales that override it.
#[derive(Debug, Clone, Default)]
pub struct PublicUrls {
    any: Option<UrlTemplate>,
    by_locale: Vec<(String, UrlTemplate)>,
}

impl PublicUrls {
    /// From `--public-url-template` values: `TEMPLATE` for every locale,
    /// `LOCALE=TEMPLATE` for one.
    pub fn parse(values: &[String]) -> Result<Self, String> {
        let mut urls = Self::default();
        for value in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
            match value.split_once('=').filter(|(locale, _)| !locale.contains('/')) {
                Some((locale, template)) => {
                    let locale = crate::locale::Locale::parse(locale.trim()).map_err(|e| e.to_string())?;
                    urls.by_locale
                        .push((locale.as_str().to_owned(), UrlTemplate::parse(template)?));
                }
                None => urls.any = Some(UrlTemplate::parse(value)?),
            }
        }
        Ok(urls)
    }

    /// The public URL of article `slug` in `locale`, if a template covers
    /// that locale.
    pub fn url(&self, locale: &str, slug: &str) -> Option<String> {
        self.by_locale
            .iter()
            .find(|(l, _)| l == locale)
            .map(|(_, t)| t)
            .or(self.any.as_ref())
            .map(|t| t.fill(locale, slug))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_per_locale_and_refuse_what_is_not_a_url() {
        let urls = PublicUrls::parse(&[
            "https://clinic.example/{locale}/columns/{slug}".to_owned(),
            "ja=https://clinic.example/columns/{slug}".to_owned(),
        ]);
        let urls = urls.ok().unwrap_or_default();
        assert_eq!(urls.url("ja", "a").as_deref(), Some("https://clinic.example/columns/a"));
        assert_eq!(
            urls.url("en", "a").as_deref(),
            Some("https://clinic.example/en/columns/a")
        );
        assert_eq!(PublicUrls::default().url("en", "a"), None);
        for bad in [
            "clinic.example/{slug}",
            "https://clinic.example/",
            "javascript:{slug}",
            "https://a b/{slug}",
        ] {
            assert!(UrlTemplate::parse(bad).is_err(), "{bad}");
        }
    }
}
