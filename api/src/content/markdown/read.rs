//! Reading a Markdown file: front matter, headings and the section tree.

use super::*;

pub fn from_markdown(text: &str) -> Result<MarkdownArticle, Vec<LineError>> {
    let index = LineIndex::new(text);
    let mut errors = Vec::new();
    let Some((matter, body_start)) = front_matter(text, &mut errors) else {
        return Err(errors);
    };
    let (locale, source) = match &matter {
        Some(m) => (m.locale.clone(), m.locale == m.source_locale),
        None => (String::new(), false),
    };
    let body = text.get(body_start..).unwrap_or_default();
    let mut reader = Reader {
        src: body,
        offset: body_start,
        index: &index,
        events: Parser::new_ext(body, options()).into_offset_iter().collect(),
        pos: 0,
        errors: Vec::new(),
        locale: locale.clone(),
        source,
        images: Vec::new(),
    };
    let read = reader.document();
    errors.extend(reader.errors);
    let images = reader.images;
    let (Some(matter), Some(title), true) = (matter, read.title, errors.is_empty()) else {
        errors.sort_by_key(|e| e.line);
        return Err(errors);
    };
    let text = ArticleText {
        title,
        lead: matter.translation.lead,
        intro: read.intro,
        seo_title: matter.translation.seo_title,
        seo_description: matter.translation.seo_description,
        status: matter.translation.status,
        source_revision: matter.translation.source_revision,
    };
    let doc = ArticleDoc {
        slug: matter.slug,
        category: matter.category,
        source_locale: matter.source_locale,
        status: matter.status,
        revision: matter.revision,
        published_at: matter.published_at,
        updated_at: matter.updated_at,
        source: matter.source.map(|s| SourceNote {
            note: s.note,
            url: s.url,
        }),
        tags: matter.tags,
        contributors: matter.contributors.into_iter().map(ContributorDoc::from).collect(),
        translations: BTreeMap::from([(locale.clone(), text)]),
        sections: read.sections,
        lint_override: matter.lint_override,
    };
    Ok(MarkdownArticle {
        locale,
        doc,
        lines: read.lines,
        images,
    })
}

/// Byte offsets of line starts, to turn offsets into 1-based lines.
pub(super) struct LineIndex(Vec<usize>);

impl LineIndex {
    pub(super) fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(
                text.bytes()
                    .enumerate()
                    .filter(|(_, b)| *b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        Self(starts)
    }

    pub(super) fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset).max(1)
    }
}

/// The front matter (`None` when it is invalid, with the problem in
/// `errors`) and where the body starts; `None` when the body cannot be
/// found at all.
pub(super) fn front_matter(text: &str, errors: &mut Vec<LineError>) -> Option<(Option<FrontMatter>, usize)> {
    let mut lines = text.split_inclusive('\n');
    let opening = lines.next().unwrap_or_default();
    if opening.trim_start_matches('\u{feff}').trim_end() != "---" {
        errors.push(LineError {
            line: 1,
            message: "a file starts with its front matter between two `---` lines".to_owned(),
        });
        return None;
    }
    let yaml_start = opening.len();
    let mut at = yaml_start;
    for line in lines {
        if line.trim_end() == "---" {
            let yaml = text.get(yaml_start..at).unwrap_or_default();
            let matter = match serde_norway::from_str::<FrontMatter>(yaml) {
                Ok(matter) => Some(matter),
                Err(err) => {
                    // The YAML starts on the file's second line.
                    let line = err.location().map_or(1, |l| l.line() + 1);
                    errors.push(LineError {
                        line,
                        message: format!("front matter: {}", yaml_message(&err, 1)),
                    });
                    None
                }
            };
            return Some((matter, at + line.len()));
        }
        at += line.len();
    }
    errors.push(LineError {
        line: 1,
        message: "the front matter has no closing `---` line".to_owned(),
    });
    None
}

