//! The texts the lint reads, normalized as the patterns read them.

use super::*;

/// One piece of text the lint reads.
pub(super) struct Text<'a> {
    pub(super) locale: &'a str,
    pub(super) anchor: Option<&'a str>,
    pub(super) field: String,
    /// As written.
    pub(super) original: &'a str,
    /// As the patterns read it.
    pub(super) seen: Normalized,
}

impl<'a> Text<'a> {
    pub(super) fn new(locale: &'a str, anchor: Option<&'a str>, field: String, original: &'a str) -> Self {
        Self {
            locale,
            anchor,
            field,
            original,
            seen: Normalized::of(original),
        }
    }

    /// The written characters behind the span `start..end` (bytes) of the
    /// normalized text: their character offsets and the words as written.
    pub(super) fn span(&self, start: usize, end: usize) -> (usize, usize, String) {
        let (from, to) = self.seen.original_chars(start, end);
        (from, to, self.original.chars().skip(from).take(to - from).collect())
    }
}

/// Text as the patterns read it: compatibility-normalized (NFKC: ＡＢＣ１００％
/// reads as ABC100%, ｶﾀｶﾅ as カタカナ), without format characters (zero-width
/// spaces and joiners, bidirectional controls, soft hyphens), so that
/// 「必\u{200B}ず治ります」 matches what readers see. Each character
/// remembers the written character it came from, so a finding quotes what
/// was written.
pub(super) struct Normalized {
    pub(super) text: String,
    /// Per normalized character: its byte offset, and the index of the
    /// written character it came from; ascending.
    pub(super) origin: Vec<(usize, usize)>,
}

/// Characters that change nothing a reader sees (Unicode's format
/// characters that occur in text).
pub(super) fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

impl Normalized {
    pub(super) fn of(original: &str) -> Self {
        use unicode_normalization::UnicodeNormalization as _;
        let mut text = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len());
        for (i, c) in original.chars().enumerate() {
            if c.is_ascii() {
                origin.push((text.len(), i));
                text.push(c);
            } else if !invisible(c) {
                for n in std::iter::once(c).nfkc() {
                    origin.push((text.len(), i));
                    text.push(n);
                }
            }
        }
        Self { text, origin }
    }

    /// The written characters (`from..to`, character offsets) behind the
    /// bytes `start..end` of the normalized text.
    pub(super) fn original_chars(&self, start: usize, end: usize) -> (usize, usize) {
        let at = |byte: usize| self.origin.partition_point(|(b, _)| *b < byte);
        let from = self.origin.get(at(start)).map_or_else(|| self.written(), |(_, i)| *i);
        let last = at(end).checked_sub(1).and_then(|k| self.origin.get(k));
        let to = match last {
            Some((_, i)) if end > start => i + 1,
            _ => from,
        };
        (from, to.max(from))
    }

    /// How many written characters there were (past the last one seen).
    pub(super) fn written(&self) -> usize {
        self.origin.last().map_or(0, |(_, i)| i + 1)
    }
}

/// Every text of `doc` the lint reads, in reading order per locale: an
/// image's alt text and caption (from `facts`) where the image is shown.
pub(super) fn texts<'a>(doc: &'a ArticleDoc, facts: &'a Facts) -> Vec<Text<'a>> {
    let mut out = Vec::new();
    pub(super) fn blocks<'a>(
        out: &mut Vec<Text<'a>>,
        facts: &'a Facts,
        locale: &'a str,
        anchor: Option<&'a str>,
        name: &str,
        list: &'a [Block],
    ) {
        for (i, block) in list.iter().enumerate() {
            if let Some((alt, caption)) = block.image().and_then(|id| facts.images.get(&(id, locale.to_owned()))) {
                out.push(Text::new(locale, anchor, format!("{name}[{i}].alt"), alt));
                if let Some(caption) = caption {
                    out.push(Text::new(locale, anchor, format!("{name}[{i}].caption"), caption));
                }
            }
            let parts = block.texts();
            let several = parts.len() > 1;
            for (j, text) in parts.into_iter().enumerate() {
                let field = if several {
                    format!("{name}[{i}].texts[{j}]")
                } else {
                    format!("{name}[{i}]")
                };
                out.push(Text::new(locale, anchor, field, text));
            }
        }
    }
    for (locale, t) in &doc.translations {
        let fields = [
            ("title", Some(&t.title)),
            ("lead", Some(&t.lead)),
            ("seo_title", t.seo_title.as_ref()),
            ("seo_description", t.seo_description.as_ref()),
        ];
        for (name, text) in fields {
            if let Some(text) = text {
                out.push(Text::new(locale, None, name.to_owned(), text));
            }
        }
        blocks(&mut out, facts, locale, None, "intro", &t.intro);
    }
    pub(super) fn sections<'a>(out: &mut Vec<Text<'a>>, facts: &'a Facts, list: &'a [SectionDoc]) {
        for s in list {
            let anchor = Some(s.anchor.as_str());
            for (locale, heading) in &s.heading {
                out.push(Text::new(locale, anchor, "heading".to_owned(), heading));
            }
            for (locale, list) in &s.blocks {
                blocks(out, facts, locale, anchor, "blocks", list);
            }
            for (i, claim) in s.claims.iter().enumerate() {
                for (locale, text) in &claim.text {
                    out.push(Text::new(locale, anchor, format!("claims[{i}]"), text));
                }
            }
            sections(out, facts, &s.sections);
        }
    }
    sections(&mut out, facts, &doc.sections);
    out
}
