//! Saving one category, tag, supervisor or reference, created or replaced
//! in place (so the articles that use it keep using it), under the import's
//! checks, with what changed in the audit trail.

use entity::enums::Role;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use super::Writer;
use crate::content::Bundle;
use crate::editorial::principal::Principal;
use crate::error::{Error, OnConstraint as _, Result};

/// A saved category, tag, supervisor or reference.
pub struct Saved {
    /// `category`, `tag`, `supervisor` or `reference`.
    pub kind: &'static str,
    /// Its slug, or a reference's key.
    pub key: String,
    /// Whether it was created rather than replaced.
    pub created: bool,
}

/// The row of `E` whose `column` is `value`, locked for the transaction on
/// PostgreSQL (SQLite's writing transaction already excludes other writers),
/// so two replacements of one entry run one after the other.
async fn locked<E: sea_orm::EntityTrait>(
    txn: &sea_orm::DatabaseTransaction,
    column: E::Column,
    value: &str,
) -> Result<Option<E::Model>> {
    use sea_orm::{ConnectionTrait, QuerySelect};
    let mut find = E::find().filter(column.eq(value));
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        find = find.lock_exclusive();
    }
    Ok(find.one(txn).await?)
}

/// Saves the one entry of `bundle` in one transaction with its audit entry
/// (what changed, before and after) and change-log row.
///
/// What a sign-off rests on changes only by an ADMIN, with a reason:
/// whether a category needs a physician's sign-off (creating a category
/// that does not, or changing the flag), turning a category's self-pay
/// flag off (the advertising lint's disclosures hang on it), who a
/// physician is (name, title, qualifications, career: see
/// [`crate::editorial::profiles`]), and a cited work (claims cite it by id and keep
/// their sign-offs).
pub async fn save(w: &Writer<'_>, bundle: Bundle, reason: Option<String>) -> Result<Saved> {
    use crate::content::export;
    use entity::{category, reference, supervisor, tag};
    let admin = matches!(w.key, Principal::Key { role: Role::Admin, .. });
    let reason = reason.filter(|r| !r.trim().is_empty());
    let txn = crate::store::db::begin_write(w.db).await?;
    // Locked first, so two replacements of one entry run one after the
    // other and each compares with what the other left.
    let mut admin_only: Option<&str> = None;
    let mut profile: Option<(
        supervisor::Model,
        crate::content::SupervisorDoc,
        crate::content::SupervisorDoc,
    )> = None;
    let (before, after): (Option<Value>, Value) = if let Some(doc) = bundle.references.first() {
        locked::<reference::Entity>(&txn, reference::Column::Key, &doc.key).await?;
        let old = export::reference_document(&txn, &doc.key).await?;
        if old.is_some() {
            admin_only = Some("replacing a reference changes what reviewed claims cite");
        }
        (old.map(to_json).transpose()?, to_json(doc)?)
    } else if let Some(doc) = bundle.categories.first() {
        locked::<category::Entity>(&txn, category::Column::Slug, &doc.slug).await?;
        let old = export::category_document(&txn, &doc.slug).await?;
        match &old {
            None if !doc.medical => {
                admin_only = Some("a category whose articles publish without a physician's sign-off");
            }
            Some(old) if old.medical != doc.medical => {
                admin_only = Some("whether a category needs a physician's sign-off");
            }
            Some(old) if old.self_pay && !doc.self_pay => {
                admin_only = Some("turning off a category's self-pay flag (what its articles must disclose)");
            }
            _ => {}
        }
        (old.map(to_json).transpose()?, to_json(doc)?)
    } else if let Some(doc) = bundle.supervisors.first() {
        locked::<supervisor::Entity>(&txn, supervisor::Column::Slug, &doc.slug).await?;
        let old = export::supervisor_document(&txn, &doc.slug).await?;
        if let Some((row, old)) = &old
            && crate::editorial::profiles::identity_changed(old, doc)
        {
            admin_only =
                Some("who a physician is (name, title, qualifications, career, affiliation, biography, photo)");
            profile = Some((row.clone(), old.clone(), doc.clone()));
        }
        (old.map(|(_, d)| to_json(d)).transpose()?, to_json(doc)?)
    } else if let Some(doc) = bundle.tags.first() {
        locked::<tag::Entity>(&txn, tag::Column::Slug, &doc.slug).await?;
        let old = export::tag_document(&txn, &doc.slug).await?;
        (old.map(to_json).transpose()?, to_json(doc)?)
    } else {
        (None, Value::Null)
    };
    if let Some(act) = admin_only {
        if !admin {
            return Err(Error::Forbidden(format!("{act}: changed with an ADMIN key only")));
        }
        if reason.is_none() {
            return Err(Error::bad_input(format!(
                "{act} changes only with a `reason`, kept in the audit trail"
            )));
        }
    }
    // Two creations of one key at once: the second meets the first only
    // at its insert, as a unique violation.
    let saved = crate::content::import::save_entity(&txn, bundle)
        .await
        .on_constraint(|| {
            Error::bad_input(
                "another entry with this slug, key, DOI or PMID was saved at the same time; reload and try again",
            )
        })?;
    let who = w.actor().who().1;
    let mut detail = crate::content::diff::describe(before.as_ref(), &after);
    if let Some((row, before, doc)) = &profile {
        let number = crate::editorial::profiles::next(&txn, row, before, doc, &who).await?;
        detail = format!("profile revision {number}, not yet confirmed by the physician; {detail}");
    }
    if let Some(reason) = &reason {
        detail = format!("{detail}; reason: {reason}");
    }
    // A physician an editor adds has confirmed nothing of what the profile
    // says until their own key does.
    if saved.created && saved.kind == "supervisor" {
        supervisor::Entity::update_many()
            .col_expr(
                supervisor::Column::ConfirmedProfileRevision,
                sea_orm::sea_query::Expr::value(0),
            )
            .filter(supervisor::Column::Slug.eq(saved.key.as_str()))
            .exec(&txn)
            .await?;
    }
    crate::editorial::audit::record(
        &txn,
        w.actor(),
        if saved.created { "CREATE" } else { "REPLACE" },
        &format!("{}:{}", saved.kind, saved.key),
        &detail,
    )
    .await?;
    crate::store::write::commit(txn, crate::store::changes::Kind::Edit, &saved.touched, w.followers).await?;
    Ok(Saved {
        kind: saved.kind,
        key: saved.key,
        created: saved.created,
    })
}

/// A content document as JSON, for comparing and recording.
fn to_json<T: serde::Serialize>(doc: T) -> Result<Value> {
    serde_json::to_value(doc).map_err(|err| Error::Internal(format!("document does not serialize: {err}")))
}