/// The YAML error's message without its position (the [`LineError`] has
/// it), with any other line it names counted from the file's start.
pub(super) fn yaml_message(err: &serde_norway::Error, shift: usize) -> String {
    let mut message = err.to_string();
    if let Some(location) = err.location() {
        message = message.replacen(
            &format!(" at line {} column {}", location.line(), location.column()),
            "",
            1,
        );
    }
    let mut out = String::new();
    let mut rest = message.as_str();
    while let Some(i) = rest.find("line ") {
        let (before, after) = rest.split_at(i + "line ".len());
        out.push_str(before);
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + shift).to_string()),
            Err(_) => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// One character of inline text; `escaped` when it was written with a
/// backslash or as a character reference, so it can never be markup.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ch {
    pub(super) c: char,
    pub(super) escaped: bool,
}

/// A run of inline text: a bold label it starts with (`**Q.**`), if any,
/// and the rest.
#[derive(Debug, Default)]
pub(super) struct Inline {
    pub(super) label: Option<String>,
    pub(super) chars: Vec<Ch>,
}

/// Plain text; a soft line break (hand-wrapped text) reads as a space.
pub(super) fn plain(chars: &[Ch]) -> String {
    chars
        .iter()
        .map(|ch| if ch.c == '\n' && !ch.escaped { ' ' } else { ch.c })
        .collect()
}

pub(super) fn is_markup(ch: &Ch, c: char) -> bool {
    ch.c == c && !ch.escaped
}

/// `chars` without the unescaped spaces around it that separate it from
/// markup.
pub(super) fn trim(chars: &[Ch]) -> &[Ch] {
    let start = chars.iter().position(|ch| !is_markup(ch, ' ')).unwrap_or(chars.len());
    let end = chars
        .iter()
        .rposition(|ch| !is_markup(ch, ' '))
        .map_or(start, |i| i + 1);
    chars.get(start..end.max(start)).unwrap_or_default()
}

/// What a file says, before it is put together with its front matter.
#[derive(Default)]
pub(super) struct Read {
    pub(super) title: Option<String>,
    pub(super) intro: Vec<Block>,
    pub(super) sections: Vec<SectionDoc>,
    pub(super) lines: HashMap<String, usize>,
}

/// A section whose heading has been read and whose end has not.
pub(super) struct Open {
    pub(super) depth: usize,
    pub(super) line: usize,
    pub(super) section: SectionDoc,
    pub(super) blocks: Vec<Block>,
    pub(super) claims_line: Option<usize>,
}

/// One top-level element of the body.
pub(super) enum Element {
    Heading {
        level: usize,
        text: String,
        id: Option<String>,
        classes: Vec<String>,
        other_attributes: bool,
    },
    Block(Block),
    Question(String),
    Answer(String),
    ClaimsMarker,
    Nothing,
}

/// Walks the body's events, collecting every problem on the way.
pub(super) struct Reader<'a> {
    pub(super) src: &'a str,
    pub(super) offset: usize,
    pub(super) index: &'a LineIndex,
    pub(super) events: Vec<(Event<'a>, Range<usize>)>,
    pub(super) pos: usize,
    pub(super) errors: Vec<LineError>,
    pub(super) locale: String,
    pub(super) source: bool,
    pub(super) images: Vec<MarkdownImage>,
}

impl<'a> Reader<'a> {
    pub(super) fn line(&self, range: &Range<usize>) -> usize {
        self.index.line(self.offset + range.start)
    }

    pub(super) fn error(&mut self, line: usize, message: impl Into<String>) {
        self.errors.push(LineError {
            line,
            message: message.into(),
        });
    }

    pub(super) fn peek(&self) -> Option<(Event<'a>, Range<usize>)> {
        self.events.get(self.pos).cloned()
    }

