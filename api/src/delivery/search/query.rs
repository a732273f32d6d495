//! Turning a search box's text into an index query, and answering it.
//!
//! Words separated by spaces must all match (in the title, headings, lead
//! or body; the title weighs most). A run of CJK characters matches as a
//! phrase of its bigrams, so エクソソーム does not match text that merely
//! holds エク and ソー apart; a lone CJK character matches any bigram that
//! holds it. Scores are BM25, summed over the fields that match.

use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, Query, RegexQuery, TermQuery,
};
use tantivy::schema::{Facet, IndexRecordOption, Value as _};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{TantivyDocument, Term};
use uuid::Uuid;

use super::snippet::{self, Snippet};
use super::{Fields, SearchError, SearchIndex, analyzer};

/// Most words (or CJK runs) one query may hold.
pub const MAX_PARTS: usize = 16;
/// Longest query, in characters.
pub const MAX_CHARS: usize = 200;
/// Deepest result a page may reach (`after` + `first`).
pub const MAX_DEPTH: usize = 1000;

/// One thing a query asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Terms that must appear in this order: a word's stem, or a CJK
    /// run's bigrams.
    Sequence(Vec<String>),
    /// A lone CJK character.
    Char(char),
}

/// Why a query cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Nothing in it can be searched for (only spaces or punctuation).
    #[error("the query has no words to search for")]
    Empty,
    /// Too long.
    #[error("the query is longer than {MAX_CHARS} characters")]
    TooLong,
    /// Too many words.
    #[error("the query has more than {MAX_PARTS} words")]
    TooManyWords,
}

/// The parts of `text`.
pub fn parse(text: &str, stemmer: &mut TextAnalyzer) -> Result<Vec<Part>, QueryError> {
    if text.chars().count() > MAX_CHARS {
        return Err(QueryError::TooLong);
    }
    let mut parts = Vec::new();
    for chunk in text.split_whitespace() {
        let terms = analyzer::terms(chunk);
        let lone = |t: &analyzer::Term| t.cjk && t.text.chars().count() == 1;
        // A chunk typed without spaces is a phrase across its runs
        // (iPS細胞, COVID-19), as positions run on across them; a lone CJK
        // character is matched on its own, as it is indexed only where its
        // run is one character long.
        if terms.len() > 1 && !terms.iter().any(lone) {
            let seq = terms
                .iter()
                .map(|t| {
                    if t.cjk {
                        t.text.clone()
                    } else {
                        analyzer::stem(stemmer, &t.text)
                    }
                })
                .collect();
            push_new(&mut parts, Part::Sequence(seq));
            continue;
        }
        for t in &terms {
            let part = if lone(t) {
                t.text.chars().next().map(Part::Char)
            } else if t.cjk {
                Some(Part::Sequence(vec![t.text.clone()]))
            } else {
                Some(Part::Sequence(vec![analyzer::stem(stemmer, &t.text)]))
            };
            if let Some(part) = part {
                push_new(&mut parts, part);
            }
        }
    }
    if parts.is_empty() {
        return Err(QueryError::Empty);
    }
    if parts.len() > MAX_PARTS {
        return Err(QueryError::TooManyWords);
    }
    Ok(parts)
}

fn push_new(parts: &mut Vec<Part>, part: Part) {
    if !parts.contains(&part) {
        parts.push(part);
    }
}

/// What the results may include.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Everything the public can read.
    Public,
    /// A partner's licences in force: articles (by id or category) in
    /// their licensed locales.
    Licensed(Vec<Grant>),
}

/// One licence, as search filters by it.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The article it covers, if by article.
    pub article: Option<Uuid>,
    /// The category it covers, if by category.
    pub category: Option<Uuid>,
    /// The locales it covers.
    pub locales: Vec<String>,
}

/// A search.
#[derive(Debug, Clone)]
pub struct Request {
    /// The search box's text.
    pub text: String,
    /// The locale whose text is searched.
    pub locale: String,
    /// Only articles in this category.
    pub category: Option<Uuid>,
    /// Only articles with every one of these tags.
    pub tags: Vec<Uuid>,
    /// Whose search it is.
    pub scope: Scope,
    /// Hits to skip.
    pub offset: usize,
    /// Hits to return.
    pub limit: usize,
}

/// One article found.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The article.
    pub article: Uuid,
    /// Its BM25 score.
    pub score: f32,
    /// The passage to show.
    pub snippet: Snippet,
}

/// A search's answer.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// Articles that match, in all.
    pub total: usize,
    /// The page asked for, best first.
    pub hits: Vec<Hit>,
    /// Matching articles per category, ignoring the category filter (so a
    /// page can offer the other categories), most first.
    pub categories: Vec<(Uuid, u64)>,
}

fn term(field: tantivy::schema::Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::Basic,
    ))
}

fn category_term(fields: &Fields, id: Uuid) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_facet(fields.category, &Facet::from_path([id.simple().to_string()])),
        IndexRecordOption::Basic,
    ))
}

