//! The `Reference` object: bibliographic data (never translated) with links
//! built from its DOI and PMID.

use std::sync::Arc;

use super::node::{Kind, global_id};
use super::scalars::Date;
use async_graphql::{ID, Object, SimpleObject};
use entity::enums::{EvidenceLevel, ReferenceKind};
use entity::reference;

/// A bibliographic reference.
#[derive(Clone)]
pub struct Reference(Arc<reference::Model>);

impl Reference {
    /// Wraps a reference row.
    pub fn new(model: impl Into<Arc<reference::Model>>) -> Self {
        Self(model.into())
    }

    /// The row.
    pub fn model(&self) -> &reference::Model {
        &self.0
    }

    /// The row, shared rather than copied.
    pub fn shared(&self) -> Arc<reference::Model> {
        self.0.clone()
    }

    fn author_list(&self) -> Vec<String> {
        authors(&self.0.authors)
    }

    fn doi_link(&self) -> Option<String> {
        self.0.doi.as_ref().map(|doi| format!("https://doi.org/{doi}"))
    }

    fn pubmed_link(&self) -> Option<String> {
        self.0
            .pmid
            .as_ref()
            .map(|pmid| format!("https://pubmed.ncbi.nlm.nih.gov/{pmid}/"))
    }
}

/// Formats a reference in the NLM/Vancouver style used by medical journals:
/// `Authors. Title. Journal. Year;Volume(Issue):Pages. doi:… PMID: …`.
pub fn vancouver(r: &reference::Model, authors: &[String]) -> String {
    let mut out = String::new();
    if !authors.is_empty() {
        out.push_str(&authors.join(", "));
        if r.authors_truncated {
            out.push_str(", et al");
        }
        out.push_str(". ");
    }
    out.push_str(r.title.trim_end_matches('.'));
    out.push_str(". ");
    if let Some(container) = &r.container_title {
        out.push_str(container.trim_end_matches('.'));
        out.push_str(". ");
    }
    if let Some(publisher) = &r.publisher
        && r.kind != ReferenceKind::JournalArticle
    {
        out.push_str(publisher);
        out.push_str("; ");
    }
    if let Some(year) = r.year {
        out.push_str(&year.to_string());
        match (&r.volume, &r.issue) {
            (Some(v), Some(i)) => out.push_str(&format!(";{v}({i})")),
            (Some(v), None) => out.push_str(&format!(";{v}")),
            (None, Some(i)) => out.push_str(&format!(";({i})")),
            (None, None) => {}
        }
        if let Some(pages) = &r.pages {
            out.push(':');
            out.push_str(pages);
        }
        out.push_str(". ");
    }
    if let Some(doi) = &r.doi {
        out.push_str(&format!("doi:{doi}. "));
    }
    if let Some(pmid) = &r.pmid {
        out.push_str(&format!("PMID: {pmid}. "));
    }
    if r.doi.is_none()
        && r.pmid.is_none()
        && let Some(url) = &r.url
    {
        out.push_str(&format!("Available from: {url}"));
        if let Some(accessed) = r.accessed_on {
            out.push_str(&format!(" (accessed {accessed})"));
        }
    }
    out.trim_end().to_owned()
}

/// A work cited as evidence. Bibliographic data is not translated.
#[Object]
impl Reference {
    /// Global id; pass it to `node(id:)` to refetch this object.
    pub async fn id(&self) -> ID {
        global_id(Kind::Reference, self.0.id)
    }

    /// The stored fields, `key` to `accessedOn`, in this place.
    #[graphql(flatten)]
    async fn stored(&self) -> Bibliographic<'_> {
        Bibliographic::of(&self.0)
    }

    /// `https://doi.org/…` link, when there is a DOI.
    async fn doi_url(&self) -> Option<String> {
        self.doi_link()
    }

    /// PubMed link, when there is a PMID.
    async fn pubmed_url(&self) -> Option<String> {
        self.pubmed_link()
    }

    /// The best link to the work: DOI, else PubMed, else its URL.
    async fn link(&self) -> Option<String> {
        self.doi_link()
            .or_else(|| self.pubmed_link())
            .or_else(|| self.0.url.clone())
    }

    /// The reference formatted in NLM/Vancouver style.
    async fn citation(&self) -> String {
        vancouver(&self.0, &self.author_list())
    }
}

