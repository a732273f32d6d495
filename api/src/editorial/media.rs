//! Images: uploads (checked and cleaned by `content::media`, stored once
//! per content), their alt text and caption per locale, and an article's
//! hero image. A published page must be accessible: an image without alt
//! text in a locale the article is published in cannot be put on it, and
//! a translation cannot be published while its images lack alt text.

use entity::enums::Status;
use std::collections::{BTreeMap, BTreeSet};

use entity::{
    article, article_hero, article_media, article_translation, media, media_text, supervisor, supervisor_photo,
    supervisor_translation,
};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use crate::content::media::{self as processing, MediaError};
use crate::editorial::audit::Actor;
use crate::error::{Error, Result};
use crate::locale::Locale;
use crate::store::changes::{Kind, Touched};
use crate::store::objects::MediaStore;
use crate::store::write::Followers;

/// Longest alt text or caption, in characters.
pub const MAX_TEXT: usize = 1000;

/// An upload with what to say about it.
#[derive(Debug, Clone, Default)]
pub struct NewImage {
    /// The file as sent.
    pub bytes: Vec<u8>,
    /// Alt text per locale.
    pub alt: Vec<(Locale, String)>,
    /// Caption per locale.
    pub captions: Vec<(Locale, String)>,
    /// Where the subject is, from 0 to 1 across and down.
    pub focal_point: Option<(f64, f64)>,
}

impl From<MediaError> for Error {
    fn from(err: MediaError) -> Self {
        Error::bad_input(err.to_string())
    }
}

/// An upload checked and cleaned, its bytes kept, and not yet recorded:
/// [`record`] writes it in the caller's transaction, so an import that
/// fails later leaves no row and no text changed.
pub struct Prepared {
    /// The image: a new or known upload by digest, or a stored one by id.
    target: Target,
    /// Cleaned bytes of a new upload.
    processed: Option<processing::Processed>,
    alt: Vec<(Locale, String)>,
    captions: Vec<(Locale, String)>,
    focal_point: Option<(f64, f64)>,
}

enum Target {
    Digest(String),
    Id(Uuid),
}

/// Checks the texts and focal point of `image`.
fn check_texts(image: &NewImage) -> Result<()> {
    for (locale, text) in image.alt.iter().chain(&image.captions) {
        if text.trim().is_empty()
            || text.chars().count() > MAX_TEXT
            || text.chars().any(|c| c.is_control() && c != '\n')
        {
            return Err(Error::bad_input(format!(
                "the text for {} must be 1 to {MAX_TEXT} characters, without control characters",
                locale.as_str()
            )));
        }
    }
    if let Some((locale, _)) = image
        .captions
        .iter()
        .find(|(l, _)| !image.alt.iter().any(|(a, _)| a == l))
    {
        return Err(Error::bad_input(format!(
            "a caption in {0} needs alt text in {0} too",
            locale.as_str()
        )));
    }
    if let Some((x, y)) = image.focal_point
        && !((0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y))
    {
        return Err(Error::bad_input("the focal point's x and y are between 0 and 1"));
    }
    Ok(())
}

