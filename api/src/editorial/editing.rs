//! Content edits: every edit loads the article's newest revision, changes
//! it, and saves the result as the next revision through
//! [`revisions::save`], in one transaction with its audit entry and
//! change-log row. Each names the revision it started from: a stale one is
//! `CONFLICT` with the newest revision, so no edit overwrites another
//! unseen. A TRANSLATOR changes translations only.

use entity::block::Block;
use entity::enums::{Role, Status};

use super::Writer;
use crate::content::{ArticleDoc, ArticleText, Bundle, SectionDoc};
use crate::editorial::lint::Finding;
use crate::editorial::principal::Principal;
use crate::editorial::revisions::{self, Snapshot};
use crate::error::{Error, OnConstraint as _, Result};
use crate::locale::Locale;
use crate::store::changes::Kind;

/// Roles that change an article's structure and source text.
const EDITING: [Role; 2] = [Role::Editor, Role::Admin];

/// A saved revision.
pub struct Saved {
    /// The article's slug.
    pub slug: String,
    /// The new revision.
    pub revision: i32,
    /// The revision readers are shown.
    pub live_revision: i32,
    /// The article's state.
    pub status: Status,
    /// What the medical-advertising lint finds in the saved revision.
    pub findings: Vec<Finding>,
}

/// One change to an article's newest revision.
pub enum Change {
    /// The whole document replaced.
    Whole(ArticleDoc),
    /// A section's heading or blocks in one locale.
    Section {
        /// The section's anchor.
        anchor: String,
        /// The locale of the text.
        locale: Locale,
        /// The new heading; unchanged when `None` (but one must exist).
        heading: Option<String>,
        /// The new blocks; unchanged when `None`.
        blocks: Option<Vec<Block>>,
    },
    /// A new section under `parent` (the top level for `None`).
    AddSection {
        /// The parent's anchor.
        parent: Option<String>,
        /// Place among its siblings; last when `None`.
        position: Option<i32>,
        /// The section.
        section: SectionDoc,
    },
    /// A section moved, with its subsections.
    MoveSection {
        /// The section's anchor.
        anchor: String,
        /// The new parent's anchor; the top level when `None`.
        parent: Option<String>,
        /// The new place among its siblings.
        position: i32,
    },
    /// A section deleted, with its subsections and claims.
    DeleteSection {
        /// The section's anchor.
        anchor: String,
    },
    /// The article-level text of one locale (created as a DRAFT when missing).
    Translation {
        /// The locale.
        locale: Locale,
        /// The title.
        title: String,
        /// The lead.
        lead: String,
        /// Blocks before the first section; unchanged when `None`.
        intro: Option<Vec<Block>>,
        /// Title for search engines.
        seo_title: Option<String>,
        /// Meta description.
        seo_description: Option<String>,
    },
}

impl Change {
    /// Applies the change to `article`, as `key` may.
    fn apply(self, key: &Principal, article: &mut ArticleDoc) -> Result<()> {
        let before = article.clone();
        match self {
            Change::Whole(doc) => *article = doc,
            Change::Section {
                anchor,
                locale,
                heading,
                blocks,
            } => {
                let locale = locale.as_str().to_owned();
                let section = find_mut(&mut article.sections, &anchor)
                    .ok_or_else(|| Error::bad_input(format!("anchor: no section `{anchor}`")))?;
                if let Some(heading) = heading {
                    section.heading.insert(locale.clone(), heading);
                } else if !section.heading.contains_key(&locale) {
                    return Err(Error::bad_input(format!(
                        "heading: section `{anchor}` has no heading in `{locale}` yet; give one"
                    )));
                }
                if let Some(blocks) = blocks {
                    section.blocks.insert(locale, blocks);
                }
            }
            Change::AddSection {
                parent,
                position,
                section,
            } => {
                let list = children(article, parent.as_deref())?;
                let at = place(position.unwrap_or(list.len() as i32), list.len())?;
                list.insert(at, section);
            }
            Change::MoveSection {
                anchor,
                parent,
                position,
            } => {
                let moved = take(&mut article.sections, &anchor)
                    .ok_or_else(|| Error::bad_input(format!("anchor: no section `{anchor}`")))?;
                if let Some(parent) = &parent
                    && (parent == &anchor || find_mut(&mut moved.sections.clone(), parent).is_some())
                {
                    return Err(Error::bad_input(format!(
                        "parent: `{parent}` is `{anchor}` or inside it; a section cannot contain itself"
                    )));
                }
                let list = children(article, parent.as_deref())?;
                let at = place(position, list.len())?;
                list.insert(at, moved);
            }
            Change::DeleteSection { anchor } => {
                take(&mut article.sections, &anchor)
                    .ok_or_else(|| Error::bad_input(format!("anchor: no section `{anchor}`")))?;
            }
            Change::Translation {
                locale,
                title,
                lead,
                intro,
                seo_title,
                seo_description,
            } => {
                let locale = locale.as_str().to_owned();
                let old = article.translations.get(&locale);
                let text = ArticleText {
                    title,
                    lead,
                    intro: intro.or_else(|| old.map(|t| t.intro.clone())).unwrap_or_default(),
                    seo_title,
                    seo_description,
                    status: old.map_or(Status::Draft, |t| t.status),
                    source_revision: old.map_or(1, |t| t.source_revision),
                };
                article.translations.insert(locale, text);
            }
        }
        require_translation(key, &before, article)
    }
}

