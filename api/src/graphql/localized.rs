//! The `locale` / `isFallback` / `availableLocales` fields of every
//! localized object, written once.
//!
//! Each localized object flattens [`LocaleFields`] into itself where the
//! three fields stand (`#[graphql(flatten)]`), so they keep their place in
//! the schema; the `Localized` interface reaches the same answers through
//! [`HasLocale`].

use std::future::{Ready, ready};

use async_graphql::{Context, Object};

use crate::delivery::locale::{Locale, Localization, Translation};

/// What a localized object says about the language of its text.
pub trait LocaleInfo: Send + Sync {
    /// The locale the shown text is in.
    fn shown(&self) -> Locale;
    /// True when the shown text is a fallback.
    fn fallback(&self) -> bool;
    /// Every locale with a readable text, sorted.
    fn every(&self) -> Vec<Locale>;
}

impl<T: Translation + Send + Sync> LocaleInfo for Localization<T> {
    fn shown(&self) -> Locale {
        self.locale()
    }

    fn fallback(&self) -> bool {
        self.is_fallback()
    }

    fn every(&self) -> Vec<Locale> {
        self.available()
    }
}

/// The three locale fields, borrowed from the object that shows them.
pub struct LocaleFields<'a>(pub &'a dyn LocaleInfo);

#[Object]
impl LocaleFields<'_> {
    /// The locale the text of this object is actually in.
    async fn locale(&self) -> Locale {
        self.0.shown()
    }

    /// True when the text is not in the requested language but in a fallback.
    async fn is_fallback(&self) -> bool {
        self.0.fallback()
    }

    /// Every locale this object can be read in.
    async fn available_locales(&self) -> Vec<Locale> {
        self.0.every()
    }
}

/// A localized object, as the `Localized` interface resolves it (the
/// interface calls these by name on each of its types).
pub trait HasLocale {
    /// The object's translations and the one shown.
    fn localization(&self) -> &dyn LocaleInfo;

    /// The `Localized` interface's `locale`.
    fn locale(&self, _ctx: &Context<'_>) -> Ready<async_graphql::Result<Locale>> {
        ready(Ok(self.localization().shown()))
    }

    /// The `Localized` interface's `isFallback`.
    fn is_fallback(&self, _ctx: &Context<'_>) -> Ready<async_graphql::Result<bool>> {
        ready(Ok(self.localization().fallback()))
    }

    /// The `Localized` interface's `availableLocales`.
    fn available_locales(&self, _ctx: &Context<'_>) -> Ready<async_graphql::Result<Vec<Locale>>> {
        ready(Ok(self.localization().every()))
    }
}
