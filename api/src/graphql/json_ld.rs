//! An article as schema.org JSON-LD: a `MedicalWebPage` with who reviewed
//! it, what it cites, and the series it belongs to — for search engines
//! and for partners' pages, which embed it as
//! `<script type="application/ld+json">`.
//!
//! `reviewedBy` names a physician only where their sign-off covers the text
//! shown: the revision read, in the locale read, with a profile they stood
//! behind. Terms are those of the schema.org vocabulary (release 12.0,
//! shipped as test data; `tests/json_ld.rs` checks every type and property
//! against it).

use async_graphql::Context;
use entity::enums::{ContributorRole, QualificationKind, ReferenceKind};
use serde_json::{Map, Value, json};

use super::article::Article;
use crate::error::Result;

/// The JSON-LD of `article` as this request reads it, at `url` (its
/// canonical URL, when known).
pub(crate) async fn of(ctx: &Context<'_>, article: &Article, url: Option<String>) -> Result<Value> {
    let model = article.model();
    let locale = article.locale_str();
    let mut page = Map::new();
    page.insert("@context".into(), json!("https://schema.org"));
    page.insert("@type".into(), json!("MedicalWebPage"));
    let text = article.text();
    page.insert("headline".into(), json!(text.title));
    page.insert("name".into(), json!(text.title));
    let lead = &text.lead;
    if !lead.is_empty() {
        page.insert("description".into(), json!(lead));
    }
    page.insert("inLanguage".into(), json!(locale));
    if let Some(url) = url {
        page.insert("url".into(), json!(url));
    }
    if let Some(published) = model.published_at {
        page.insert("datePublished".into(), json!(published.to_rfc3339()));
    }
    page.insert("dateModified".into(), json!(model.updated_at.to_rfc3339()));

    let mut reviewers = Vec::new();
    let mut authors = Vec::new();
    let mut last_reviewed = None;
    for contributor in article.contributors(ctx, None).await? {
        let covers = contributor.signed_off_revision == Some(model.revision)
            && contributor.profile_confirmed
            && contributor.signed_off_locales.iter().any(|l| l.as_str() == locale);
        let text = contributor.supervisor.text();
        match contributor.role {
            ContributorRole::Author => authors.push(json!({ "@type": "Person", "name": text.name })),
            ContributorRole::Supervisor | ContributorRole::Reviewer if covers => {
                let mut physician = Map::new();
                physician.insert("@type".into(), json!("Physician"));
                physician.insert("name".into(), json!(text.name));
                let mut credentials = Vec::new();
                let mut memberships = Vec::new();
                for qualification in contributor.supervisor.qualifications(ctx).await? {
                    let (kind, name) = qualification.kind_and_name();
                    match kind {
                        QualificationKind::Membership => {
                            memberships.push(json!({ "@type": "Organization", "name": name }));
                        }
                        kind => credentials.push(json!({
                            "@type": "EducationalOccupationalCredential",
                            "name": name,
                            "credentialCategory": match kind {
                                QualificationKind::License => "license",
                                _ => "certification",
                            },
                        })),
                    }
                }
                if !credentials.is_empty() {
                    physician.insert("hasCredential".into(), Value::Array(credentials));
                }
                if !memberships.is_empty() {
                    physician.insert("memberOf".into(), Value::Array(memberships));
                }
                reviewers.push(Value::Object(physician));
                let at = contributor.signed_off_at.map(|t| t.0);
                if at > last_reviewed {
                    last_reviewed = at;
                }
            }
            _ => {}
        }
    }
    if !reviewers.is_empty() {
        page.insert("reviewedBy".into(), Value::Array(reviewers));
    }
    if let Some(at) = last_reviewed {
        page.insert("lastReviewed".into(), json!(at.date_naive().to_string()));
    }
    if !authors.is_empty() {
        page.insert("author".into(), Value::Array(authors));
    }
    let citations: Vec<Value> = article
        .references(ctx)
        .await?
        .iter()
        .map(|r| citation(r.model()))
        .collect();
    if !citations.is_empty() {
        page.insert("citation".into(), Value::Array(citations));
    }
    let category = article.category(ctx).await?;
    page.insert(
        "isPartOf".into(),
        json!({ "@type": "CreativeWorkSeries", "name": category.display_name() }),
    );
    Ok(Value::Object(page))
}

/// One cited work, with its DOI and PMID as identifiers.
fn citation(reference: &entity::reference::Model) -> Value {
    let kind = match reference.kind {
        ReferenceKind::JournalArticle => "ScholarlyArticle",
        ReferenceKind::Book => "Book",
        ReferenceKind::Webpage => "WebPage",
        ReferenceKind::Guideline | ReferenceKind::Legislation => "CreativeWork",
    };
    let mut work = Map::new();
    work.insert("@type".into(), json!(kind));
    work.insert("name".into(), json!(reference.title));
    let authors: Vec<String> = serde_json::from_value(reference.authors.clone()).unwrap_or_default();
    if !authors.is_empty() {
        work.insert(
            "author".into(),
            Value::Array(
                authors
                    .iter()
                    .map(|a| json!({ "@type": "Person", "name": a }))
                    .collect(),
            ),
        );
    }
    if let Some(year) = reference.year {
        work.insert("datePublished".into(), json!(format!("{year:04}")));
    }
    if let Some(container) = &reference.container_title {
        let series = if reference.kind == ReferenceKind::JournalArticle {
            "Periodical"
        } else {
            "CreativeWork"
        };
        work.insert("isPartOf".into(), json!({ "@type": series, "name": container }));
    }
    let mut identifiers = Vec::new();
    if let Some(doi) = &reference.doi {
        identifiers.push(json!({ "@type": "PropertyValue", "propertyID": "DOI", "value": doi }));
        work.insert("sameAs".into(), json!(format!("https://doi.org/{doi}")));
    }
    if let Some(pmid) = &reference.pmid {
        identifiers.push(json!({ "@type": "PropertyValue", "propertyID": "PMID", "value": pmid }));
    }
    if !identifiers.is_empty() {
        work.insert("identifier".into(), Value::Array(identifiers));
    }
    if let Some(url) = &reference.url {
        work.insert("url".into(), json!(url));
    }
    Value::Object(work)
}
