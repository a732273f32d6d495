//! The checks every imported value passes: slugs, locales, texts, blocks, times.

use super::*;

/// A slug: lower-case ASCII letters and digits in hyphen-separated words.
pub(super) fn check_slug(at: &Location, slug: &str) -> Result<(), ImportError> {
    let ok = !slug.is_empty()
        && slug.len() <= 200
        && slug
            .split('-')
            .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            at,
            format!("`{slug}` is not a slug (lower-case words joined by hyphens)"),
        ))
    }
}

pub(super) fn canonical_locale(at: &Location, tag: &str) -> Result<String, ImportError> {
    let locale = Locale::parse(tag).map_err(|err| invalid(at, err.to_string()))?;
    if locale.as_str() != tag {
        return Err(invalid(at, format!("write locale `{tag}` as `{locale}`")));
    }
    Ok(locale.as_str().to_owned())
}

/// Checks the keys of a localized map and that the source locale is present.
pub(super) fn check_localized<T>(at: &Location, map: &Localized<T>, source: &str) -> Result<(), ImportError> {
    for tag in map.keys() {
        canonical_locale(at, tag)?;
    }
    if !map.contains_key(source) {
        return Err(invalid(at, format!("missing the source locale `{source}`")));
    }
    Ok(())
}

pub(super) fn check_text(at: &Location, text: &str) -> Result<(), ImportError> {
    if text.trim().is_empty() {
        Err(invalid(at, "text is empty"))
    } else if text.chars().count() > MAX_TEXT {
        Err(invalid(
            at,
            format!("text is {} characters long; at most {MAX_TEXT}", text.chars().count()),
        ))
    } else {
        Ok(())
    }
}

pub(super) fn check_blocks(at: &Location, blocks: &[Block]) -> Result<(), ImportError> {
    for (i, block) in blocks.iter().enumerate() {
        let at = at.then(format_args!("block {}", i + 1));
        if let Block::List(list) = block {
            if list.items.is_empty() {
                return Err(invalid(&at, "a list needs at least one item"));
            }
            if list.depth() > MAX_LIST_DEPTH {
                return Err(invalid(&at, format!("lists nest at most {MAX_LIST_DEPTH} deep")));
            }
        }
        for text in block.texts() {
            check_text(&at, text)?;
        }
    }
    Ok(())
}

/// A time from a content file, in UTC and to the microsecond.
///
/// Why the range: SQLite stores times as ISO 8601 text and compares them as
/// text, which orders correctly only for four-digit years. Why microseconds:
/// PostgreSQL keeps no finer precision, and both backends must store, order
/// and page through the same value.
pub(super) fn utc(
    at: &Location,
    field: &str,
    value: Option<DateTime<FixedOffset>>,
) -> Result<Option<DateTime<Utc>>, ImportError> {
    let Some(value) = value else { return Ok(None) };
    let value = value.with_timezone(&Utc);
    if !(EARLIEST..=LATEST).contains(&value) {
        return Err(invalid(
            &at.then(field),
            format!("{value} is outside the accepted range, {EARLIEST} to {LATEST}"),
        ));
    }
    Ok(Some(value.trunc_subsecs(6)))
}
