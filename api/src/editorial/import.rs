//! Imports: content files into the database, all or nothing, under the
//! rules every other write keeps (an existing article is saved as its next
//! revision, a published one must pass the medical-advertising lint), with
//! their audit entry and change-log row; the sample at first start; and
//! Markdown export of the newest revision.

use std::collections::HashMap;

use entity::article;
use entity::enums::Status;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::content::import::{self, ImportReport, Problems, invalid};
use crate::content::{ArticleDoc, Bundle};
use crate::editorial::audit::Actor;
use crate::editorial::lint::Rules;
use crate::editorial::revisions::{head, lock, save};
use crate::error::{Error, Result};
use crate::error::{ImportError, Location};
use crate::store::changes::Touched;
use crate::store::write::Followers;

/// One line of an import's findings.
pub(crate) fn finding_line(slug: &str, f: &crate::editorial::lint::Finding) -> String {
    format!(
        "{slug}: {} {}{} {}{}「{}」",
        f.rule,
        f.locale,
        f.requirement.as_deref().map(|r| format!(" ({r})")).unwrap_or_default(),
        f.anchor.as_deref().map(|a| format!("#{a} ")).unwrap_or_default(),
        f.field,
        f.text.chars().take(40).collect::<String>()
    )
}

/// Validates `bundle` and writes it in one transaction, under the shipped
/// lint rules (see [`import_with`]).
pub async fn import(
    db: &DatabaseConnection,
    bundle: &Bundle,
    followers: &Followers,
) -> Result<ImportReport, ImportError> {
    import_with(db, bundle, &Rules::builtin(), followers).await
}

/// Validates `bundle` and writes it in one transaction; a PUBLISHED
/// medical article must pass the medical-advertising `rules` or carry a
/// `lint_override`.
pub async fn import_with(
    db: &DatabaseConnection,
    bundle: &Bundle,
    rules: &Rules,
    followers: &Followers,
) -> Result<ImportReport, ImportError> {
    let txn = crate::store::db::begin_write(db).await?;
    let written = import::write(&txn, bundle).await?;
    let findings = check_published(&txn, &written.articles, bundle, rules).await?;
    let touched = written.touched;
    let report = &written.report;
    crate::editorial::audit::record(
        &txn,
        crate::editorial::audit::Actor::CommandLine,
        "IMPORT",
        "bundle",
        &format!(
            "{} article(s), {} reference(s), {} supervisor(s)",
            report.articles, report.references, report.supervisors
        ),
    )
    .await?;
    crate::store::write::commit(txn, crate::store::changes::Kind::Import, &touched, followers).await?;
    import::analyze(db, &written.tables).await;
    Ok(ImportReport {
        findings,
        ..written.report
    })
}

/// Validates `bundle` and writes it in `txn`, for a caller that records
/// the change itself.
pub async fn create<C: ConnectionTrait>(
    txn: &C,
    bundle: Bundle,
    rules: &Rules,
) -> Result<(ImportReport, Touched), ImportError> {
    let written = import::write(txn, &bundle).await?;
    let findings = check_published(txn, &written.articles, &bundle, rules).await?;
    Ok((
        ImportReport {
            findings,
            ..written.report
        },
        written.touched,
    ))
}