/// Checks and cleans `image` and keeps its bytes (in the bucket, when
/// there is one), writing no row.
pub async fn prepare(db: &DatabaseConnection, objects: &MediaStore, image: NewImage) -> Result<Prepared> {
    check_texts(&image)?;
    let NewImage {
        bytes,
        alt,
        captions,
        focal_point,
    } = image;
    if bytes.len() > processing::MAX_BYTES {
        return Err(MediaError::TooLarge.into());
    }
    let (bytes, sent) = tokio::task::spawn_blocking(move || {
        let sent = processing::digest(&bytes);
        (bytes, sent)
    })
    .await
    .map_err(|_| Error::Internal("image hashing stopped".into()))?;
    // A stored original sent back (as `kiji export` writes them) is that
    // image: cleaning it again would re-encode it into another.
    let known = media::Entity::find()
        .select_only()
        .column(media::Column::Id)
        .filter(media::Column::Sha256.eq(sent.as_str()))
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    let processed = match known {
        Some(_) => None,
        // Decoding and encoding are CPU work: off the request threads.
        None => {
            let mut processed = tokio::task::spawn_blocking(move || processing::process(&bytes))
                .await
                .map_err(|_| Error::Internal("image processing stopped".into()))??;
            // The bytes go first: a row never names bytes that are not kept
            // (one never written leaves an object no row names, which costs
            // only space).
            processed.bytes = objects
                .put_original(&processed.sha256, std::mem::take(&mut processed.bytes))
                .await?;
            Some(processed)
        }
    };
    Ok(Prepared {
        target: Target::Digest(processed.as_ref().map_or(sent, |p| p.sha256.clone())),
        processed,
        alt,
        captions,
        focal_point,
    })
}

/// New texts for the stored image `id`, as [`prepare`] makes for an upload.
pub fn texts_of(id: Uuid, alt: Vec<(Locale, String)>, captions: Vec<(Locale, String)>) -> Result<Prepared> {
    let image = NewImage {
        bytes: Vec::new(),
        alt,
        captions,
        focal_point: None,
    };
    check_texts(&image)?;
    Ok(Prepared {
        target: Target::Id(id),
        processed: None,
        alt: image.alt,
        captions: image.captions,
        focal_point: None,
    })
}

/// Stores `image` (once per content: the same picture uploaded again is
/// the same image, its texts updated) and returns it. A change to the
/// texts of an image already on articles is logged as a change of those
/// articles, so caches, feeds and webhooks follow.
pub async fn add(
    db: &DatabaseConnection,
    objects: &MediaStore,
    followers: &Followers,
    actor: Actor<'_>,
    may_change_live: bool,
    image: NewImage,
) -> Result<media::Model> {
    let prepared = prepare(db, objects, image).await?;
    let txn = crate::store::db::begin_write(db).await?;
    let (stored, touched) = record(&txn, actor, may_change_live, prepared).await?;
    crate::store::write::commit(txn, Kind::Edit, &touched, followers).await?;
    Ok(stored)
}

