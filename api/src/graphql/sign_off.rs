//! `signOff` and `confirmProfile`, the mutations of supervising physicians;
//! the rules they follow are `editorial::sign_off`'s.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use entity::enums::Role;

use super::scalars::Timestamp;
use super::writer;
use crate::editorial::principal::Principal;
use crate::editorial::sign_off as rules;
use crate::error::{Error, Result};
use crate::locale::Locale;

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
    signed_off_at: Timestamp,
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

/// The physician a SUPERVISOR key speaks for, or `FORBIDDEN` naming `what`.
fn physician<'a>(ctx: &Context<'a>, what: &str) -> Result<(&'a Principal, uuid::Uuid)> {
    match ctx.data_opt::<Principal>() {
        Some(
            key @ Principal::Key {
                role: Role::Supervisor,
                supervisor: Some(physician),
                ..
            },
        ) => Ok((key, *physician)),
        // A partner is told nothing beyond its licence (see `require_role`).
        Some(Principal::Key {
            role: Role::Partner, ..
        }) => Err(Error::NotFound(format!("{what} is not available to a partner key"))),
        _ => Err(Error::Forbidden(format!("{what} needs a SUPERVISOR key"))),
    }
}

#[Object]
impl SignOffMutation {
    /// Signs off the current revision of an article as its supervising
    /// physician. Needs a SUPERVISOR key, which speaks for one physician.
    async fn sign_off(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The article, the revision signed off, and what the sign-off covers.")] input: SignOffInput,
    ) -> Result<SignOff> {
        let (key, physician) = physician(ctx, "signOff")?;
        let request = rules::Request {
            slug: input.slug,
            revision: input.revision,
            locales: input.locales,
            claims: input.claims,
            profile_revision: input.profile_revision,
        };
        let signed = rules::sign_off(&writer(ctx, key)?, physician, request).await?;
        Ok(SignOff {
            slug: signed.slug,
            revision: signed.revision,
            locales: signed.locales.iter().map(|l| Locale::trusted(l)).collect(),
            claims: signed.claims,
            signed_off_at: Timestamp(signed.signed_at),
            profile_revision: signed.profile_revision,
        })
    }

    /// Confirms, as the physician a SUPERVISOR key speaks for, that their
    /// profile as it stands (name, title, qualifications, career,
    /// affiliation, biography, photo) is theirs. After a change by an
    /// ADMIN, articles show them as not having confirmed it, and
    /// `reviewedBySupervisor` is false, until they do.
    async fn confirm_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The profile revision the physician confirms as theirs.")] input: ConfirmProfileInput,
    ) -> Result<ProfileConfirmed> {
        let (key, physician) = physician(ctx, "confirmProfile")?;
        let slug = rules::confirm_profile(&writer(ctx, key)?, physician, input.revision).await?;
        Ok(ProfileConfirmed {
            slug,
            revision: input.revision,
        })
    }
}
