//! Reading blocks, inline text and claims inside a section.

use super::read::*;
use super::*;

impl<'a> Reader<'a> {
    /// Whether the paragraph starting here holds an image and nothing
    /// else: an image block.
    pub(super) fn image_alone(&self) -> bool {
        let Some((Event::Start(Tag::Image { .. }), _)) = self.events.get(self.pos + 1) else {
            return false;
        };
        let end = self.events[self.pos + 1..]
            .iter()
            .position(|(e, _)| matches!(e, Event::End(TagEnd::Image)));
        end.is_some_and(|end| {
            matches!(
                self.events.get(self.pos + 2 + end),
                Some((Event::End(TagEnd::Paragraph), _))
            )
        })
    }

    /// Reads `![alt](file "caption")`: an image block naming a stand-in id until the
    /// file is uploaded (see [`MarkdownArticle::images`]).
    pub(super) fn image(&mut self, line: usize) -> Option<Block> {
        let Some((Event::Start(Tag::Image { dest_url, title, .. }), _)) = self.peek() else {
            return None;
        };
        let (file, title) = (dest_url.to_string(), title.to_string());
        self.pos += 1;
        let mut alt = Vec::new();
        let mut clean = true;
        while let Some((event, range)) = self.peek() {
            match event {
                Event::Text(text) => self.push_text(&mut alt, &text, &range),
                Event::End(TagEnd::Image) => break,
                _ => clean = false,
            }
            self.pos += 1;
        }
        self.pos += 1;
        if !clean {
            self.error(
                line,
                "an image's alt text is plain text: escape markup in it with a backslash",
            );
            return None;
        }
        if file.is_empty()
            || file.contains("://")
            || file.starts_with('/')
            || file.split(['/', '\\']).any(|p| p == "..")
        {
            self.error(
                line,
                format!("image `{file}` is not a file beside this one: write `![alt text](picture.jpg)`"),
            );
            return None;
        }
        let stand_in = uuid::Uuid::from_u128(self.images.len() as u128 + 1);
        self.images.push(MarkdownImage {
            line,
            file,
            alt: plain(trim(&alt)),
            caption: Some(title).filter(|t| !t.trim().is_empty()),
            stand_in,
        });
        Some(Block::Image(ImageBlock { image: stand_in }))
    }

    /// Reads inline content up to the next block-level event.
    pub(super) fn inline(&mut self) -> Inline {
        let mut inline = Inline::default();
        let mut first = true;
        let mut nested = 0usize;
        while let Some((event, range)) = self.peek() {
            let line = self.line(&range);
            match event {
                Event::Text(text) => self.push_text(&mut inline.chars, &text, &range),
                Event::SoftBreak => inline.chars.push(Ch {
                    c: '\n',
                    escaped: false,
                }),
                Event::HardBreak => inline.chars.push(Ch { c: '\n', escaped: true }),
                Event::Start(Tag::Strong) if first => {
                    self.pos += 1;
                    let mut label = Vec::new();
                    while let Some((Event::Text(text), range)) = self.peek() {
                        self.push_text(&mut label, &text, &range);
                        self.pos += 1;
                    }
                    if matches!(self.peek(), Some((Event::End(TagEnd::Strong), _))) {
                        inline.label = Some(plain(&label));
                    } else {
                        // The markup inside reports itself; the bold text
                        // is never a label then.
                        nested += 1;
                        first = false;
                        continue;
                    }
                }
                Event::Start(tag) if is_inline(&tag) => {
                    self.error(
                        line,
                        format!(
                            "{} not kept: texts are plain (escape a literal `*`, `_`, `[` with a backslash)",
                            unsupported(&tag)
                        ),
                    );
                    nested += 1;
                }
                Event::End(end) if nested > 0 && is_inline_end(end) => nested -= 1,
                Event::Code(_) => self.error(
                    line,
                    "code is not kept: texts are plain (escape a literal ` with a backslash)",
                ),
                Event::InlineHtml(_) | Event::Html(_) => self.error(
                    line,
                    "HTML is not kept: texts are plain (escape a literal < with a backslash)",
                ),
                Event::InlineMath(_)
                | Event::DisplayMath(_)
                | Event::FootnoteReference(_)
                | Event::TaskListMarker(_) => self.error(line, "markup is not kept: texts are plain"),
                _ => break,
            }
            first = false;
            self.pos += 1;
        }
        inline
    }

