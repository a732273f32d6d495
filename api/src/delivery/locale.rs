//! Locale negotiation and fallback: the request's locale, and the
//! translation each entity shows.
//!
//! Rules (DESIGN.md, "Localization rules"):
//! 1. the request locale comes from the `locale` argument, else the
//!    Accept-Language header, else the server default;
//! 2. each entity resolves on its own along `requested → its truncations →
//!    configured fallbacks → the entity's source locale`;
//! 3. each localized object reports the locale it holds, whether that is a
//!    fallback, and which locales exist.

use std::sync::Arc;

pub use crate::locale::Locale;
use crate::locale::push_unique;

/// The locales a request asked for, most wanted first, before per-entity
/// fallbacks are added.
#[derive(Debug, Clone)]
pub struct Preference {
    /// The first choice; `isFallback` is measured against it.
    requested: Locale,
    /// Every acceptable locale in order, each followed by its truncations,
    /// then the configured fallbacks.
    chain: Arc<[Locale]>,
}

impl Preference {
    /// Builds the chain from explicit choices (argument or Accept-Language),
    /// the server default when there are none, and the configured fallbacks.
    pub fn new(choices: &[Locale], default: &Locale, fallbacks: &[Locale]) -> Self {
        let choices: &[Locale] = if choices.is_empty() {
            std::slice::from_ref(default)
        } else {
            choices
        };
        let mut chain = Vec::new();
        for choice in choices {
            for locale in choice.with_truncations() {
                push_unique(&mut chain, locale);
            }
        }
        for locale in fallbacks {
            push_unique(&mut chain, locale.clone());
        }
        Self {
            requested: choices[0].clone(),
            chain: chain.into(),
        }
    }

    /// The first choice.
    pub fn requested(&self) -> &Locale {
        &self.requested
    }

    /// Picks the translation to show from `texts`, walking the chain and then
    /// the entity's `source` locale; failing both, any translation at all, so
    /// that content is never hidden merely because no chain entry matches.
    /// Returns the index of the chosen row and whether it is a fallback.
    pub fn choose<T: Translation>(&self, texts: &[T], source: &str) -> Option<(usize, bool)> {
        let position = |tag: &str| texts.iter().position(|t| t.locale() == tag);
        let index = self
            .chain
            .iter()
            .find_map(|want| position(want.as_str()))
            .or_else(|| position(source))
            .or(if texts.is_empty() { None } else { Some(0) })?;
        let is_fallback = !self
            .requested
            .with_truncations()
            .iter()
            .any(|l| l.as_str() == texts[index].locale());
        Some((index, is_fallback))
    }
}

/// The translations of one object and the one chosen for this request.
#[derive(Debug, Clone)]
pub struct Localization<T> {
    texts: Vec<T>,
    chosen: usize,
    is_fallback: bool,
}

impl<T: Translation> Localization<T> {
    /// Chooses among `texts` (already limited to what the caller may see);
    /// `None` when there is nothing to choose from.
    pub fn resolve(texts: Vec<T>, pref: &Preference, source: &str) -> Option<Self> {
        let (chosen, is_fallback) = pref.choose(&texts, source)?;
        Some(Self {
            texts,
            chosen,
            is_fallback,
        })
    }

    /// The chosen translation.
    pub fn text(&self) -> &T {
        &self.texts[self.chosen]
    }

    /// The locale of the chosen translation.
    pub fn locale(&self) -> Locale {
        Locale::trusted(self.text().locale())
    }

    /// Whether the chosen translation is not in the requested language.
    pub fn is_fallback(&self) -> bool {
        self.is_fallback
    }

    /// Sorted locales of all translations.
    pub fn available(&self) -> Vec<Locale> {
        let mut out: Vec<Locale> = self.texts.iter().map(|t| Locale::trusted(t.locale())).collect();
        out.sort();
        out.dedup();
        out
    }
}

/// A translation row: anything stored per locale.
pub trait Translation {
    /// The canonical tag of the locale this row is written in.
    fn locale(&self) -> &str;
}

/// Parses an Accept-Language header into valid locales, best first. Entries
/// that are not valid tags (and the `*` wildcard) are skipped, never an error:
/// browsers send what they send.
pub fn from_accept_language(header: &str) -> Vec<Locale> {
    accept_language::parse(header)
        .iter()
        .filter(|tag| tag.as_str() != "*")
        .filter_map(|tag| Locale::parse(tag).ok())
        .collect()
}

impl<T: Translation> Translation for Arc<T> {
    fn locale(&self) -> &str {
        (**self).locale()
    }
}

macro_rules! impl_translation {
    ($($ty:path),* $(,)?) => {
        $(impl Translation for $ty {
            fn locale(&self) -> &str {
                &self.locale
            }
        })*
    };
}

impl_translation!(
    entity::article_translation::Model,
    entity::section_translation::Model,
    entity::claim_translation::Model,
    entity::category_translation::Model,
    entity::tag_translation::Model,
    entity::supervisor_translation::Model,
    entity::qualification_translation::Model,
    entity::career_entry_translation::Model,
);

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(tag: &str) -> Locale {
        Locale::parse(tag).unwrap()
    }

    #[test]
    fn tags_are_canonicalized() {
        assert_eq!(loc("EN-us").as_str(), "en-US");
        assert_eq!(loc("zh-hans").as_str(), "zh-Hans");
        assert_eq!(loc("ja-JP-u-ca-japanese").as_str(), "ja-JP");
    }

    #[test]
    fn invalid_tags_are_rejected() {
        for bad in ["", "e", "english!", "en_US_", "und", "12", "*"] {
            assert!(Locale::parse(bad).is_err(), "{bad} should be invalid");
        }
    }

    #[test]
    fn truncations_go_from_specific_to_general() {
        let chain: Vec<String> = loc("zh-Hant-TW")
            .with_truncations()
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert_eq!(chain, ["zh-Hant-TW", "zh-Hant", "zh"]);
    }

    #[test]
    fn accept_language_is_ordered_by_quality_and_skips_junk() {
        let got = from_accept_language("fr;q=0.5, en-US, *;q=0.1, !!;q=0.9");
        assert_eq!(got, vec![loc("en-US"), loc("fr")]);
    }

    struct T(&'static str);
    impl Translation for T {
        fn locale(&self) -> &str {
            self.0
        }
    }

    #[test]
    fn resolution_walks_requested_then_fallbacks_then_source() {
        let texts = [T("ja"), T("en")];
        let pref = Preference::new(&[loc("en-US")], &loc("ja"), &[]);
        let (i, is_fallback) = pref.choose(&texts, "ja").unwrap();
        assert_eq!(texts[i].0, "en");
        assert!(!is_fallback, "en satisfies a request for en-US");

        let pref = Preference::new(&[loc("ko")], &loc("ja"), &[]);
        let (i, is_fallback) = pref.choose(&texts, "ja").unwrap();
        assert_eq!(texts[i].0, "ja");
        assert!(is_fallback);

        let pref = Preference::new(&[loc("ko")], &loc("ja"), &[loc("en")]);
        let (i, _) = pref.choose(&texts, "ja").unwrap();
        assert_eq!(texts[i].0, "en");
    }
}