/// The scored query for `parts` over the text fields.
fn text_query(fields: &Fields, parts: &[Part]) -> Result<Box<dyn Query>, SearchError> {
    let weighted = [
        (fields.title, 4.0),
        (fields.headings, 2.0),
        (fields.lead, 1.5),
        (fields.body, 1.0),
    ];
    let mut musts: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(parts.len());
    for part in parts {
        let mut shoulds: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(weighted.len());
        for (field, boost) in weighted {
            let query: Box<dyn Query> = match part {
                Part::Sequence(terms) if terms.len() == 1 => Box::new(TermQuery::new(
                    Term::from_field_text(field, &terms[0]),
                    IndexRecordOption::WithFreqs,
                )),
                Part::Sequence(terms) => Box::new(PhraseQuery::new(
                    terms.iter().map(|t| Term::from_field_text(field, t)).collect(),
                )),
                Part::Char(c) => {
                    let c = regex_escape(*c);
                    Box::new(RegexQuery::from_pattern(&format!("{c}.?|.{c}"), field)?)
                }
            };
            shoulds.push((Occur::Should, Box::new(BoostQuery::new(query, boost))));
        }
        musts.push((Occur::Must, Box::new(BooleanQuery::new(shoulds))));
    }
    Ok(Box::new(BooleanQuery::new(musts)))
}

fn regex_escape(c: char) -> String {
    // Only the syntax's own characters take a backslash: the regex parser
    // refuses one before other characters (`・`, `゛`).
    regex::escape(&c.to_string())
}

/// The filters of `request`, optionally without its category.
fn filters(fields: &Fields, request: &Request, with_category: bool) -> Vec<Box<dyn Query>> {
    let mut out = vec![term(fields.locale, &request.locale)];
    if let (true, Some(category)) = (with_category, request.category) {
        out.push(category_term(fields, category));
    }
    for tag in &request.tags {
        out.push(term(fields.tag, &tag.simple().to_string()));
    }
    if let Scope::Licensed(grants) = &request.scope {
        let covering: Vec<(Occur, Box<dyn Query>)> = grants
            .iter()
            .filter(|g| g.locales.contains(&request.locale))
            .filter_map(|g| match (g.article, g.category) {
                (Some(article), _) => Some(term(fields.article, &article.simple().to_string())),
                (None, Some(category)) => Some(category_term(fields, category)),
                (None, None) => None,
            })
            .map(|q| (Occur::Should, q))
            .collect();
        out.push(if covering.is_empty() {
            Box::new(EmptyQuery)
        } else {
            Box::new(BooleanQuery::new(covering))
        });
    }
    out
}

fn combine(text: Box<dyn Query>, filters: Vec<Box<dyn Query>>) -> BooleanQuery {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text)];
    // Filters decide what matches, not how well.
    clauses.extend(
        filters
            .into_iter()
            .map(|f| (Occur::Must, Box::new(ConstScoreQuery::new(f, 0.0)) as Box<dyn Query>)),
    );
    BooleanQuery::new(clauses)
}

impl SearchIndex {
    /// Answers `request` on a blocking thread (a search is CPU work).
    pub async fn search(self: &std::sync::Arc<Self>, request: Request) -> Result<Found, SearchError> {
        let index = self.clone();
        tokio::task::spawn_blocking(move || index.search_now(&request))
            .await
            .map_err(|_| SearchError::Task)?
    }

    fn search_now(&self, request: &Request) -> Result<Found, SearchError> {
        let mut stemmer = analyzer::analyzer();
        let Ok(parts) = parse(&request.text, &mut stemmer) else {
            return Ok(Found::default());
        };
        let fields = &self.fields;
        let searcher = self.reader.searcher();
        let full = combine(text_query(fields, &parts)?, filters(fields, request, true));
        let top = TopDocs::with_limit(request.limit.max(1))
            .and_offset(request.offset)
            .order_by_score();
        let mut facets = FacetCollector::for_field("category");
        facets.add_facet(Facet::root());
        let (docs, total, counts) = if request.category.is_some() {
            let (docs, total) = searcher.search(&full, &(top, Count))?;
            let unfiltered = combine(text_query(fields, &parts)?, filters(fields, request, false));
            (docs, total, searcher.search(&unfiltered, &facets)?)
        } else {
            searcher.search(&full, &(top, Count, facets))?
        };
        let mut categories: Vec<(Uuid, u64)> = counts
            .get(Facet::root())
            .filter_map(|(facet, count)| {
                let path = facet.to_path();
                Uuid::parse_str(path.last()?).ok().map(|id| (id, count))
            })
            .collect();
        categories.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut hits = Vec::with_capacity(docs.len());
        for (score, address) in docs.into_iter().take(request.limit) {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default();
            let Ok(article) = Uuid::parse_str(text(fields.article)) else {
                continue;
            };
            let passages: Vec<super::documents::Passage> =
                serde_json::from_str(text(fields.passages)).unwrap_or_default();
            hits.push(Hit {
                article,
                score,
                snippet: snippet::best(&parts, text(fields.lead), &passages, &mut stemmer),
            });
        }
        Ok(Found {
            total,
            hits,
            categories,
        })
    }
}