    pub(super) fn push_text(&self, out: &mut Vec<Ch>, text: &str, range: &Range<usize>) {
        // The parser hands out raw slices of the file, but an escaped
        // character starts a new slice right after its backslash, and a
        // character reference is text that differs from the file.
        let raw = self.src.get(range.clone()) == Some(text);
        let backslashes = self
            .src
            .get(..range.start)
            .map_or(0, |before| before.bytes().rev().take_while(|b| *b == b'\\').count());
        let escaped_first = !raw || backslashes % 2 == 1;
        for (i, c) in text.chars().enumerate() {
            out.push(Ch {
                c,
                escaped: !raw || (i == 0 && escaped_first),
            });
        }
    }

    pub(super) fn list(&mut self) -> ListBlock {
        let ordered = matches!(self.peek(), Some((Event::Start(Tag::List(Some(_))), _)));
        self.pos += 1;
        let mut items = Vec::new();
        while let Some((event, range)) = self.peek() {
            match event {
                Event::Start(Tag::Item) => {
                    self.pos += 1;
                    let (chars, list) = self.item();
                    items.push(ListItem {
                        text: plain(&chars),
                        list,
                    });
                }
                Event::End(_) => {
                    self.pos += 1;
                    break;
                }
                _ => {
                    let line = self.line(&range);
                    self.error(line, "unexpected content in a list");
                    self.skip();
                }
            }
        }
        ListBlock { ordered, items }
    }

    /// Reads a list item after its start: its text and its nested list.
    pub(super) fn item(&mut self) -> (Vec<Ch>, Option<ListBlock>) {
        let shape = "a list item holds one line of text and at most one nested list";
        let mut text: Option<Vec<Ch>> = None;
        let mut list = None;
        let mut reported = false;
        while let Some((event, range)) = self.peek() {
            let at = self.line(&range);
            let fits = text.is_none() && list.is_none();
            let inline = match event {
                Event::End(_) => {
                    self.pos += 1;
                    break;
                }
                Event::Start(Tag::List(_)) if list.is_none() => {
                    list = Some(self.list());
                    continue;
                }
                // A loose list wraps its items' text in paragraphs; a tight
                // one does not.
                Event::Start(Tag::Paragraph) if fits => {
                    self.pos += 1;
                    let inline = self.inline();
                    self.expect_end(at);
                    inline
                }
                Event::Start(_) => {
                    if !std::mem::replace(&mut reported, true) {
                        self.error(at, shape);
                    }
                    self.skip();
                    continue;
                }
                _ if fits => self.inline(),
                _ => {
                    if !std::mem::replace(&mut reported, true) {
                        self.error(at, shape);
                    }
                    self.pos += 1;
                    continue;
                }
            };
            if inline.label.is_some() {
                self.error(at, "bold text is not kept: texts are plain");
            }
            text = Some(inline.chars);
        }
        (text.unwrap_or_default(), list)
    }

    /// Reads a quotation as a note; `None` (with the problem noted) when it
    /// is not one.
    pub(super) fn note(&mut self, line: usize) -> Option<NoteBlock> {
        self.pos += 1;
        let shape = "a note is a quotation `> [!INFO] optional title`, then `> text` on the next line";
        let inline = match self.peek() {
            Some((Event::Start(Tag::Paragraph), _)) => {
                self.pos += 1;
                let inline = self.inline();
                self.expect_end(line);
                inline
            }
            _ => Inline::default(),
        };
        let well_formed = matches!(self.peek(), Some((Event::End(_), _)));
        self.skip_to_end();
        let chars = inline.chars;
        let opens = chars.first().is_some_and(|ch| is_markup(ch, '[')) && chars.get(1).is_some_and(|ch| ch.c == '!');
        let close = chars.iter().position(|ch| is_markup(ch, ']'));
        let (true, Some(close), None, true) = (opens, close, &inline.label, well_formed) else {
            self.error(line, shape);
            return None;
        };
        let word = plain(chars.get(2..close).unwrap_or_default());
        let tone = parse_word::<NoteTone>(&word);
        if tone.is_none() {
            self.error(
                line,
                format!("unknown note tone `{word}`; use one of {}", spelled_all::<NoteTone>()),
            );
        }
        let rest = chars.get(close + 1..).unwrap_or_default();
        let Some(newline) = rest.iter().position(|ch| is_markup(ch, '\n')) else {
            self.error(line, shape);
            return None;
        };
        let title = trim(rest.get(..newline).unwrap_or_default());
        let text = trim(rest.get(newline + 1..).unwrap_or_default());
        Some(NoteBlock {
            tone: tone?,
            title: (!title.is_empty()).then(|| plain(title)),
            text: plain(text),
        })
    }