/// Applies `change` to the newest revision of `slug` (which must be `base`)
/// and saves the result as the next revision.
pub async fn edit(w: &Writer<'_>, slug: &str, base: i32, note: Option<String>, change: Change) -> Result<Saved> {
    let txn = crate::store::db::begin_write(w.db).await?;
    let found = revisions::lock(&txn, slug, base).await?;
    let Snapshot { mut article, .. } = revisions::head(&txn, &found).await?;
    change.apply(w.key, &mut article)?;
    let reason = note.clone();
    save(w, txn, found, article, note, reason).await
}

/// Saves `article` as the next revision of `found`, lints it and commits:
/// how an edit and a restore end.
async fn save(
    w: &Writer<'_>,
    txn: sea_orm::DatabaseTransaction,
    found: entity::article::Model,
    article: ArticleDoc,
    note: Option<String>,
    reason: Option<String>,
) -> Result<Saved> {
    let saved = revisions::save(&txn, w.actor(), found, article, note, reason.as_deref()).await?;
    let findings = w.rules.run(&txn, &saved.document).await?;
    crate::store::write::commit(txn, Kind::Edit, &saved.touched, w.followers).await?;
    Ok(Saved {
        slug: saved.article.slug,
        revision: saved.revision,
        live_revision: saved.article.revision,
        status: saved.article.status,
        findings,
    })
}

/// Creates `doc` as a DRAFT, revision 1: whatever state, sign-offs or
/// override it claims are not a document's to give.
pub async fn create(w: &Writer<'_>, mut doc: ArticleDoc, note: Option<String>) -> Result<Saved> {
    doc.status = Status::Draft;
    doc.revision = 1;
    // An override is a decision about publishing a revision, made then.
    doc.lint_override = None;
    doc.published_at = None;
    for text in doc.translations.values_mut() {
        text.status = Status::Draft;
        text.source_revision = 1;
    }
    if doc.contributors.iter().any(|c| {
        c.signed_off_revision.is_some()
            || c.signed_off_at.is_some()
            || !c.signed_off_locales.is_empty()
            || c.signed_off_claims
    }) {
        return Err(Error::bad_input(
            "document.contributors: a sign-off is made by its physician with signOff, not written in a document",
        ));
    }
    let slug = doc.slug.clone();
    let txn = crate::store::db::begin_write(w.db).await?;
    let bundle = Bundle {
        articles: vec![doc],
        ..Bundle::default()
    };
    // Two creations of one slug at once: the second finds the first's
    // row only at its insert, as a unique violation.
    let (_, mut touched) = crate::editorial::import::create(&txn, bundle, w.rules)
        .await
        .on_constraint(|| Error::bad_input(format!("article `{slug}` already exists")))?;
    let found = revisions::lock(&txn, &slug, 1).await?;
    let head = revisions::head(&txn, &found).await?;
    let findings = w.rules.run(&txn, &head.article).await?;
    revisions::keep(&txn, &found, 1, None, &head, &w.actor().who().1, note).await?;
    crate::editorial::audit::record(&txn, w.actor(), "CREATE", &format!("article:{slug}"), "revision 1").await?;
    touched.entity("article", found.id);
    crate::store::write::commit(txn, Kind::Edit, &touched, w.followers).await?;
    Ok(Saved {
        slug,
        revision: 1,
        live_revision: 1,
        status: Status::Draft,
        findings,
    })
}