    /// Skips the element starting at the current event, nested ones included.
    pub(super) fn skip(&mut self) {
        let mut depth = 0usize;
        while let Some((event, _)) = self.events.get(self.pos) {
            self.pos += 1;
            match event {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth = depth.saturating_sub(1),
                _ => {}
            }
            if depth == 0 {
                break;
            }
        }
    }

    pub(super) fn document(&mut self) -> Read {
        let mut read = Read::default();
        let mut open: Vec<Open> = Vec::new();
        let mut question: Option<(String, usize)> = None;
        let mut early_reported = false;
        while let Some((_, range)) = self.peek() {
            let line = self.line(&range);
            let element = self.element();
            if !matches!(element, Element::Answer(_) | Element::Nothing)
                && let Some((_, q_line)) = question.take()
            {
                self.error(
                    q_line,
                    "a question needs its answer in the next paragraph, starting `**A.**`",
                );
            }
            let content = !matches!(element, Element::Nothing | Element::Heading { level: 1, .. });
            if content && read.title.is_none() && !early_reported {
                early_reported = true;
                self.error(line, "content before the title: a file starts with `# Title`");
            }
            let block = match element {
                Element::Nothing => continue,
                Element::Heading {
                    level: 1,
                    text,
                    id,
                    classes,
                    other_attributes,
                } => {
                    if read.title.is_some() {
                        self.error(
                            line,
                            "a second title: an article has one `# Title`, and sections start at `##`",
                        );
                    } else {
                        if id.is_some() || !classes.is_empty() || other_attributes {
                            self.error(line, "the title takes no `{…}` attributes");
                        }
                        if text.is_empty() {
                            self.error(line, "the title is empty");
                        }
                        read.title = Some(text);
                    }
                    continue;
                }
                Element::Heading {
                    level,
                    text,
                    id,
                    classes,
                    other_attributes,
                } => {
                    self.open_section(&mut read, &mut open, line, level, text, id, &classes, other_attributes);
                    continue;
                }
                Element::ClaimsMarker => {
                    self.claims_after_marker(&mut open, line);
                    continue;
                }
                Element::Question(q) => {
                    question = Some((q, line));
                    continue;
                }
                Element::Answer(answer) => match question.take() {
                    Some((question, _)) => Block::QuestionAnswer(QuestionAnswerBlock { question, answer }),
                    None => {
                        self.error(
                            line,
                            "an answer without a question: `**A.**` follows a `**Q.**` paragraph",
                        );
                        continue;
                    }
                },
                Element::Block(block) => block,
            };
            match open.last_mut() {
                Some(current) if current.claims_line.is_some() => {
                    let anchor = current.section.anchor.clone();
                    self.error(
                        line,
                        format!("in section `{anchor}`, only subsections may follow the claims"),
                    );
                }
                Some(current) => current.blocks.push(block),
                None => read.intro.push(block),
            }
        }
        if let Some((_, q_line)) = question {
            self.error(
                q_line,
                "a question needs its answer in the next paragraph, starting `**A.**`",
            );
        }
        self.close(&mut read, &mut open, 0);
        if read.title.is_none() {
            let line = self.index.line(self.offset);
            self.error(line, "no title: the article's title is a `# Title` line");
        }
        read
    }

