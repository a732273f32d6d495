//! Writing one locale of an article as a Markdown file.

use super::*;

/// Writes `locale`'s texts of `doc` as Markdown with YAML front matter. Err if doc has no translation in `locale`.
pub fn to_markdown(doc: &ArticleDoc, locale: &str, images: &HashMap<uuid::Uuid, ImageFile>) -> Result<String, String> {
    let text = doc
        .translations
        .get(locale)
        .ok_or_else(|| format!("article `{}` has no translation in `{locale}`", doc.slug))?;
    let matter = FrontMatter {
        slug: doc.slug.clone(),
        category: doc.category.clone(),
        source_locale: doc.source_locale.clone(),
        locale: locale.to_owned(),
        status: doc.status,
        revision: doc.revision,
        published_at: doc.published_at,
        updated_at: doc.updated_at,
        source: doc.source.as_ref().map(|s| Source {
            note: s.note.clone(),
            url: s.url.clone(),
        }),
        tags: doc.tags.clone(),
        contributors: doc.contributors.iter().map(Contributor::from).collect(),
        lint_override: doc.lint_override.clone(),
        translation: Translation {
            lead: text.lead.clone(),
            seo_title: text.seo_title.clone(),
            seo_description: text.seo_description.clone(),
            status: text.status,
            source_revision: text.source_revision,
        },
    };
    let yaml = serde_norway::to_string(&matter).map_err(|err| format!("front matter: {err}"))?;
    let mut writer = Writer {
        out: format!("---\n{yaml}---\n\n# "),
        locale,
        source: locale == doc.source_locale,
        images,
    };
    writer.text(&text.title, "title")?;
    writer.out.push('\n');
    writer.blocks(&text.intro, "intro")?;
    for section in &doc.sections {
        writer.section(section, 0)?;
    }
    Ok(writer.out)
}

/// Builds one file; `source` is whether `locale` is the article's own.
struct Writer<'a> {
    out: String,
    locale: &'a str,
    source: bool,
    images: &'a HashMap<uuid::Uuid, ImageFile>,
}

impl Writer<'_> {
    /// Appends `text` escaped; `at` names it in errors.
    fn text(&mut self, text: &str, at: &str) -> Result<(), String> {
        self.escaped(text, &[], at)
    }

    fn escaped(&mut self, text: &str, extra: &[char], at: &str) -> Result<(), String> {
        if text.is_empty() {
            return Err(format!(
                "{at}: an empty text cannot be written (it would read back as none)"
            ));
        }
        escape(&mut self.out, text, extra).map_err(|err| format!("{at}: {err}"))
    }

    fn blocks(&mut self, blocks: &[Block], at: &str) -> Result<(), String> {
        // Markdown joins two adjacent lists with the same marker into one.
        let mut last_list: Option<(bool, bool)> = None;
        for (i, block) in blocks.iter().enumerate() {
            let at = format!("{at} › block {}", i + 1);
            self.out.push('\n');
            let mut this_list = None;
            match block {
                Block::Paragraph(p) => self.text(&p.text, &at)?,
                Block::List(list) => {
                    let alternate = last_list.is_some_and(|(ordered, alternate)| ordered == list.ordered && !alternate);
                    self.list(list, 0, alternate, &at)?;
                    this_list = Some((list.ordered, alternate));
                }
                Block::QuestionAnswer(qa) => {
                    self.out.push_str("**Q.** ");
                    self.text(&qa.question, &at)?;
                    self.out.push_str("\n\n**A.** ");
                    self.text(&qa.answer, &at)?;
                }
                Block::Note(note) => {
                    self.out.push_str("> [!");
                    self.out.push_str(&spelled(&note.tone));
                    self.out.push(']');
                    if let Some(title) = &note.title {
                        self.out.push(' ');
                        self.text(title, &at)?;
                    }
                    self.out.push_str("\n> ");
                    self.text(&note.text, &at)?;
                }
                Block::Image(image) => {
                    let file = self
                        .images
                        .get(&image.image)
                        .ok_or_else(|| format!("{at}: image `{}` is not stored", image.image.simple()))?;
                    self.out.push_str("![");
                    if !file.alt.is_empty() {
                        self.escaped(&file.alt, &['[', ']'], &at)?;
                    }
                    self.out.push_str("](");
                    self.out.push_str(&file.file);
                    if let Some(caption) = &file.caption {
                        self.out.push_str(" \"");
                        for c in caption.chars() {
                            match c {
                                '\\' | '"' | '&' => {
                                    self.out.push('\\');
                                    self.out.push(c);
                                }
                                c if c.is_control() => self.out.push_str(&format!("&#{};", u32::from(c))),
                                c => self.out.push(c),
                            }
                        }
                        self.out.push('"');
                    }
                    self.out.push(')');
                }
            }
            if !matches!(block, Block::List(_)) {
                self.out.push('\n');
            }
            last_list = this_list;
        }
        Ok(())
    }

    fn list(&mut self, list: &ListBlock, indent: usize, alternate: bool, at: &str) -> Result<(), String> {
        if list.items.is_empty() {
            return Err(format!("{at}: a list without items cannot be written"));
        }
        for (i, item) in list.items.iter().enumerate() {
            let marker = match (list.ordered, alternate) {
                (true, false) => format!("{}.", i + 1),
                (true, true) => format!("{})", i + 1),
                (false, false) => "-".to_owned(),
                (false, true) => "+".to_owned(),
            };
            self.out.extend(std::iter::repeat_n(' ', indent));
            self.out.push_str(&marker);
            self.out.push(' ');
            self.text(&item.text, at)?;
            self.out.push('\n');
            if let Some(nested) = &item.list {
                self.list(nested, indent + marker.len() + 1, false, at)?;
            }
        }
        Ok(())
    }

    fn section(&mut self, section: &SectionDoc, depth: usize) -> Result<(), String> {
        let at = format!("section `{}`", section.anchor);
        if depth > MAX_DEPTH {
            return Err(format!("{at}: sections nest at most to h{}", MAX_DEPTH + 2));
        }
        if !is_slug(&section.anchor) {
            return Err(format!("{at}: an anchor is lower-case words joined by hyphens"));
        }
        self.out.push('\n');
        self.out.extend(std::iter::repeat_n('#', depth + 2));
        self.out.push(' ');
        let heading = section.heading.get(self.locale);
        match heading {
            Some(heading) => {
                self.text(heading, &at)?;
                self.out.push(' ');
            }
            None if self.source => return Err(format!("{at}: no heading in the source locale")),
            None => {}
        }
        self.out.push_str("{#");
        self.out.push_str(&section.anchor);
        if section.kind != SectionKind::Body {
            self.out.push_str(" .");
            self.out.push_str(&kind_class(section.kind));
        }
        self.out.push_str("}\n");
        if let Some(blocks) = section.blocks.get(self.locale) {
            if heading.is_none() {
                return Err(format!("{at}: blocks in `{}` but no heading", self.locale));
            }
            self.blocks(blocks, &at)?;
        }
        if !section.claims.is_empty() {
            self.out.push('\n');
            self.out.push_str(CLAIMS_MARKER);
            self.out.push_str("\n\n");
            for (i, claim) in section.claims.iter().enumerate() {
                self.claim(claim, &format!("{at} › claim {}", i + 1))?;
            }
        }
        for child in &section.sections {
            self.section(child, depth + 1)?;
        }
        Ok(())
    }

    fn claim(&mut self, claim: &ClaimDoc, at: &str) -> Result<(), String> {
        self.out.push_str("- {");
        self.out.push_str(&spelled(&claim.kind));
        self.out.push_str(CLAIM_SEPARATOR);
        self.out.push_str(&spelled(&claim.evidence));
        self.out.push('}');
        match claim.text.get(self.locale) {
            Some(text) => {
                self.out.push(' ');
                self.text(text, at)?;
            }
            None if self.source => return Err(format!("{at}: no text in the source locale")),
            None => {}
        }
        for citation in &claim.references {
            self.out.push_str(" [@");
            // A comma ends the key.
            self.escaped(&citation.reference, &[','], at)?;
            if let Some(locator) = &citation.locator {
                self.out.push_str(", ");
                self.text(locator, at)?;
            }
            self.out.push(']');
        }
        self.out.push('\n');
        Ok(())
    }
}