/// Publishing needs what the workflow asks of it: a PUBLISHED article in
/// a medical category whose text has medical-advertising lint errors goes
/// in only with the file's `lint_override` (its reason kept with the
/// revision and audited, as the command line's decision). Runs after the
/// rows are written, in their transaction, so the facts the lint reads
/// (the category's self-pay flag, what the references are) include the
/// bundle's own.
async fn check_published<C: ConnectionTrait>(
    txn: &C,
    articles: &[(String, Uuid, Uuid)],
    bundle: &Bundle,
    rules: &Rules,
) -> Result<Vec<String>, ImportError> {
    let mut problems = Problems::default();
    let mut lines = Vec::new();
    for doc in &bundle.articles {
        let at = Location::article(&doc.slug);
        let findings = rules.run(txn, doc).await?;
        lines.extend(findings.iter().map(|f| finding_line(&doc.slug, f)));
        if doc.status != Status::Published {
            if doc.lint_override.is_some() {
                problems.note::<()>(Err(invalid(&at, "lint_override is for PUBLISHED articles only")));
            }
            continue;
        }
        let Some((_, id, category_id)) = articles.iter().find(|(slug, _, _)| *slug == doc.slug) else {
            continue;
        };
        let medical = entity::category::Entity::find_by_id(*category_id)
            .one(txn)
            .await?
            .is_none_or(|c| c.medical);
        // What readers will read: the translations published with it.
        let errors: Vec<&crate::editorial::lint::Finding> = crate::editorial::lint::errors(&findings)
            .filter(|f| {
                doc.translations
                    .get(&f.locale)
                    .is_some_and(|t| t.status == Status::Published)
            })
            .collect();
        if !medical || errors.is_empty() {
            continue;
        }
        match doc
            .lint_override
            .as_ref()
            .map(|o| o.reason.trim())
            .filter(|r| !r.is_empty())
        {
            Some(reason) => {
                crate::editorial::lint::record_override(
                    txn,
                    crate::editorial::audit::Actor::CommandLine,
                    *id,
                    &doc.slug,
                    doc.revision,
                    &errors,
                    reason,
                )
                .await?;
            }
            None => {
                let mut ids: Vec<&str> = errors.iter().map(|f| f.rule.as_str()).collect();
                ids.sort_unstable();
                ids.dedup();
                problems.note::<()>(Err(invalid(
                    &at,
                    format!(
                        "{} medical-advertising lint error(s) ({}): correct the text, or give \
                         `lint_override: {{reason: …}}` to publish it anyway",
                        errors.len(),
                        ids.join(", ")
                    ),
                )));
            }
        }
    }
    problems.into_result()?;
    Ok(lines)
}

/// Imports `bundle` and Markdown `files` (each with its file name) in one
/// transaction: new articles are created; an article that exists is saved
/// as its next revision from the revision its file names, `CONFLICT`ing
/// like an edit over the API when someone saved since. Several Markdown
/// files of one article (its locales) make one revision.
pub async fn import_files(
    db: &sea_orm::DatabaseConnection,
    bundle: crate::content::Bundle,
    files: Vec<(String, crate::content::markdown::MarkdownArticle)>,
    rules: &crate::editorial::lint::Rules,
    followers: &Followers,
) -> Result<import::ImportReport, ImportError> {
    import_files_with(db, bundle, files, Vec::new(), rules, followers).await
}

/// An image a Markdown file shows, checked and its bytes kept, recorded by
/// the import's own transaction (so an import refused later changes no
/// image and no alt text).
pub struct FileImage {
    /// The line of `![alt](file)`.
    pub line: usize,
    /// The upload, or new texts for a stored image.
    pub image: crate::editorial::media::Prepared,
}

/// [`import_files`], with `images[i]` the images `files[i]` shows, in the
/// order of its [`MarkdownArticle::images`](crate::content::markdown::MarkdownArticle::images).
pub async fn import_files_with(
    db: &sea_orm::DatabaseConnection,
    bundle: crate::content::Bundle,
    files: Vec<(String, crate::content::markdown::MarkdownArticle)>,
    images: Vec<Vec<FileImage>>,
    rules: &crate::editorial::lint::Rules,
    followers: &Followers,
) -> Result<import::ImportReport, ImportError> {
    // Where each section of each Markdown file is, to say so in errors the
    // file's checks find only once it meets the database.
    let places: Vec<(String, String, HashMap<String, usize>)> = files
        .iter()
        .map(|(name, f)| (f.doc.slug.clone(), name.clone(), f.lines.clone()))
        .collect();
    let mut images = images.into_iter();
    let files = files
        .into_iter()
        .map(|(name, file)| (name, file, images.next().unwrap_or_default()))
        .collect();
    import_checked(db, bundle, files, rules, followers)
        .await
        .map_err(|err| locate(err, &places))
}

/// Gives each problem in a section of a Markdown file the file and the
/// line of that section's heading.
fn locate(err: ImportError, places: &[(String, String, HashMap<String, usize>)]) -> ImportError {
    err.relocated(&|at: &mut Location| {
        let (Some(slug), Some(anchor)) = (at.article_slug(), at.section_anchor()) else {
            return;
        };
        let found = places
            .iter()
            .filter(|(s, _, _)| s == slug)
            .find_map(|(_, file, lines)| lines.get(anchor).map(|line| (file.clone(), *line)));
        if let Some((file, line)) = found {
            at.file = Some(file);
            at.line = Some(line);
        }
    })
}

