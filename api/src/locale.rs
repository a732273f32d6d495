//! The `Locale` scalar: a validated, canonical BCP 47 language tag, the one
//! way a locale travels through Kiji (content, requests, storage).
//!
//! Tags are parsed with ICU4X's `icu_locale_core` rather than by hand: it
//! validates every subtag and canonicalizes case (`EN-us` → `en-US`), so one
//! spelling is stored and compared.

use std::fmt;
use std::sync::Arc;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use icu_locale_core::LanguageIdentifier;

use crate::error::code;

/// A canonical BCP 47 language tag such as `ja`, `en-US` or `zh-Hans`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Locale(Arc<str>);

/// Why a string is not a usable locale.
#[derive(Debug, thiserror::Error)]
#[error("`{tag}` is not a valid BCP 47 language tag (expected e.g. `ja`, `en-US`, `zh-Hans`)")]
pub struct InvalidLocale {
    tag: String,
}

impl Locale {
    /// Parses and canonicalizes a tag; Unicode extensions (`-u-…`) are dropped
    /// because content is stored per language, script and region only.
    pub fn parse(tag: &str) -> Result<Self, InvalidLocale> {
        let invalid = || InvalidLocale {
            tag: tag.chars().take(64).collect(),
        };
        if tag.is_empty() || tag.len() > 64 {
            return Err(invalid());
        }
        let locale: icu_locale_core::Locale = tag.parse().map_err(|_| invalid())?;
        if locale.id.language.is_unknown() {
            // `und` names no language: nothing could ever be stored under it.
            return Err(invalid());
        }
        Ok(Self(Arc::from(locale.id.to_string())))
    }

    /// Wraps a tag known to be canonical, such as a literal in code.
    pub fn trusted(tag: &str) -> Self {
        Self(Arc::from(tag))
    }

    /// The canonical tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This locale and its less specific forms: `zh-Hant-TW` → `zh-Hant-TW`,
    /// `zh-Hant`, `zh`.
    pub fn with_truncations(&self) -> Vec<Locale> {
        let mut out = vec![self.clone()];
        let Ok(id) = LanguageIdentifier::try_from_str(self.as_str()) else {
            return out;
        };
        let mut id = id;
        if !id.variants.is_empty() {
            id.variants.clear();
            push_unique(&mut out, Self(Arc::from(id.to_string())));
        }
        if id.region.is_some() {
            id.region = None;
            push_unique(&mut out, Self(Arc::from(id.to_string())));
        }
        if id.script.is_some() {
            id.script = None;
            push_unique(&mut out, Self(Arc::from(id.to_string())));
        }
        out
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Appends `locale` to `list` unless it is there already.
pub(crate) fn push_unique(list: &mut Vec<Locale>, locale: Locale) {
    if !list.contains(&locale) {
        list.push(locale);
    }
}

/// A BCP 47 language tag, e.g. `ja`, `en`, `en-US`, `zh-Hans`. Input is
/// validated and canonicalized; an invalid tag is a `BAD_USER_INPUT` error.
#[Scalar(name = "Locale", specified_by_url = "https://www.rfc-editor.org/info/bcp47")]
impl ScalarType for Locale {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(tag) => Locale::parse(tag)
                .map_err(|err| InputValueError::custom(err).with_extension("code", code::BAD_USER_INPUT)),
            _ => Err(InputValueError::expected_type(value).with_extension("code", code::BAD_USER_INPUT)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}
