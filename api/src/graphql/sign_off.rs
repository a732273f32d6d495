//! `signOff`: a supervising physician signs off one exact revision of an
//! article, for the locales they reviewed and, if they did, its claims.
//!
//! Only a physician the article names as its supervisor may sign it off.
//! The revision named must be the current one, or the answer is `CONFLICT`
//! with the current revision: a physician never puts their name on text
//! they were not shown. The sign-off and its entry in the change log are
//! one transaction, so caches drop the answers that show the article.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::enums::Role;
use entity::sign_off;
use sea_orm::{ActiveValue, ColumnTrait, EntityTrait, QueryFilter};

use super::db;
use crate::editorial::auth::Principal;
use crate::error::{Error, Result};
use crate::locale::Locale;
use crate::store::changes::Touched;

/// The mutations of supervising physicians.
#[derive(Default)]
pub struct SignOffMutation;

/// What a physician signs off.
#[derive(InputObject)]
pub struct SignOffInput {
    /// The article's slug.
    #[graphql(validator(max_length = 200))]
    slug: String,
    /// The revision reviewed: must be the article's current one.
    revision: i32,
    /// The locales whose text was reviewed.
    #[graphql(validator(min_items = 1, max_items = 50))]
    locales: Vec<Locale>,
    /// Whether the claims were reviewed too.
    claims: bool,
    /// The revision of their own profile the physician read beside the
    /// article (`Supervisor.profileRevision`): given, it must be the
    /// current one (`CONFLICT` otherwise), and the sign-off confirms that
    /// profile too. Left out, the sign-off records the profile revision
    /// but confirms nothing about it.
    profile_revision: Option<i32>,
}

/// A recorded sign-off.
#[derive(SimpleObject)]
pub struct SignOff {
    /// The article's slug.
    slug: String,
    /// The revision signed off.
    revision: i32,
    /// The locales covered.
    locales: Vec<Locale>,
    /// Whether the claims are covered.
    claims: bool,
    /// When.
    signed_off_at: DateTime<Utc>,
    /// The physician's profile revision it was made under.
    profile_revision: i32,
}

/// A physician confirming the profile readers see.
#[derive(InputObject)]
pub struct ConfirmProfileInput {
    /// The profile revision read (`Supervisor.profileRevision`): must be
    /// the current one.
    revision: i32,
}

/// A confirmed profile.
#[derive(SimpleObject)]
pub struct ProfileConfirmed {
    /// The physician's slug.
    slug: String,
    /// The profile revision confirmed.
    revision: i32,
}

#[Object]
impl SignOffMutation {
    /// Signs off the current revision of an article as its supervising
    /// physician. Needs a SUPERVISOR key, which speaks for one physician.
    async fn sign_off(&self, ctx: &Context<'_>, input: SignOffInput) -> Result<SignOff> {
        let principal = ctx.data_opt::<Principal>();
        let Some(
            key @ Principal::Key {
                role: Role::Supervisor,
                supervisor: Some(physician),
                ..
            },
        ) = principal
        else {
            return Err(Error::Forbidden("signOff needs a SUPERVISOR key".into()));
        };
        let db = db(ctx)?;
        let txn = crate::store::db::begin_write(db).await?;
        // Locked like every workflow step, so the revision checked is the
        // one signed off.
        let found = super::workflow::current(&txn, &input.slug, input.revision).await?;
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
        if !facts.supervisors.contains(physician) && !facts.reviewers.contains(physician) {
            return Err(Error::Forbidden(format!(
                "revision {} of `{}` does not name this physician as its supervisor or reviewer; an editor lists them first",
                found.head_revision, found.slug
            )));
        }
        let revision = found.head_revision;
        // The profile readers will see beside the sign-off is the one it
        // was made under: signing stands behind it.
        let profile = entity::supervisor::Entity::find_by_id(*physician)
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
            crate::editorial::profiles::confirm(&txn, *physician, profile).await?;
        }
        sign_off::Entity::delete_many()
            .filter(sign_off::Column::ArticleId.eq(found.id))
            .filter(sign_off::Column::Revision.eq(revision))
            .filter(sign_off::Column::SupervisorId.eq(*physician))
            .exec(&txn)
            .await?;
        sign_off::Entity::insert(sign_off::ActiveModel {
            article_id: ActiveValue::Set(found.id),
            revision: ActiveValue::Set(revision),
            supervisor_id: ActiveValue::Set(*physician),
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
        touched.entity("supervisor", *physician);
        for locale in &locales {
            touched.locale(locale);
        }
        crate::editorial::audit::record(
            &txn,
            crate::editorial::audit::Actor::Key(key),
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
        crate::store::write::commit(
            txn,
            crate::store::changes::Kind::SignOff,
            &touched,
            super::followers(ctx)?,
        )
        .await?;
        tracing::info!(article = %found.slug, revision, supervisor = %physician, "signed off");
        Ok(SignOff {
            slug: found.slug,
            revision,
            locales: locales.iter().map(|l| Locale::trusted(l)).collect(),
            claims: input.claims,
            signed_off_at: now,
            profile_revision: profile,
        })
    }

    /// Confirms, as the physician a SUPERVISOR key speaks for, that their
    /// profile as it stands (name, title, qualifications, career) is theirs.
    /// After a change by an ADMIN, articles show them as not having
    /// confirmed it, and `reviewedBySupervisor` is false, until they do.
    async fn confirm_profile(&self, ctx: &Context<'_>, input: ConfirmProfileInput) -> Result<ProfileConfirmed> {
        let Some(
            key @ Principal::Key {
                role: Role::Supervisor,
                supervisor: Some(physician),
                ..
            },
        ) = ctx.data_opt::<Principal>()
        else {
            return Err(Error::Forbidden("confirmProfile needs a SUPERVISOR key".into()));
        };
        let txn = crate::store::db::begin_write(db(ctx)?).await?;
        let mut find = entity::supervisor::Entity::find_by_id(*physician);
        if sea_orm::ConnectionTrait::get_database_backend(&txn) == sea_orm::DbBackend::Postgres {
            find = sea_orm::QuerySelect::lock_exclusive(find);
        }
        let Some(row) = find.one(&txn).await? else {
            return Err(Error::Forbidden("this key's physician no longer exists".into()));
        };
        if row.profile_revision != input.revision {
            return Err(Error::Conflict {
                message: format!(
                    "profile revision {} of `{}` is not the current one ({}): read it again",
                    input.revision, row.slug, row.profile_revision
                ),
                current_revision: row.profile_revision,
            });
        }
        crate::editorial::profiles::confirm(&txn, row.id, row.profile_revision).await?;
        crate::editorial::audit::record(
            &txn,
            crate::editorial::audit::Actor::Key(key),
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
        crate::store::write::commit(
            txn,
            crate::store::changes::Kind::SignOff,
            &touched,
            super::followers(ctx)?,
        )
        .await?;
        Ok(ProfileConfirmed {
            slug: row.slug,
            revision: row.profile_revision,
        })
    }
}