/// [`import_files`], with errors as the checks state them.
async fn import_checked(
    db: &sea_orm::DatabaseConnection,
    mut bundle: crate::content::Bundle,
    files: Vec<(String, crate::content::markdown::MarkdownArticle, Vec<FileImage>)>,
    rules: &crate::editorial::lint::Rules,
    followers: &Followers,
) -> Result<import::ImportReport, ImportError> {
    use crate::content::markdown;
    // Where a rule refused a file: the file, and the place in it when the
    // refusal came from the content checks.
    let as_import = |file: &str, err: Error| match err {
        Error::Database(db) => ImportError::Database(std::sync::Arc::unwrap_or_clone(db)),
        Error::Content(inner) => inner.relocated(&|at: &mut Location| {
            at.file.get_or_insert_with(|| file.to_owned());
        }),
        error => ImportError::Refused {
            at: Location::file(file),
            error,
        },
    };
    let mut slugs: Vec<String> = bundle.articles.iter().map(|a| a.slug.clone()).collect();
    slugs.extend(files.iter().map(|(_, f, _)| f.doc.slug.clone()));
    let any_stored = article::Entity::find()
        .filter(article::Column::Slug.is_in(slugs))
        .count(db)
        .await?
        > 0;
    if !any_stored && files.is_empty() {
        return import_with(db, &bundle, rules, followers).await;
    }
    let txn = crate::store::db::begin_write(db).await?;
    // The files' images first: their ids take the blocks' stand-ins' place.
    let mut image_touched = crate::store::changes::Touched::default();
    let mut read = Vec::with_capacity(files.len());
    for (name, mut file, images) in files {
        let mut ids = Vec::with_capacity(images.len());
        for FileImage { line, image } in images {
            let (stored, touched) = crate::editorial::media::record(&txn, Actor::CommandLine, true, image)
                .await
                .map_err(|e| match as_import(&name, e) {
                    ImportError::Refused { mut at, error } => {
                        at.line = Some(line);
                        ImportError::Refused { at, error }
                    }
                    other => other,
                })?;
            ids.push(stored.id);
            image_touched.merge(touched);
        }
        if ids.len() != file.images.len() {
            return Err(ImportError::Invalid {
                at: Location::file(&name),
                message: "its images were not uploaded: import Markdown with images through `kiji import`, \
                          which reads them from beside the file"
                    .into(),
            });
        }
        file.resolve_images(&ids);
        read.push((name, file));
    }
    let files = read;
    // Per article: the locked row, the document to save and its files.
    let mut updates: Vec<(article::Model, ArticleDoc, String)> = Vec::new();
    let mut new = Vec::new();
    for doc in std::mem::take(&mut bundle.articles) {
        match article::Entity::find()
            .filter(article::Column::Slug.eq(doc.slug.as_str()))
            .filter(article::Column::DraftOf.is_null())
            .one(&txn)
            .await?
        {
            Some(_) => {
                let found = lock(&txn, &doc.slug, doc.revision)
                    .await
                    .map_err(|e| as_import("a YAML file", e))?;
                updates.push((found, doc, "a YAML file".to_owned()));
            }
            None => new.push(doc),
        }
    }
    bundle.articles = new;
    // Source-locale files first: they make the structure translations follow.
    let mut files = files;
    files.sort_by_key(|(_, f)| f.locale != f.doc.source_locale);
    for (name, file) in files {
        let slug = file.doc.slug.clone();
        let merge_error = |errors: Vec<markdown::LineError>| ImportError::Invalid {
            at: Location::file(&name),
            message: errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
        };
        let i = if let Some(i) = updates.iter().position(|(a, _, _)| a.slug == slug) {
            // Every file of one article must be written from its newest
            // revision: an older one would undo what was saved since.
            let newest = updates[i].0.head_revision;
            if file.doc.revision != newest {
                return Err(as_import(
                    &name,
                    Error::Conflict {
                        message: format!(
                            "revision {} of `{slug}` is not the newest one ({newest}): export it again",
                            file.doc.revision
                        ),
                        current_revision: newest,
                    },
                ));
            }
            i
        } else if article::Entity::find()
            .filter(article::Column::Slug.eq(slug.as_str()))
            .filter(article::Column::DraftOf.is_null())
            .one(&txn)
            .await?
            .is_some()
        {
            let found = lock(&txn, &slug, file.doc.revision)
                .await
                .map_err(|e| as_import(&name, e))?;
            let doc = head(&txn, &found).await.map_err(|e| as_import(&name, e))?.article;
            updates.push((found, doc, String::new()));
            updates.len() - 1
        } else {
            if let Some(doc) = bundle.articles.iter_mut().find(|a| a.slug == slug) {
                *doc = markdown::merge(doc, file).map_err(merge_error)?;
            } else {
                bundle.articles.push(file.doc);
            }
            continue;
        };
        let (_, doc, from) = &mut updates[i];
        *doc = markdown::merge(doc, file).map_err(merge_error)?;
        *from = if from.is_empty() {
            name
        } else {
            format!("{from}, {name}")
        };
    }
    let (mut report, mut touched) = create(&txn, bundle, rules).await?;
    touched.merge(image_touched);
    for (found, doc, from) in updates {
        let head = found.head_revision;
        let saved = save(
            &txn,
            Actor::CommandLine,
            found,
            doc,
            Some(format!("imported from {from}")),
            None,
        )
        .await
        .map_err(|e| as_import(&from, e))?;
        if saved.revision != head {
            report.revisions += 1;
            let findings = rules.run(&txn, &saved.document).await?;
            report
                .findings
                .extend(findings.iter().map(|f| finding_line(&saved.article.slug, f)));
        }
        touched.merge(saved.touched);
    }
    crate::editorial::audit::record(
        &txn,
        Actor::CommandLine,
        "IMPORT",
        "files",
        &format!(
            "{} new article(s), {} new revision(s)",
            report.articles, report.revisions
        ),
    )
    .await?;
    crate::store::write::commit(txn, crate::store::changes::Kind::Import, &touched, followers).await?;
    Ok(report)
}

