//! An article as clean HTML: the structured blocks rendered with section
//! anchors, the references list, who reviewed it, the attribution and a
//! `rel=canonical` link. It is built from the answer to [`ARTICLE`] (so it
//! shows exactly what the sender may read), every text escaped: nothing
//! stored is ever HTML, so nothing stored can inject any. It serves the
//! embed route partners' sites include and the Atom feed's content.

use std::fmt::Write as _;

use serde_json::Value;

/// The fields the rendition needs, for `article(slug:, locale:)`.
pub const ARTICLE: &str = "
  slug title lead locale canonicalUrl attribution revision publishedAt updatedAt
  intro { ...Blocks }
  contributors { role signedOffLocales signedOffCurrentRevision profileConfirmed supervisor { name } }
  sections { ...Section children { ...Section children { ...Section children { ...Section } } } }
  references { key citation link }
";

/// The fragments [`ARTICLE`] uses.
pub const FRAGMENTS: &str = "
fragment Section on Section { anchor heading level blocks { ...Blocks } }
fragment Blocks on Block {
  __typename
  ... on ParagraphBlock { text }
  ... on ListBlock { ordered items { text list { ordered items { text list { ordered items { text } } } } } }
  ... on QuestionAnswerBlock { question answer }
  ... on NoteBlock { tone title text }
  ... on ImageBlock { image { alt caption width height src: url(width: 960) srcset } }
}";

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Only http(s) links are kept: a `javascript:` URL in a reference is
/// dropped, not rendered.
fn safe_link(url: &str) -> Option<&str> {
    (url.starts_with("https://") || url.starts_with("http://")).then_some(url)
}

fn s<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

fn blocks(out: &mut String, list: &Value) {
    for block in list.as_array().into_iter().flatten() {
        match s(block, "__typename") {
            "ParagraphBlock" => {
                let _ = write!(out, "<p>{}</p>", escape(s(block, "text")));
            }
            "ListBlock" => items(out, block),
            "QuestionAnswerBlock" => {
                let _ = write!(
                    out,
                    "<dl class=\"kiji-qa\"><dt>{}</dt><dd>{}</dd></dl>",
                    escape(s(block, "question")),
                    escape(s(block, "answer"))
                );
            }
            "NoteBlock" => {
                let tone = s(block, "tone").to_ascii_lowercase();
                let _ = write!(out, "<aside class=\"kiji-note kiji-note-{}\">", escape(&tone));
                if let Some(title) = block["title"].as_str() {
                    let _ = write!(out, "<strong>{}</strong> ", escape(title));
                }
                let _ = write!(out, "{}</aside>", escape(s(block, "text")));
            }
            "ImageBlock" => figure(out, &block["image"]),
            _ => {}
        }
    }
}

/// An image as a `<figure>`: sized, so the page does not move as it loads,
/// and lazy, since most images are below the fold.
fn figure(out: &mut String, image: &Value) {
    let _ = write!(
        out,
        "<figure class=\"kiji-image\"><img src=\"{}\" srcset=\"{}\" sizes=\"(min-width: 960px) 960px, 100vw\" \
         alt=\"{}\" width=\"{}\" height=\"{}\" loading=\"lazy\" decoding=\"async\">",
        escape(s(image, "src")),
        escape(s(image, "srcset")),
        escape(s(image, "alt")),
        image["width"].as_i64().unwrap_or_default(),
        image["height"].as_i64().unwrap_or_default(),
    );
    if let Some(caption) = image["caption"].as_str() {
        let _ = write!(out, "<figcaption>{}</figcaption>", escape(caption));
    }
    out.push_str("</figure>");
}

fn items(out: &mut String, list: &Value) {
    let tag = if list["ordered"] == true { "ol" } else { "ul" };
    let _ = write!(out, "<{tag}>");
    for item in list["items"].as_array().into_iter().flatten() {
        let _ = write!(out, "<li>{}", escape(s(item, "text")));
        if item["list"].is_object() {
            items(out, &item["list"]);
        }
        out.push_str("</li>");
    }
    let _ = write!(out, "</{tag}>");
}

fn sections(out: &mut String, list: &Value, depth: usize) {
    for section in list.as_array().into_iter().flatten() {
        let level = (depth + 2).min(6);
        let anchor = escape(s(section, "anchor"));
        let _ = write!(
            out,
            "<section id=\"{anchor}\"><h{level}><a href=\"#{anchor}\">{}</a></h{level}>",
            escape(s(section, "heading"))
        );
        blocks(out, &section["blocks"]);
        sections(out, &section["children"], depth + 1);
        out.push_str("</section>");
    }
}

