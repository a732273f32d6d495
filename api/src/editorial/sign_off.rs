//! Sign-offs: a supervising physician signs off one exact revision of an
//! article, for the locales they reviewed and, if they did, its claims; and
//! confirms the profile readers see beside their name.
//!
//! Only a physician the article names as its supervisor or reviewer may
//! sign it off. The revision named must be the current one, or the answer
//! is `CONFLICT` with the current revision: a physician never puts their
//! name on text they were not shown. The sign-off and its entry in the
//! change log are one transaction, so caches drop the answers that show the
//! article.

use chrono::{DateTime, Utc};
use entity::sign_off;
use sea_orm::{ActiveValue, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::Writer;
use crate::error::{Error, Result};
use crate::locale::Locale;
use crate::store::changes::Touched;

/// What a physician signs off.
pub struct Request {
    /// The article's slug.
    pub slug: String,
    /// The revision reviewed: must be the article's current one.
    pub revision: i32,
    /// The locales whose text was reviewed.
    pub locales: Vec<Locale>,
    /// Whether the claims were reviewed too.
    pub claims: bool,
    /// The revision of their own profile they were shown, if they confirm it.
    pub profile_revision: Option<i32>,
}

/// A recorded sign-off.
pub struct Signed {
    /// The article's slug.
    pub slug: String,
    /// The revision signed off.
    pub revision: i32,
    /// The locales covered, canonical and sorted.
    pub locales: Vec<String>,
    /// Whether the claims are covered.
    pub claims: bool,
    /// When.
    pub signed_at: DateTime<Utc>,
    /// The physician's profile revision it was made under.
    pub profile_revision: i32,
}

/// Signs off `input.revision` of an article as `physician` (whom the key of
/// `w` speaks for).
pub async fn sign_off(w: &Writer<'_>, physician: Uuid, input: Request) -> Result<Signed> {
    let txn = crate::store::db::begin_write(w.db).await?;
    // Locked like every workflow step, so the revision checked is the
    // one signed off.
    let found = crate::editorial::workflow::current(&txn, &input.slug, input.revision).await?;
    // The locales of the revision signed off, which may not be live yet.
    let head = crate::editorial::revisions::head(&txn, &found).await?;
    let translated: Vec<&String> = head.article.translations.keys().collect();
    let mut locales: Vec<String> = Vec::new();
    for locale in &input.locales {
        if !translated.iter().any(|t| t.as_str() == locale.as_str()) {
            return Err(Error::bad_input(format!(
                "`{}` has no translation in `{locale}` to sign off",
                found.slug
            )));
        }
        locales.push(locale.as_str().to_owned());
    }
    locales.sort();
    locales.dedup();
    let now = crate::store::clock::stored_now();
    // A physician signs off only a revision that names them as its
    // supervisor: a key must not attach a name to any article it likes.
    let facts = crate::editorial::revisions::head_facts(&txn, &found).await?;
    if !facts.supervisors.contains(&physician) && !facts.reviewers.contains(&physician) {
        return Err(Error::Forbidden(format!(
            "revision {} of `{}` does not name this physician as its supervisor or reviewer; an editor lists them first",
            found.head_revision, found.slug
        )));
    }
    let revision = found.head_revision;
    // The profile readers will see beside the sign-off is the one it
    // was made under: signing stands behind it.
    let profile = entity::supervisor::Entity::find_by_id(physician)
        .one(&txn)
        .await?
        .map_or(1, |p| p.profile_revision);
    // A physician confirms only a profile they were shown: one changed
    // while they read the article is a conflict, not a confirmation.
    if let Some(read) = input.profile_revision {
        if read != profile {
            return Err(Error::Conflict {
                message: format!(
                    "profile revision {read} is not your current one ({profile}): read your profile again"
                ),
                current_revision: profile,
            });
        }
        crate::editorial::profiles::confirm(&txn, physician, profile).await?;
    }
    sign_off::Entity::delete_many()
        .filter(sign_off::Column::ArticleId.eq(found.id))
        .filter(sign_off::Column::Revision.eq(revision))
        .filter(sign_off::Column::SupervisorId.eq(physician))
        .exec(&txn)
        .await?;
    sign_off::Entity::insert(sign_off::ActiveModel {
        article_id: ActiveValue::Set(found.id),
        revision: ActiveValue::Set(revision),
        supervisor_id: ActiveValue::Set(physician),
        locales: ActiveValue::Set(locales.join(",")),
        claims: ActiveValue::Set(input.claims),
        signed_at: ActiveValue::Set(Some(now)),
        profile_revision: ActiveValue::Set(Some(profile)),
    })
    .exec_without_returning(&txn)
    .await?;
    // Readers see it at once when it covers what they read; a sign-off
    // of a revision not yet published shows when that revision does.
    if revision == found.revision {
        crate::editorial::revisions::show_sign_offs(&txn, found.id, revision, None).await?;
    } else if let Some(copy) = crate::editorial::revisions::draft_copy(&txn, found.id).await? {
        crate::editorial::revisions::show_sign_offs(&txn, found.id, revision, Some(copy.id)).await?;
    }
    let mut touched = Touched::default();
    touched.entity("article", found.id);
    touched.entity("supervisor", physician);
    for locale in &locales {
        touched.locale(locale);
    }
    crate::editorial::audit::record(
        &txn,
        w.actor(),
        "SIGN_OFF",
        &format!("article:{}", found.slug),
        &format!(
            "revision {}; locales {}; claims {}; under profile revision {profile}",
            revision,
            locales.join(","),
            if input.claims { "reviewed" } else { "not reviewed" }
        ),
    )
    .await?;
    crate::store::write::commit(txn, crate::store::changes::Kind::SignOff, &touched, w.followers).await?;
    tracing::info!(article = %found.slug, revision, supervisor = %physician, "signed off");
    Ok(Signed {
        slug: found.slug,
        revision,
        locales,
        claims: input.claims,
        signed_at: now,
        profile_revision: profile,
    })
}

/// Confirms, for `physician`, that their profile revision `revision` (the
/// current one, or `CONFLICT`) is theirs; returns their slug.
pub async fn confirm_profile(w: &Writer<'_>, physician: Uuid, revision: i32) -> Result<String> {
    let txn = crate::store::db::begin_write(w.db).await?;
    let mut find = entity::supervisor::Entity::find_by_id(physician);
    if sea_orm::ConnectionTrait::get_database_backend(&txn) == sea_orm::DbBackend::Postgres {
        find = sea_orm::QuerySelect::lock_exclusive(find);
    }
    let Some(row) = find.one(&txn).await? else {
        return Err(Error::Forbidden("this key's physician no longer exists".into()));
    };
    if row.profile_revision != revision {
        return Err(Error::Conflict {
            message: format!(
                "profile revision {} of `{}` is not the current one ({}): read it again",
                revision, row.slug, row.profile_revision
            ),
            current_revision: row.profile_revision,
        });
    }
    crate::editorial::profiles::confirm(&txn, row.id, row.profile_revision).await?;
    crate::editorial::audit::record(
        &txn,
        w.actor(),
        "CONFIRM_PROFILE",
        &format!("supervisor:{}", row.slug),
        &format!(
            "profile revision {} confirmed (was {})",
            row.profile_revision, row.confirmed_profile_revision
        ),
    )
    .await?;
    let mut touched = Touched::default();
    touched.entity("supervisor", row.id);
    crate::store::write::commit(txn, crate::store::changes::Kind::SignOff, &touched, w.followers).await?;
    Ok(row.slug)
}