    pub(super) fn claims(&mut self) -> Vec<ClaimDoc> {
        self.pos += 1;
        let mut claims = Vec::new();
        while let Some((event, range)) = self.peek() {
            let line = self.line(&range);
            match event {
                Event::Start(Tag::Item) => {
                    self.pos += 1;
                    let (chars, list) = self.item();
                    if list.is_some() {
                        self.error(line, "a claim is one line; it has no nested list");
                    }
                    if let Some(claim) = self.claim(&chars, line) {
                        claims.push(claim);
                    }
                }
                Event::End(_) => {
                    self.pos += 1;
                    break;
                }
                _ => self.skip(),
            }
        }
        claims
    }

    pub(super) fn claim(&mut self, chars: &[Ch], line: usize) -> Option<ClaimDoc> {
        let shape = "a claim is `{KIND · EVIDENCE} text [@key, locator] [@key]`";
        let close = chars.iter().position(|ch| is_markup(ch, '}'));
        let (true, Some(close)) = (chars.first().is_some_and(|ch| is_markup(ch, '{')), close) else {
            self.error(line, shape);
            return None;
        };
        let inside = plain(chars.get(1..close).unwrap_or_default());
        let words: Vec<&str> = inside
            .split(|c: char| c.is_whitespace() || matches!(c, '·' | ',' | '/'))
            .filter(|w| !w.is_empty())
            .collect();
        let [kind_word, evidence_word] = words.as_slice() else {
            self.error(line, format!("{shape}: the braces hold a kind and an evidence level"));
            return None;
        };
        let kind = parse_word::<ClaimKind>(kind_word);
        if kind.is_none() {
            self.error(
                line,
                format!(
                    "unknown claim kind `{kind_word}`; use one of {}",
                    spelled_all::<ClaimKind>()
                ),
            );
        }
        let evidence = parse_word::<EvidenceLevel>(evidence_word);
        if evidence.is_none() {
            self.error(
                line,
                format!(
                    "unknown evidence level `{evidence_word}`; use one of {}",
                    spelled_all::<EvidenceLevel>()
                ),
            );
        }
        let rest = chars.get(close + 1..).unwrap_or_default();
        let cited_from = rest.iter().position(|ch| is_markup(ch, '[')).unwrap_or(rest.len());
        let text = trim(rest.get(..cited_from).unwrap_or_default());
        let references = self.citations(rest.get(cited_from..).unwrap_or_default(), line)?;
        let mut texts = BTreeMap::new();
        if text.is_empty() {
            if self.source {
                self.error(line, "a claim needs its text in the source locale");
            }
        } else {
            texts.insert(self.locale.clone(), plain(text));
        }
        Some(ClaimDoc {
            kind: kind?,
            evidence: evidence?,
            text: texts,
            references,
        })
    }

    pub(super) fn citations(&mut self, mut chars: &[Ch], line: usize) -> Option<Vec<CitationDoc>> {
        let shape = "after its text, a claim lists its references as `[@key]` or `[@key, locator]`";
        let mut citations = Vec::new();
        loop {
            chars = trim(chars);
            if chars.is_empty() {
                return Some(citations);
            }
            let opens =
                chars.first().is_some_and(|ch| is_markup(ch, '[')) && chars.get(1).is_some_and(|ch| ch.c == '@');
            let close = chars.iter().position(|ch| is_markup(ch, ']'));
            let (true, Some(close)) = (opens, close) else {
                self.error(line, shape);
                return None;
            };
            let inside = chars.get(2..close).unwrap_or_default();
            let (key, locator) = match inside.iter().position(|ch| is_markup(ch, ',')) {
                Some(comma) => (
                    trim(inside.get(..comma).unwrap_or_default()),
                    Some(trim(inside.get(comma + 1..).unwrap_or_default())),
                ),
                None => (trim(inside), None),
            };
            if key.is_empty() {
                self.error(line, format!("{shape}: a reference key is missing"));
                return None;
            }
            citations.push(CitationDoc {
                reference: plain(key),
                locator: locator.filter(|l| !l.is_empty()).map(plain),
            });
            chars = chars.get(close + 1..).unwrap_or_default();
        }
    }
}