/// A Markdown file and the images it names, to write beside it.
#[derive(Debug, Clone)]
pub struct MarkdownExport {
    /// The file.
    pub text: String,
    /// Each image's file name and stored original.
    pub images: Vec<(String, Vec<u8>)>,
}

/// One locale of the newest revision of `slug` as Markdown, naming that
/// revision, so re-importing the file after someone else saved conflicts.
/// Its images are named `{id}.{format}`, with their alt text in `locale`.
pub async fn export_markdown<C: ConnectionTrait>(
    db: &C,
    objects: &crate::store::objects::MediaStore,
    slug: &str,
    locale: &str,
) -> Result<MarkdownExport> {
    let found = article::Entity::find()
        .filter(article::Column::Slug.eq(slug))
        .filter(article::Column::DraftOf.is_null())
        .one(db)
        .await?
        .ok_or_else(|| Error::bad_input(format!("no article `{slug}`")))?;
    let mut doc = head(db, &found).await?.article;
    doc.revision = found.head_revision;
    let mut ids: Vec<uuid::Uuid> = Vec::new();
    let mut note = |blocks: &[entity::block::Block]| {
        ids.extend(blocks.iter().filter_map(entity::block::Block::image));
    };
    if let Some(text) = doc.translations.get(locale) {
        note(&text.intro);
    }
    let mut stack: Vec<&crate::content::SectionDoc> = doc.sections.iter().collect();
    while let Some(section) = stack.pop() {
        if let Some(blocks) = section.blocks.get(locale) {
            note(blocks);
        }
        stack.extend(section.sections.iter());
    }
    let mut files = std::collections::HashMap::new();
    let mut images = Vec::new();
    if !ids.is_empty() {
        let texts: std::collections::HashMap<uuid::Uuid, (String, Option<String>)> = entity::media_text::Entity::find()
            .filter(entity::media_text::Column::MediaId.is_in(ids.iter().copied()))
            .filter(entity::media_text::Column::Locale.eq(locale))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.media_id, (t.alt, t.caption)))
            .collect();
        for media in entity::media::Entity::find()
            .filter(entity::media::Column::Id.is_in(ids))
            .all(db)
            .await?
        {
            let file = format!("{}.{}", media.id.simple(), media.format);
            let (alt, caption) = texts.get(&media.id).cloned().unwrap_or_default();
            files.insert(
                media.id,
                crate::content::markdown::ImageFile {
                    alt,
                    caption,
                    file: file.clone(),
                },
            );
            images.push((file, objects.original(&media).await?));
        }
    }
    let text = crate::content::markdown::to_markdown(&doc, locale, &files).map_err(Error::bad_input)?;
    Ok(MarkdownExport { text, images })
}

/// Imports the sample when the database holds no article yet; returns what
/// was written, or `None` when there was content already.
pub async fn sample_if_empty(
    db: &sea_orm::DatabaseConnection,
    rules: &Rules,
    followers: &Followers,
) -> Result<Option<ImportReport>, ImportError> {
    if article::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    import_with(db, &crate::content::sample::bundle()?, rules, followers)
        .await
        .map(Some)
}
