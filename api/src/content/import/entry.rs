//! Saving one category, tag, supervisor or reference in place.

use super::*;

/// What [`save_entity`] saved.
pub(crate) struct SavedEntity {
    /// `category`, `tag`, `supervisor` or `reference`.
    pub kind: &'static str,
    /// Its slug or key.
    pub key: String,
    /// Whether it is new.
    pub created: bool,
    /// What to append to the change log.
    pub touched: Touched,
}

/// Creates, or replaces in place (keeping its id, so articles keep
/// pointing at it), the one category, tag, supervisor or reference in
/// `bundle`, in `txn`, under the same checks as an import.
pub(crate) async fn save_entity<C: ConnectionTrait>(txn: &C, bundle: Bundle) -> Result<SavedEntity, ImportError> {
    let n = bundle.categories.len() + bundle.tags.len() + bundle.supervisors.len() + bundle.references.len();
    if n != 1 || !bundle.articles.is_empty() {
        return Err(invalid(
            &Location::item("document"),
            "give exactly one category, tag, supervisor or reference",
        ));
    }
    let (kind, key) = bundle
        .keys()
        .into_iter()
        .next()
        .ok_or_else(|| invalid(&Location::item("document"), "nothing to save"))?;
    let mut taken = Taken::find(&bundle, txn).await?;
    let existing = match kind {
        "category" => taken.categories.remove(&key),
        "tag" => taken.tags.remove(&key),
        "supervisor" => taken.supervisors.remove(&key),
        _ => taken.references.remove(&key),
    };
    // Its own identifiers are not a duplicate of itself.
    taken.dois.retain(|_, owner| *owner != key);
    taken.pmids.retain(|_, owner| *owner != key);
    let now = stored_now();
    let mut rows = Rows::default();
    let mut known = Known::default();
    let mut problems = Problems::default();
    problems.note(rows.add_categories(&bundle, &taken, &mut known, now));
    problems.note(rows.add_tags(&bundle, &taken, &mut known));
    problems.note(rows.add_supervisors(&bundle, &taken, &mut known, now));
    problems.note(rows.add_references(&bundle, &taken, &mut known));
    problems.into_result()?;
    let Some(id) = existing else {
        rows.write(txn).await?;
        return Ok(SavedEntity {
            kind,
            touched: rows.touched(),
            key,
            created: true,
        });
    };
    rows.reuse_id(id);
    match kind {
        "category" => {
            if let Some(old) = category::Entity::find_by_id(id).one(txn).await? {
                for row in &mut rows.categories {
                    row.created_at = old.created_at;
                }
            }
            category_translation::Entity::delete_many()
                .filter(category_translation::Column::CategoryId.eq(id))
                .exec(txn)
                .await?;
            for row in &rows.categories {
                category::Entity::update(row.clone().into_active_model().reset_all())
                    .exec(txn)
                    .await?;
            }
            insert::<category_translation::Entity, _>(txn, &rows.category_texts).await?;
        }
        "tag" => {
            tag_translation::Entity::delete_many()
                .filter(tag_translation::Column::TagId.eq(id))
                .exec(txn)
                .await?;
            for row in &rows.tags {
                tag::Entity::update(row.clone().into_active_model().reset_all())
                    .exec(txn)
                    .await?;
            }
            insert::<tag_translation::Entity, _>(txn, &rows.tag_texts).await?;
        }
        "supervisor" => {
            // The profile's revision is the caller's to move on
            // (`profiles::save`): a replacement keeps what it had.
            if let Some(old) = supervisor::Entity::find_by_id(id).one(txn).await? {
                for row in &mut rows.supervisors {
                    row.created_at = old.created_at;
                    row.profile_revision = old.profile_revision;
                    row.confirmed_profile_revision = old.confirmed_profile_revision;
                }
            }
            supervisor_translation::Entity::delete_many()
                .filter(supervisor_translation::Column::SupervisorId.eq(id))
                .exec(txn)
                .await?;
            // Cascades to their translations.
            qualification::Entity::delete_many()
                .filter(qualification::Column::SupervisorId.eq(id))
                .exec(txn)
                .await?;
            career_entry::Entity::delete_many()
                .filter(career_entry::Column::SupervisorId.eq(id))
                .exec(txn)
                .await?;
            for row in &rows.supervisors {
                supervisor::Entity::update(row.clone().into_active_model().reset_all())
                    .exec(txn)
                    .await?;
            }
            insert::<supervisor_translation::Entity, _>(txn, &rows.supervisor_texts).await?;
            insert::<qualification::Entity, _>(txn, &rows.qualifications).await?;
            insert::<qualification_translation::Entity, _>(txn, &rows.qualification_texts).await?;
            insert::<career_entry::Entity, _>(txn, &rows.careers).await?;
            insert::<career_entry_translation::Entity, _>(txn, &rows.career_texts).await?;
        }
        _ => {
            for row in &rows.references {
                reference::Entity::update(row.clone().into_active_model().reset_all())
                    .exec(txn)
                    .await?;
            }
        }
    }
    Ok(SavedEntity {
        kind,
        touched: rows.touched(),
        key,
        created: false,
    })
}
