//! A physician's profile as numbered revisions.
//!
//! Readers trust an article because of who reviewed it: the name, title,
//! qualifications, career, affiliation, biography and photo shown beside
//! it. Changing any of them is an ADMIN's act, audited with before and
//! after (a biography can claim credentials as well as a qualification
//! can), and makes a new profile revision, kept whole in
//! `supervisor_profile`. A sign-off records the profile revision it was
//! made under, and `confirmed_profile_revision` is the newest revision the
//! physician's own key stood behind: with `confirmProfile`, or with a
//! sign-off that names the profile revision it was shown. Until they
//! confirm a newer one, every article shows them as not having confirmed
//! the profile readers see, and `reviewedBySupervisor` is false: a changed
//! name never inherits a sign-off. A physician an editor creates over the
//! API has confirmed nothing yet.

use entity::supervisor;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::content::SupervisorDoc;
use crate::error::{Error, Result};

/// Whether `before` and `after` differ in what readers are told of the
/// physician: everything but whether they are listed before any article
/// uses them (`public`).
pub fn identity_changed(before: &SupervisorDoc, after: &SupervisorDoc) -> bool {
    let told = |doc: &SupervisorDoc| SupervisorDoc {
        public: false,
        ..doc.clone()
    };
    told(before) != told(after)
}

/// Keeps `doc` as profile revision `number` of physician `id`.
pub async fn keep<C: ConnectionTrait>(
    db: &C,
    id: uuid::Uuid,
    number: i32,
    doc: &SupervisorDoc,
    who: &str,
) -> Result<()> {
    let document =
        serde_json::to_string(doc).map_err(|err| Error::Internal(format!("profile does not serialize: {err}")))?;
    entity::supervisor_profile::Entity::insert(entity::supervisor_profile::ActiveModel {
        supervisor_id: ActiveValue::Set(id),
        number: ActiveValue::Set(number),
        document: ActiveValue::Set(document),
        saved_at: ActiveValue::Set(crate::store::clock::stored_now()),
        saved_by: ActiveValue::Set(who.chars().take(120).collect()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Makes `doc` the next profile revision of `row` (just replaced in
/// place; `before` is what it replaced); returns its number.
pub async fn next<C: ConnectionTrait>(
    db: &C,
    row: &supervisor::Model,
    before: &SupervisorDoc,
    doc: &SupervisorDoc,
    who: &str,
) -> Result<i32> {
    // A physician stored before profiles had revisions has none kept: keep
    // what they signed under, as their revision so far.
    if entity::supervisor_profile::Entity::find_by_id((row.id, row.profile_revision))
        .one(db)
        .await?
        .is_none()
    {
        keep(db, row.id, row.profile_revision, before, "before profile revisions").await?;
    }
    let number = row.profile_revision + 1;
    supervisor::Entity::update_many()
        .col_expr(supervisor::Column::ProfileRevision, Expr::value(number))
        .filter(supervisor::Column::Id.eq(row.id))
        .exec(db)
        .await?;
    keep(db, row.id, number, doc, who).await?;
    Ok(number)
}

/// Records that physician `id`'s own key stood behind profile revision
/// `number` (never moving back).
pub async fn confirm<C: ConnectionTrait>(db: &C, id: uuid::Uuid, number: i32) -> Result<()> {
    supervisor::Entity::update_many()
        .col_expr(supervisor::Column::ConfirmedProfileRevision, Expr::value(number))
        .filter(supervisor::Column::Id.eq(id))
        .filter(supervisor::Column::ConfirmedProfileRevision.lt(number))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether the physician confirmed the profile readers see now.
pub fn confirmed(row: &supervisor::Model) -> bool {
    row.confirmed_profile_revision >= row.profile_revision
}