/// The `<article>` element of `article` (an answer to [`ARTICLE`]).
pub fn fragment(article: &Value) -> String {
    let mut out = String::new();
    let locale = escape(s(article, "locale"));
    let _ = write!(
        out,
        "<article class=\"kiji-article\" lang=\"{locale}\"><header><h1>{}</h1>",
        escape(s(article, "title"))
    );
    let lead = s(article, "lead");
    if !lead.is_empty() {
        let _ = write!(out, "<p class=\"kiji-lead\">{}</p>", escape(lead));
    }
    // A physician is named only where the sign-off covers this very text.
    let reviewers: Vec<String> = article["contributors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            matches!(s(c, "role"), "SUPERVISOR" | "REVIEWER")
                && c["signedOffCurrentRevision"] == true
                && c["profileConfirmed"] == true
                && c["signedOffLocales"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|l| l.as_str() == article["locale"].as_str()))
        })
        .map(|c| escape(s(&c["supervisor"], "name")))
        .collect();
    if !reviewers.is_empty() {
        let _ = write!(
            out,
            "<p class=\"kiji-reviewed\" data-revision=\"{}\">{}</p>",
            article["revision"],
            reviewers.join(", ")
        );
    }
    out.push_str("</header>");
    blocks(&mut out, &article["intro"]);
    sections(&mut out, &article["sections"], 0);
    let references = article["references"].as_array().cloned().unwrap_or_default();
    if !references.is_empty() {
        out.push_str("<section class=\"kiji-references\" id=\"references\"><ol>");
        for reference in &references {
            let _ = write!(
                out,
                "<li id=\"ref-{}\">{}",
                escape(s(reference, "key")),
                escape(s(reference, "citation"))
            );
            if let Some(link) = reference["link"].as_str().and_then(safe_link) {
                let link = escape(link);
                let _ = write!(out, " <a href=\"{link}\" rel=\"nofollow noopener\">{link}</a>");
            }
            out.push_str("</li>");
        }
        out.push_str("</ol></section>");
    }
    if let Some(attribution) = article["attribution"].as_str() {
        let _ = write!(
            out,
            "<footer class=\"kiji-attribution\">{}</footer>",
            escape(attribution)
        );
    }
    out.push_str("</article>");
    out
}

/// A whole page around [`fragment`]: `rel=canonical`, the JSON-LD (every
/// `<` written `\u003c`, so no text in it can close the script or open
/// another), and no script or style
/// from elsewhere, so it renders with no network.
pub fn document(article: &Value, json_ld: Option<&Value>) -> String {
    let mut out = String::from("<!doctype html>");
    let _ = write!(
        out,
        "<html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>",
        escape(s(article, "locale")),
        escape(s(article, "title"))
    );
    if let Some(canonical) = article["canonicalUrl"].as_str().and_then(safe_link) {
        let _ = write!(out, "<link rel=\"canonical\" href=\"{}\">", escape(canonical));
    }
    if let Some(json_ld) = json_ld {
        let text = json_ld.to_string().replace('<', "\\u003c");
        let _ = write!(out, "<script type=\"application/ld+json\">{text}</script>");
    }
    out.push_str(
        "<style>body{font-family:system-ui,sans-serif;line-height:1.7;max-width:46rem;margin:auto;padding:1rem}\
         .kiji-note{border-left:4px solid #888;padding:.5rem 1rem;background:#f6f6f6}\
         .kiji-reviewed,.kiji-attribution{color:#555;font-size:.9em}</style></head><body>",
    );
    out.push_str(&fragment(article));
    out.push_str("</body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_is_escaped_and_only_web_links_are_kept() {
        let article = json!({
            "title": "<script>alert(1)</script>", "lead": "a & b", "locale": "ja",
            "intro": [{ "__typename": "ParagraphBlock", "text": "<img src=x onerror=alert(1)>" }],
            "sections": [{ "anchor": "x\" onmouseover=\"y", "heading": "H", "blocks": [], "children": [] }],
            "references": [{ "key": "k", "citation": "C", "link": "javascript:alert(1)" }],
            "attribution": "Courtesy", "canonicalUrl": "javascript:alert(1)", "contributors": []
        });
        let page = document(&article, Some(&json!({ "x": "</script><script>alert(1)" })));
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("javascript:"), "{page}");
        assert!(!page.contains("\" onmouseover"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("<footer class=\"kiji-attribution\">Courtesy</footer>"));
    }
}