/// Writes a prepared image and its changed texts in `txn`; the image, and
/// what the change log must name (nothing when no text changed).
pub async fn record(
    txn: &DatabaseTransaction,
    actor: Actor<'_>,
    may_change_live: bool,
    image: Prepared,
) -> Result<(media::Model, Touched)> {
    let (x, y) = image.focal_point.unwrap_or((0.5, 0.5));
    let mut new = false;
    if let Some(processed) = image.processed {
        // The same picture sent twice at once: one row, whoever inserts first.
        let inserted = media::Entity::insert(media::ActiveModel::from(media::Model {
            id: Uuid::now_v7(),
            sha256: processed.sha256,
            format: processed.format.as_str().to_owned(),
            width: i32::try_from(processed.width).unwrap_or(i32::MAX),
            height: i32::try_from(processed.height).unwrap_or(i32::MAX),
            bytes: processed.bytes,
            placeholder: processed.placeholder,
            focal_x: x,
            focal_y: y,
            created_at: crate::store::clock::stored_now(),
        }))
        .on_conflict(OnConflict::column(media::Column::Sha256).do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
        // Nothing inserted: the same picture was stored already.
        new = inserted > 0;
    }
    let stored = match &image.target {
        Target::Digest(sha256) => media::Entity::find()
            .filter(media::Column::Sha256.eq(sha256.as_str()))
            .one(txn)
            .await?
            .ok_or_else(|| Error::Internal("the image just stored is gone".into()))?,
        Target::Id(id) => media::Entity::find_by_id(*id)
            .one(txn)
            .await?
            .ok_or_else(|| Error::bad_input(format!("no image `{}` is stored", id.simple())))?,
    };
    let current = media_text::Entity::find()
        .filter(media_text::Column::MediaId.eq(stored.id))
        .all(txn)
        .await?;
    // Only texts that differ are written and logged: the same file imported
    // again changes nothing readers see, so it tells no feed anything.
    let changed: Vec<(&Locale, String, Option<String>)> = image
        .alt
        .iter()
        .map(|(locale, alt)| {
            let caption = image
                .captions
                .iter()
                .find(|(l, _)| l == locale)
                .map(|(_, c)| c.trim().to_owned());
            (locale, alt.trim().to_owned(), caption)
        })
        .filter(|(locale, alt, caption)| {
            !current
                .iter()
                .any(|t| t.locale == locale.as_str() && t.alt == *alt && t.caption == *caption)
        })
        .collect();
    if !may_change_live && !changed.is_empty() && shown_to_readers(txn, stored.id).await? {
        return Err(Error::Forbidden(
            "readers see this image (on a published article or a physician's profile): only an ADMIN key may change its texts"
                .into(),
        ));
    }
    if new || !changed.is_empty() {
        let locales: Vec<&str> = changed.iter().map(|(l, _, _)| l.as_str()).collect();
        let detail = format!(
            "{}x{} {}; alt text in {}",
            stored.width,
            stored.height,
            stored.format,
            if locales.is_empty() {
                "no locale".to_owned()
            } else {
                locales.join(", ")
            }
        );
        crate::editorial::audit::record(txn, actor, "IMAGE", &format!("image:{}", stored.id.simple()), &detail).await?;
    }
    for (locale, alt, caption) in &changed {
        media_text::Entity::insert(media_text::ActiveModel {
            media_id: Set(stored.id),
            locale: Set(locale.as_str().to_owned()),
            alt: Set(alt.clone()),
            caption: Set(caption.clone()),
        })
        .on_conflict(
            OnConflict::columns([media_text::Column::MediaId, media_text::Column::Locale])
                .update_columns([media_text::Column::Alt, media_text::Column::Caption])
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    }
    let mut touched = Touched::default();
    if !changed.is_empty() {
        for hero in article_hero::Entity::find()
            .filter(article_hero::Column::MediaId.eq(stored.id))
            .all(txn)
            .await?
        {
            touched.entity("article", hero.article_id);
        }
        // A hidden draft copy is named as the draft of its article, as
        // saving a revision names it: no public answer changes with it.
        let showing = articles_showing(txn, stored.id).await?;
        for (id, draft_of) in article::Entity::find()
            .select_only()
            .columns([article::Column::Id, article::Column::DraftOf])
            .filter(article::Column::Id.is_in(showing))
            .into_tuple::<(Uuid, Option<Uuid>)>()
            .all(txn)
            .await?
        {
            match draft_of {
                Some(live) => touched.entity("draft", live),
                None => touched.entity("article", id),
            }
        }
        for photo in supervisor_photo::Entity::find()
            .filter(supervisor_photo::Column::MediaId.eq(stored.id))
            .all(txn)
            .await?
        {
            touched.entity("supervisor", photo.supervisor_id);
        }
        for (locale, _, _) in &changed {
            touched.locale(locale.as_str());
        }
    }
    Ok((stored, touched))
}

/// Whether readers see image `media_id`: on an article they can read, or
/// as a physician's portrait.
async fn shown_to_readers(txn: &DatabaseTransaction, media_id: Uuid) -> Result<bool> {
    if supervisor_photo::Entity::find()
        .filter(supervisor_photo::Column::MediaId.eq(media_id))
        .one(txn)
        .await?
        .is_some()
    {
        return Ok(true);
    }
    let mut articles: Vec<Uuid> = article_hero::Entity::find()
        .filter(article_hero::Column::MediaId.eq(media_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|h| h.article_id)
        .collect();
    articles.extend(articles_showing(txn, media_id).await?);
    Ok(article::Entity::find()
        .filter(article::Column::Id.is_in(articles))
        .filter(article::Column::VisibleFrom.is_not_null())
        .one(txn)
        .await?
        .is_some())
}

/// The articles whose texts show image `media_id` among their blocks (a
/// preview copy's as itself: readers see it once it is published).
async fn articles_showing(txn: &DatabaseTransaction, media_id: Uuid) -> Result<Vec<Uuid>> {
    Ok(article_media::Entity::find()
        .select_only()
        .column(article_media::Column::ArticleId)
        .distinct()
        .filter(article_media::Column::MediaId.eq(media_id))
        .into_tuple()
        .all(txn)
        .await?)
}

/// The locales among `locales` in which image `media_id` has no alt text.
pub async fn missing_alt<C: ConnectionTrait>(db: &C, media_id: Uuid, locales: &[String]) -> Result<Vec<String>> {
    let have: Vec<String> = media_text::Entity::find()
        .filter(media_text::Column::MediaId.eq(media_id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.locale)
        .collect();
    Ok(locales.iter().filter(|l| !have.contains(l)).cloned().collect())
}

/// Refuses, naming the locales, when article `article_id`'s images lack
/// alt text in any of `locales`.
pub async fn require_alt(txn: &DatabaseTransaction, article_id: Uuid, locales: &[String]) -> Result<()> {
    let mut lacking = Vec::new();
    if let Some(hero) = article_hero::Entity::find_by_id(article_id).one(txn).await? {
        let missing = missing_alt(txn, hero.media_id, locales).await?;
        if !missing.is_empty() {
            lacking.push(format!("the hero image has no alt text in {}", missing.join(", ")));
        }
    }
    // The text going live is the article's, or its preview copy's.
    let mut texts: Vec<Uuid> = article::Entity::find()
        .select_only()
        .column(article::Column::Id)
        .filter(article::Column::DraftOf.eq(article_id))
        .into_tuple()
        .all(txn)
        .await?;
    texts.push(article_id);
    let shown = article_media::Entity::find()
        .filter(article_media::Column::ArticleId.is_in(texts))
        .filter(article_media::Column::Locale.is_in(locales.iter().cloned()))
        .all(txn)
        .await?;
    let mut blocks: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in &shown {
        if !missing_alt(txn, row.media_id, std::slice::from_ref(&row.locale))
            .await?
            .is_empty()
        {
            blocks
                .entry(row.media_id.simple().to_string())
                .or_default()
                .insert(row.locale.clone());
        }
    }
    for (image, in_locales) in blocks {
        lacking.push(format!(
            "image `{image}` among the blocks has no alt text in {}",
            in_locales.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if lacking.is_empty() {
        Ok(())
    } else {
        Err(Error::bad_input(format!(
            "{}: a published page must be accessible, so add it (uploadImage with the same file, \
             or `kiji media add`) before publishing",
            lacking.join("; ")
        )))
    }
}

/// Puts image `media_id` at the head of article `slug` (or removes it,
/// with `None`). The image needs alt text in every locale the article is
/// published in. Readers see the change at once, so on an article they
/// can read it is an ADMIN's to make (`may_change_live`), as publishing is.
pub async fn set_hero(
    db: &DatabaseConnection,
    followers: &Followers,
    actor: Actor<'_>,
    may_change_live: bool,
    slug: &str,
    media_id: Option<Uuid>,
) -> Result<()> {
    let txn = crate::store::db::begin_write(db).await?;
    let mut find = article::Entity::find()
        .filter(article::Column::Slug.eq(slug))
        .filter(article::Column::DraftOf.is_null());
    // Publishing takes this row too: one waits for the other, so a hero
    // without alt text and a publication cannot both pass their checks.
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        find = find.lock_exclusive();
    }
    let found = find
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no article `{slug}`")))?;
    if found.visible_from.is_some() && !may_change_live {
        return Err(Error::Forbidden(
            "readers can read this article: only an ADMIN key may change its hero image".into(),
        ));
    }
    let detail = match media_id {
        Some(id) => format!("hero image set to image:{}", id.simple()),
        None => "hero image removed".to_owned(),
    };
    crate::editorial::audit::record(&txn, actor, "HERO_IMAGE", &format!("article:{slug}"), &detail).await?;
    match media_id {
        Some(media_id) => {
            if media::Entity::find_by_id(media_id).one(&txn).await?.is_none() {
                return Err(Error::NotFound("no such image".into()));
            }
            let published: Vec<String> = article_translation::Entity::find()
                .filter(article_translation::Column::ArticleId.eq(found.id))
                .filter(article_translation::Column::Status.eq(Status::Published))
                .all(&txn)
                .await?
                .into_iter()
                .map(|t| t.locale)
                .collect();
            let missing = missing_alt(&txn, media_id, &published).await?;
            if !missing.is_empty() {
                return Err(Error::bad_input(format!(
                    "the image has no alt text in {}, where the article is published",
                    missing.join(", ")
                )));
            }
            article_hero::Entity::insert(article_hero::ActiveModel {
                article_id: Set(found.id),
                media_id: Set(media_id),
            })
            .on_conflict(
                OnConflict::column(article_hero::Column::ArticleId)
                    .update_column(article_hero::Column::MediaId)
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        }
        None => {
            article_hero::Entity::delete_by_id(found.id).exec(&txn).await?;
        }
    }
    let mut touched = Touched::default();
    touched.entity("article", found.id);
    crate::store::write::commit(txn, Kind::Edit, &touched, followers).await?;
    Ok(())
}

/// Makes image `media_id` the portrait of physician `slug` (or removes it,
/// with `None`). The image needs alt text in every locale the profile is
/// written in.
pub async fn set_photo(
    db: &DatabaseConnection,
    followers: &Followers,
    actor: Actor<'_>,
    slug: &str,
    media_id: Option<Uuid>,
) -> Result<()> {
    let txn = crate::store::db::begin_write(db).await?;
    let found = supervisor::Entity::find()
        .filter(supervisor::Column::Slug.eq(slug))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no supervisor `{slug}`")))?;
    if let Some(media_id) = media_id {
        if media::Entity::find_by_id(media_id).one(&txn).await?.is_none() {
            return Err(Error::NotFound("no such image".into()));
        }
        let locales: Vec<String> = supervisor_translation::Entity::find()
            .filter(supervisor_translation::Column::SupervisorId.eq(found.id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|t| t.locale)
            .collect();
        let missing = missing_alt(&txn, media_id, &locales).await?;
        if !missing.is_empty() {
            return Err(Error::bad_input(format!(
                "the image has no alt text in {}, where the profile is written",
                missing.join(", ")
            )));
        }
        supervisor_photo::Entity::insert(supervisor_photo::ActiveModel {
            supervisor_id: Set(found.id),
            media_id: Set(media_id),
        })
        .on_conflict(
            OnConflict::column(supervisor_photo::Column::SupervisorId)
                .update_column(supervisor_photo::Column::MediaId)
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    } else {
        supervisor_photo::Entity::delete_by_id(found.id).exec(&txn).await?;
    }
    let detail = match media_id {
        Some(id) => format!("portrait set to image:{}", id.simple()),
        None => "portrait removed".to_owned(),
    };
    // Who a physician is includes their face: like a new photo through
    // saveSupervisor, a new portrait is a new profile revision, which they
    // confirm before their sign-offs cover text again.
    if let Some((row, doc)) = crate::content::export::supervisor_document(&txn, slug).await? {
        crate::editorial::profiles::next(&txn, &row, &doc, &doc, &actor.who().1).await?;
    }
    crate::editorial::audit::record(&txn, actor, "PORTRAIT", &format!("supervisor:{slug}"), &detail).await?;
    let mut touched = Touched::default();
    touched.entity("supervisor", found.id);
    crate::store::write::commit(txn, Kind::Edit, &touched, followers).await?;
    Ok(())
}
