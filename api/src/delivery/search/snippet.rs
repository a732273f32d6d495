//! The passage shown with a hit: the section whose text matches the query
//! best, cut to a window around its densest matches, with the matches
//! marked, and the section's anchor to link to.

use tantivy::tokenizer::TextAnalyzer;

use super::analyzer;
use super::documents::Passage;
use super::query::Part;

/// Characters in a snippet, about two lines of a phone screen.
const WINDOW: usize = 120;
/// Characters of context kept before the first match in the window.
const CONTEXT: usize = 24;

/// A hit's passage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The anchor of the section it comes from; `None` for the lead.
    pub anchor: Option<String>,
    /// That section's heading.
    pub heading: Option<String>,
    /// The passage, with `…` where it was cut.
    pub text: String,
    /// Byte ranges of `text` that matched, in order, not overlapping.
    pub highlights: Vec<(usize, usize)>,
}

/// A match: its byte range and the index of the part it matches.
pub type Match = (usize, usize, usize);

/// Byte ranges of `text` that match one of `parts`, with the part matched.
pub fn matches(parts: &[Part], text: &str, stemmer: &mut TextAnalyzer) -> Vec<Match> {
    let mut terms = analyzer::terms(text);
    for term in terms.iter_mut().filter(|t| !t.cjk) {
        term.text = analyzer::stem(stemmer, &term.text);
    }
    let mut found = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        match part {
            Part::Sequence(seq) => {
                let n = seq.len();
                if n == 0 || n > terms.len() {
                    continue;
                }
                for i in 0..=terms.len() - n {
                    let window = &terms[i..i + n];
                    // Consecutive terms, as the index's phrase matches them.
                    if window.iter().zip(seq).all(|(t, s)| &t.text == s) {
                        found.push((window[0].from, window[n - 1].to, index));
                    }
                }
            }
            Part::Char(c) => {
                for (at, ch) in text.char_indices().filter(|(_, ch)| ch == c) {
                    found.push((at, at + ch.len_utf8(), index));
                }
            }
        }
    }
    found.sort_unstable();
    found
}

/// The best passage of a document for `parts`.
pub fn best(parts: &[Part], lead: &str, passages: &[Passage], stemmer: &mut TextAnalyzer) -> Snippet {
    let mut chosen: Option<(usize, Option<&Passage>, Vec<Match>)> = None;
    let candidates = std::iter::once((None, lead)).chain(passages.iter().map(|p| (Some(p), p.text.as_str())));
    for (passage, text) in candidates {
        let found = matches(parts, text, stemmer);
        let mut distinct: Vec<usize> = found.iter().map(|m| m.2).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let in_heading = passage.map_or(0, |p| {
            let mut parts_in = matches(parts, &p.heading, stemmer)
                .into_iter()
                .map(|m| m.2)
                .collect::<Vec<_>>();
            parts_in.sort_unstable();
            parts_in.dedup();
            parts_in.len()
        });
        if found.is_empty() && in_heading == 0 {
            continue;
        }
        let score = distinct.len() * 100 + in_heading * 60 + found.len().min(20);
        if chosen.as_ref().is_none_or(|(best, _, _)| score > *best) {
            chosen = Some((score, passage, found));
        }
    }
    match chosen {
        Some((_, passage, found)) => {
            let text = passage.map_or(lead, |p| p.text.as_str());
            let (text, highlights) = cut(text, &found);
            Snippet {
                anchor: passage.and_then(|p| p.anchor.clone()),
                heading: passage.map(|p| p.heading.clone()),
                text,
                highlights,
            }
        }
        None => {
            let (text, _) = cut(lead, &[]);
            Snippet {
                anchor: None,
                heading: None,
                text,
                highlights: Vec::new(),
            }
        }
    }
}

/// The window of `text` holding the most distinct parts of `found`, and
/// the matches inside it, relative to the returned text.
fn cut(text: &str, found: &[Match]) -> (String, Vec<(usize, usize)>) {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let char_at = |byte: usize| chars.partition_point(|(at, _)| *at < byte);
    // The window's start, in characters: CONTEXT before the match that
    // begins the window with the most distinct parts (earliest on ties).
    let mut start = 0;
    let mut best = 0;
    for (i, m) in found.iter().enumerate().take(200) {
        let from = char_at(m.0).saturating_sub(CONTEXT);
        let end_byte = chars.get(from + WINDOW).map_or(text.len(), |c| c.0);
        let mut parts: Vec<usize> = found[i..].iter().take_while(|n| n.1 <= end_byte).map(|n| n.2).collect();
        parts.sort_unstable();
        parts.dedup();
        if parts.len() > best {
            best = parts.len();
            start = from;
        }
    }
    let end = (start + WINDOW).min(chars.len());
    let from_byte = chars.get(start).map_or(text.len(), |c| c.0);
    let to_byte = chars.get(end).map_or(text.len(), |c| c.0);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let offset = out.len();
    // Lines become spaces: a snippet is one run of text.
    out.extend(
        text[from_byte..to_byte]
            .chars()
            .map(|c| if c == '\n' { ' ' } else { c }),
    );
    let body_end = out.trim_end().len();
    out.truncate(body_end);
    if end < chars.len() {
        out.push('…');
    }
    let mut highlights: Vec<(usize, usize)> = Vec::new();
    for m in found.iter().filter(|m| m.0 >= from_byte && m.1 <= to_byte) {
        let (a, b) = (m.0 - from_byte + offset, (m.1 - from_byte + offset).min(body_end));
        if a >= b {
            continue;
        }
        match highlights.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => highlights.push((a, b)),
        }
    }
    (out, highlights)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(query: &str) -> Vec<Part> {
        super::super::query::parse(query, &mut analyzer::analyzer()).unwrap_or_default()
    }

    #[test]
    fn the_section_with_the_match_is_chosen_and_marked() {
        let passages = vec![
            Passage {
                anchor: Some("a".into()),
                heading: "概要".into(),
                text: "エクソソームは細胞から分泌される。".into(),
            },
            Passage {
                anchor: Some("b".into()),
                heading: "注意点".into(),
                text: "点滴による副作用として、発熱が報告されている。".into(),
            },
        ];
        let snippet = best(&parts("副作用"), "リード", &passages, &mut analyzer::analyzer());
        assert_eq!(snippet.anchor.as_deref(), Some("b"));
        let marked: Vec<&str> = snippet.highlights.iter().map(|(a, b)| &snippet.text[*a..*b]).collect();
        assert_eq!(marked, ["副作用"]);
    }

    #[test]
    fn long_text_is_cut_around_the_match_and_words_match_by_stem() {
        let text = format!(
            "{} The side effects are mild. {}",
            "filler ".repeat(40),
            "more ".repeat(40)
        );
        let passages = vec![Passage {
            anchor: Some("x".into()),
            heading: "Cautions".into(),
            text,
        }];
        let snippet = best(&parts("side effect"), "lead", &passages, &mut analyzer::analyzer());
        assert!(
            snippet.text.starts_with('…') && snippet.text.ends_with('…'),
            "{}",
            snippet.text
        );
        let marked: Vec<&str> = snippet.highlights.iter().map(|(a, b)| &snippet.text[*a..*b]).collect();
        assert_eq!(marked, ["side", "effects"]);
    }
}