    /// Ends the open sections at `depth` and deeper, attaching each to its
    /// parent.
    pub(super) fn close(&mut self, read: &mut Read, open: &mut Vec<Open>, depth: usize) {
        while open.last().is_some_and(|o| o.depth >= depth) {
            let Some(mut done) = open.pop() else { break };
            if !done.blocks.is_empty() {
                if done.section.heading.is_empty() {
                    self.error(done.line, "a section with text needs a heading");
                }
                done.section.blocks.insert(self.locale.clone(), done.blocks);
            }
            match open.last_mut() {
                Some(parent) => parent.section.sections.push(done.section),
                None => read.sections.push(done.section),
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn open_section(
        &mut self,
        read: &mut Read,
        open: &mut Vec<Open>,
        line: usize,
        level: usize,
        text: String,
        id: Option<String>,
        classes: &[String],
        other_attributes: bool,
    ) {
        let mut depth = level - 2;
        if depth > open.len() {
            let parent = "#".repeat(open.len() + 1);
            self.error(
                line,
                format!(
                    "heading level skips: `{}` under `{parent}`; a subsection is one `#` deeper than its section",
                    "#".repeat(level)
                ),
            );
            depth = open.len();
        }
        self.close(read, open, depth);
        let anchor = match id {
            None => {
                self.error(line, "a section needs an anchor: `## Heading {#anchor}`");
                String::new()
            }
            Some(anchor) if !is_slug(&anchor) => {
                self.error(
                    line,
                    format!("anchor `{anchor}` is not lower-case words joined by hyphens"),
                );
                anchor
            }
            Some(anchor) => {
                if let Some(first) = read.lines.get(&anchor) {
                    let first = *first;
                    self.error(line, format!("anchor `{anchor}` is used twice (first at line {first})"));
                } else {
                    read.lines.insert(anchor.clone(), line);
                }
                anchor
            }
        };
        let kind = match classes {
            [] => SectionKind::Body,
            [class] => match SectionKind::items()
                .iter()
                .find(|item| kind_class(item.value) == *class)
            {
                Some(item) => item.value,
                None => {
                    self.error(
                        line,
                        format!("unknown section kind `.{class}`; use one of {}", kind_classes()),
                    );
                    SectionKind::Body
                }
            },
            _ => {
                self.error(line, format!("a section has one kind: one of {}", kind_classes()));
                SectionKind::Body
            }
        };
        if other_attributes {
            self.error(line, "a heading takes only `#anchor` and a kind class in `{…}`");
        }
        let mut heading = BTreeMap::new();
        if text.is_empty() {
            if self.source {
                self.error(line, "a section needs a heading in the source locale");
            }
        } else {
            heading.insert(self.locale.clone(), text);
        }
        open.push(Open {
            depth,
            line,
            section: SectionDoc {
                anchor,
                kind,
                heading,
                blocks: BTreeMap::new(),
                claims: Vec::new(),
                sections: Vec::new(),
            },
            blocks: Vec::new(),
            claims_line: None,
        });
    }

    pub(super) fn claims_after_marker(&mut self, open: &mut [Open], line: usize) {
        let list_follows = matches!(self.peek(), Some((Event::Start(Tag::List(_)), _)));
        if !list_follows {
            self.error(
                line,
                format!("`{CLAIMS_MARKER}` must be followed by the list of claims"),
            );
            return;
        }
        let claims = self.claims();
        match open.last_mut() {
            None => self.error(line, "claims belong to a section; the intro has none"),
            Some(current) => {
                if let Some(first) = current.claims_line {
                    let anchor = current.section.anchor.clone();
                    self.error(
                        line,
                        format!("section `{anchor}` lists its claims twice (first at line {first})"),
                    );
                } else {
                    current.claims_line = Some(line);
                    current.section.claims = claims;
                }
            }
        }
    }

    /// Reads one top-level element, leaving the cursor after it.
    pub(super) fn element(&mut self) -> Element {
        let Some((event, range)) = self.peek() else {
            return Element::Nothing;
        };
        let line = self.line(&range);
        match event {
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
                ..
            }) => {
                self.pos += 1;
                let inline = self.inline();
                self.expect_end(line);
                if inline.label.is_some() {
                    self.error(line, "bold text in a heading is not kept: texts are plain");
                }
                Element::Heading {
                    level: heading_level(level),
                    text: plain(&inline.chars),
                    id: id.map(|id| id.to_string()),
                    classes: classes.iter().map(|c| c.to_string()).collect(),
                    other_attributes: !attrs.is_empty(),
                }
            }
            Event::Start(Tag::Paragraph) if self.image_alone() => {
                self.pos += 1;
                let image = self.image(line);
                self.expect_end(line);
                image.map_or(Element::Nothing, Element::Block)
            }
            Event::Start(Tag::Paragraph) => {
                self.pos += 1;
                let inline = self.inline();
                self.expect_end(line);
                match inline.label.as_deref() {
                    None => Element::Block(Block::Paragraph(ParagraphBlock {
                        text: plain(&inline.chars),
                    })),
                    Some("Q.") => Element::Question(plain(trim(&inline.chars))),
                    Some("A.") => Element::Answer(plain(trim(&inline.chars))),
                    Some(other) => {
                        let message =
                            format!("bold `{other}` is not kept: only `**Q.**` and `**A.**` start a paragraph");
                        self.error(line, message);
                        Element::Nothing
                    }
                }
            }
            Event::Start(Tag::List(_)) => Element::Block(Block::List(self.list())),
            Event::Start(Tag::BlockQuote(_)) => match self.note(line) {
                Some(note) => Element::Block(Block::Note(note)),
                None => Element::Nothing,
            },
            Event::Start(Tag::HtmlBlock) => {
                self.pos += 1;
                let mut html = String::new();
                while let Some((Event::Html(part), _)) = self.peek() {
                    html.push_str(&part);
                    self.pos += 1;
                }
                self.expect_end(line);
                let inner = html.trim().strip_prefix("<!--").and_then(|s| s.strip_suffix("-->"));
                if inner.map(str::trim) == Some("claims") {
                    Element::ClaimsMarker
                } else {
                    self.error(
                        line,
                        format!("HTML is not kept; the only comment in a file is `{CLAIMS_MARKER}`"),
                    );
                    Element::Nothing
                }
            }
            Event::Start(tag) => {
                self.error(line, format!("{} not kept: texts are plain", unsupported(&tag)));
                self.skip();
                Element::Nothing
            }
            Event::Rule => {
                self.pos += 1;
                self.error(line, "a thematic break (`---`) is not kept");
                Element::Nothing
            }
            _ => {
                self.pos += 1;
                self.error(line, "unexpected content");
                Element::Nothing
            }
        }
    }

    /// Consumes the end of the element being read and anything before it.
    pub(super) fn skip_to_end(&mut self) {
        while let Some((event, _)) = self.peek() {
            match event {
                Event::End(_) => {
                    self.pos += 1;
                    return;
                }
                Event::Start(_) => self.skip(),
                _ => self.pos += 1,
            }
        }
    }

    /// Consumes the end of the element being read, reporting and skipping
    /// anything left before it.
    pub(super) fn expect_end(&mut self, line: usize) {
        let mut reported = false;
        while let Some((event, range)) = self.peek() {
            match event {
                Event::End(_) => {
                    self.pos += 1;
                    return;
                }
                Event::Start(_) => {
                    if !reported {
                        reported = true;
                        let at = self.line(&range);
                        self.error(at.max(line), "unexpected content here");
                    }
                    self.skip();
                }
                _ => self.pos += 1,
            }
        }
    }
}

pub(super) fn heading_level(level: HeadingLevel) -> usize {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

pub(super) fn is_inline(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

pub(super) fn is_inline_end(end: TagEnd) -> bool {
    matches!(
        end,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

/// What an element the format has no place for is, for its error.
pub(super) fn unsupported(tag: &Tag<'_>) -> &'static str {
    match tag {
        Tag::Emphasis => "emphasis is",
        Tag::Strong => "bold text is",
        Tag::Strikethrough => "strikethrough is",
        Tag::Link { .. } => "a link is",
        Tag::Image { .. } => "an image is",
        Tag::CodeBlock(_) => "a code block is",
        Tag::Table(_) | Tag::TableHead | Tag::TableRow | Tag::TableCell => "a table is",
        Tag::HtmlBlock => "HTML is",
        _ => "this markup is",
    }
}