/// Saves the content of revision `number` of `slug` as its newest one.
pub async fn restore(w: &Writer<'_>, slug: &str, base: i32, number: i32, note: Option<String>) -> Result<Saved> {
    let txn = crate::store::db::begin_write(w.db).await?;
    let found = revisions::lock(&txn, slug, base).await?;
    let Some(old) = revisions::stored(&txn, &found, number).await? else {
        return Err(Error::bad_input(format!(
            "number: `{}` has no kept revision {number}",
            found.slug
        )));
    };
    // The note Kiji makes up is history, not the editor's reason.
    let reason = note.clone();
    let note = Some(note.unwrap_or_else(|| format!("restores revision {number}")));
    save(w, txn, found, old.article, note, reason).await
}

/// Finds the section `anchor` among `sections`, at any depth.
fn find_mut<'a>(sections: &'a mut [SectionDoc], anchor: &str) -> Option<&'a mut SectionDoc> {
    for s in sections {
        if s.anchor == anchor {
            return Some(s);
        }
        if let Some(found) = find_mut(&mut s.sections, anchor) {
            return Some(found);
        }
    }
    None
}

/// Takes the section `anchor` out of the tree.
fn take(sections: &mut Vec<SectionDoc>, anchor: &str) -> Option<SectionDoc> {
    if let Some(i) = sections.iter().position(|s| s.anchor == anchor) {
        return Some(sections.remove(i));
    }
    sections.iter_mut().find_map(|s| take(&mut s.sections, anchor))
}

/// The children of `parent` (the top level for `None`).
fn children<'a>(doc: &'a mut ArticleDoc, parent: Option<&str>) -> Result<&'a mut Vec<SectionDoc>> {
    match parent {
        None => Ok(&mut doc.sections),
        Some(anchor) => find_mut(&mut doc.sections, anchor)
            .map(|s| &mut s.sections)
            .ok_or_else(|| Error::bad_input(format!("parent: no section `{anchor}`"))),
    }
}

/// `position` among `siblings` sections, from 0 to after the last.
fn place(position: i32, siblings: usize) -> Result<usize> {
    usize::try_from(position)
        .ok()
        .filter(|p| *p <= siblings)
        .ok_or_else(|| Error::bad_input(format!("position: {position} is not between 0 and {siblings}")))
}

/// Whether `key` may change the source locale and the structure.
fn edits_source(key: &Principal) -> bool {
    matches!(key, Principal::Key { role, .. } if EDITING.contains(role))
}

/// Refuses a TRANSLATOR's change to what only editors change.
fn require_translation(key: &Principal, before: &ArticleDoc, after: &ArticleDoc) -> Result<()> {
    if edits_source(key) {
        return Ok(());
    }
    let mut a = before.clone();
    let mut b = after.clone();
    for doc in [&mut a, &mut b] {
        strip_translations(doc);
    }
    if a == b {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "a TRANSLATOR key changes translations only; the source text and the structure need an EDITOR or ADMIN key"
                .into(),
        ))
    }
}

/// The document with only its source-locale texts.
fn strip_translations(doc: &mut ArticleDoc) {
    let source = doc.source_locale.clone();
    doc.translations.retain(|l, _| *l == source);
    fn sections(list: &mut [SectionDoc], source: &str) {
        for s in list {
            s.heading.retain(|l, _| l == source);
            s.blocks.retain(|l, _| l == source);
            for c in &mut s.claims {
                c.text.retain(|l, _| l == source);
            }
            sections(&mut s.sections, source);
        }
    }
    sections(&mut doc.sections, &source);
}
