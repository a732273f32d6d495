//! How text becomes search terms, the same way for documents and queries.
//!
//! Japanese (and Chinese, Korean) is written without spaces, and dictionary
//! tokenizers need dictionaries downloaded at build time; so, as
//! Elasticsearch's `cjk` analyzer and `pg_bigm` do, each run of CJK
//! characters is indexed as overlapping character bigrams (副作用 → 副作,
//! 作用), and a query's run is matched as a phrase of its bigrams. Other
//! letters and digits form words, lowercased and stemmed (English Snowball),
//! so "side effects" finds "side effect". Text is read through NFKC first:
//! fullwidth ＡＢＣ and half-width ｶﾀｶﾅ are the letters readers see.

use tantivy::tokenizer::{Language, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization as _;

/// The name the analyzer is registered under in the index.
pub const NAME: &str = "kiji";

/// One term with where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The term (a bigram, a single CJK character, or a lowercased word,
    /// not yet stemmed).
    pub text: String,
    /// Byte offsets of the original text it came from.
    pub from: usize,
    /// End of that range.
    pub to: usize,
    /// Which run of characters of one kind it belongs to: the bigrams of a
    /// query's run are matched as one phrase.
    pub run: usize,
    /// Whether it is a CJK bigram (or lone character).
    pub cjk: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Cjk,
    Word,
    Other,
}

fn class(c: char) -> Class {
    let cp = c as u32;
    let cjk = matches!(cp,
        0x3005..=0x3007          // 々 〆 〇
        | 0x3040..=0x30FF        // hiragana, katakana (with ー)
        | 0x31F0..=0x31FF        // katakana extensions
        | 0x3400..=0x4DBF        // CJK extension A
        | 0x4E00..=0x9FFF        // CJK unified ideographs
        | 0xAC00..=0xD7AF        // Hangul syllables
        | 0xF900..=0xFAFF        // compatibility ideographs
        | 0x20000..=0x3134F); // extensions B to G
    if cjk {
        Class::Cjk
    } else if c.is_alphanumeric() {
        Class::Word
    } else {
        Class::Other
    }
}

/// The terms of `text`, in order, before stemming.
pub fn terms(text: &str) -> Vec<Term> {
    // Each original character, normalized, with its byte range.
    let mut chars: Vec<(char, usize, usize, Class)> = Vec::with_capacity(text.len() / 2);
    for (at, c) in text.char_indices() {
        let end = at + c.len_utf8();
        for n in std::iter::once(c).nfkc().flat_map(char::to_lowercase) {
            chars.push((n, at, end, class(n)));
        }
    }
    let mut out = Vec::new();
    let mut run = 0;
    let mut i = 0;
    while i < chars.len() {
        let kind = chars[i].3;
        let start = i;
        while i < chars.len() && chars[i].3 == kind {
            i += 1;
        }
        let group = &chars[start..i];
        match kind {
            Class::Other => continue,
            Class::Word => out.push(Term {
                text: group.iter().map(|c| c.0).collect(),
                from: group[0].1,
                to: group[group.len() - 1].2,
                run,
                cjk: false,
            }),
            Class::Cjk if group.len() == 1 => out.push(Term {
                text: group[0].0.to_string(),
                from: group[0].1,
                to: group[0].2,
                run,
                cjk: true,
            }),
            Class::Cjk => {
                for pair in group.windows(2) {
                    out.push(Term {
                        text: [pair[0].0, pair[1].0].iter().collect(),
                        from: pair[0].1,
                        to: pair[1].2,
                        run,
                        cjk: true,
                    });
                }
            }
        }
        run += 1;
    }
    out
}

/// The analyzer registered in the index: [`terms`], then the stemmer.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(Bigrams)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The stemmed form of a word, as the index holds it.
pub fn stem(analyzer: &mut TextAnalyzer, word: &str) -> String {
    let mut stream = analyzer.token_stream(word);
    let mut out = String::new();
    while stream.advance() {
        out.push_str(&stream.token().text);
    }
    out
}

/// [`terms`] as a tantivy tokenizer.
#[derive(Clone, Default)]
pub struct Bigrams;

/// The terms of one text, handed out one by one.
pub struct BigramStream {
    terms: std::vec::IntoIter<Term>,
    token: Token,
}

impl Tokenizer for Bigrams {
    type TokenStream<'a> = BigramStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BigramStream {
        BigramStream {
            terms: terms(text).into_iter(),
            token: Token {
                position: usize::MAX,
                ..Token::default()
            },
        }
    }
}

impl TokenStream for BigramStream {
    fn advance(&mut self) -> bool {
        match self.terms.next() {
            Some(term) => {
                self.token.position = self.token.position.wrapping_add(1);
                self.token.offset_from = term.from;
                self.token.offset_to = term.to;
                self.token.text = term.text;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        terms(text).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn japanese_is_bigrams_and_latin_is_words() {
        assert_eq!(texts("副作用"), ["副作", "作用"]);
        assert_eq!(texts("点滴"), ["点滴"]);
        assert_eq!(texts("肌"), ["肌"]);
        assert_eq!(texts("iPS細胞とは"), ["ips", "細胞", "胞と", "とは"]);
        // Fullwidth letters and half-width katakana read as what they are.
        assert_eq!(texts("ＣＤ６３ ｴｸｿ"), ["cd63", "エク", "クソ"]);
        assert_eq!(texts("Side-effects, 2024."), ["side", "effects", "2024"]);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "概要：エクソソーム";
        for term in terms(text) {
            assert!(text.get(term.from..term.to).is_some(), "{term:?}");
        }
        let words = terms("ＡＢ cd");
        assert_eq!((words[0].from, words[0].to), (0, 6));
        assert_eq!(words[1].run, 1);
    }

    #[test]
    fn words_are_stemmed() {
        let mut analyzer = analyzer();
        assert_eq!(stem(&mut analyzer, "effects"), stem(&mut analyzer, "effect"));
        assert_eq!(stem(&mut analyzer, "Exosomes"), stem(&mut analyzer, "exosome"));
    }
}