/// Characters escaped wherever they stand: inline markup, heading
/// attributes and closing `#`s, and the extensions of popular viewers
/// (tables, strikethrough, math), so the file looks right there too.
const ALWAYS_ESCAPED: &[char] = &['\\', '`', '*', '_', '[', ']', '<', '{', '}', '|', '~', '$', '#'];
/// Characters escaped at the start of a text, which may be the start of a
/// line: block quotes, list markers, thematic breaks, setext underlines,
/// definition lists.
const LEADING_ESCAPED: &[char] = &['>', '-', '+', '=', ':'];

/// Appends `text` so that CommonMark reads it back as exactly `text`.
fn escape(out: &mut String, text: &str, extra: &[char]) -> Result<(), String> {
    let chars: Vec<char> = text.chars().collect();
    let last = chars.len().saturating_sub(1);
    let mut digits_only = true;
    for (i, &c) in chars.iter().enumerate() {
        if c == '\0' {
            return Err("the NUL character cannot be written in Markdown".to_owned());
        }
        // Markdown strips whitespace around a line and reads control
        // characters as line breaks; a character reference is kept as is.
        if c.is_control() || ((i == 0 || i == last) && c.is_whitespace()) {
            out.push_str(&format!("&#{};", u32::from(c)));
        } else if ALWAYS_ESCAPED.contains(&c)
            || extra.contains(&c)
            || (i == 0 && LEADING_ESCAPED.contains(&c))
            || (c == '&' && starts_reference(chars.get(i + 1..).unwrap_or_default()))
            || (matches!(c, '.' | ')') && i > 0 && digits_only)
        {
            out.push('\\');
            out.push(c);
        } else {
            out.push(c);
        }
        digits_only = digits_only && c.is_ascii_digit();
    }
    Ok(())
}

/// Whether `&` followed by `rest` could be read as a character reference
/// (`&amp;`, `&#42;`): a name or number closed by `;`.
fn starts_reference(rest: &[char]) -> bool {
    let name = rest
        .iter()
        .take(32)
        .take_while(|c| c.is_ascii_alphanumeric() || **c == '#')
        .count();
    name > 0 && rest.get(name) == Some(&';')
}