/// A reference's stored fields as the schema shows them, borrowed from its
/// row: built only when one of them is asked for.
#[derive(SimpleObject)]
struct Bibliographic<'a> {
    /// Short key used by content files, e.g. `misev2018`.
    key: &'a str,
    /// Bibliographic kind.
    kind: ReferenceKind,
    /// Title of the work.
    title: &'a str,
    /// Authors in citation form ("Théry C").
    #[graphql(
        skip,
        derived(name = "authors", into = "Vec<String>", owned = true, with = "authors")
    )]
    author_json: &'a serde_json::Value,
    /// True when `authors` lists only the first authors ("et al.").
    authors_truncated: bool,
    /// Journal, book or website the work appeared in.
    container_title: Option<&'a str>,
    /// Publisher.
    publisher: Option<&'a str>,
    /// Year of publication.
    year: Option<i32>,
    /// Volume.
    volume: Option<&'a str>,
    /// Issue.
    issue: Option<&'a str>,
    /// Pages or article number.
    pages: Option<&'a str>,
    /// Digital Object Identifier, e.g. `10.1126/science.aau6977`.
    doi: Option<&'a str>,
    /// PubMed identifier.
    pmid: Option<&'a str>,
    /// What the work itself is as evidence (a mouse study is
    /// `PRECLINICAL`), where the editors recorded it: a claim citing it
    /// says no more.
    evidence_level: Option<EvidenceLevel>,
    /// URL given for the work itself.
    url: Option<&'a str>,
    /// When a web page was last accessed.
    #[graphql(
        skip,
        derived(name = "accessed_on", into = "Option<Date>", owned = true, with = "date")
    )]
    accessed: Option<chrono::NaiveDate>,
}

impl<'a> Bibliographic<'a> {
    fn of(r: &'a reference::Model) -> Self {
        Self {
            key: &r.key,
            kind: r.kind,
            title: &r.title,
            author_json: &r.authors,
            authors_truncated: r.authors_truncated,
            container_title: r.container_title.as_deref(),
            publisher: r.publisher.as_deref(),
            year: r.year,
            volume: r.volume.as_deref(),
            issue: r.issue.as_deref(),
            pages: r.pages.as_deref(),
            doi: r.doi.as_deref(),
            pmid: r.pmid.as_deref(),
            evidence_level: r.evidence_level,
            url: r.url.as_deref(),
            accessed: r.accessed_on,
        }
    }
}

fn authors(json: &serde_json::Value) -> Vec<String> {
    <Vec<String> as serde::Deserialize>::deserialize(json).unwrap_or_default()
}

fn date(day: Option<chrono::NaiveDate>) -> Option<Date> {
    day.map(Date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vancouver_formats_a_journal_article() {
        let r = reference::Model {
            id: uuid::Uuid::nil(),
            key: "k".into(),
            kind: ReferenceKind::JournalArticle,
            title: "The biology, function, and biomedical applications of exosomes".into(),
            authors: serde_json::json!(["Kalluri R", "LeBleu VS"]),
            authors_truncated: false,
            container_title: Some("Science".into()),
            publisher: None,
            year: Some(2020),
            volume: Some("367".into()),
            issue: Some("6478".into()),
            pages: Some("eaau6977".into()),
            doi: Some("10.1126/science.aau6977".into()),
            pmid: Some("32029601".into()),
            url: None,
            accessed_on: None,
            evidence_level: None,
        };
        assert_eq!(
            vancouver(&r, &["Kalluri R".into(), "LeBleu VS".into()]),
            "Kalluri R, LeBleu VS. The biology, function, and biomedical applications of exosomes. \
             Science. 2020;367(6478):eaau6977. doi:10.1126/science.aau6977. PMID: 32029601."
        );
    }
}
