//! ADMIN overrides of lint errors: which findings they cover, and recording them.

use super::*;

/// Whether two findings are the same one, for overrides: the same rule at
/// the same place on the same words.
pub(super) fn same(a: &Finding, b: &Finding) -> bool {
    (&a.rule, &a.locale, &a.requirement, &a.anchor, &a.field, &a.text)
        == (&b.rule, &b.locale, &b.requirement, &b.anchor, &b.field, &b.text)
}

/// The findings of `errors` that no override of `revision` of article `id`
/// covers yet.
pub async fn not_overridden<'a, C: sea_orm::ConnectionTrait>(
    db: &C,
    id: uuid::Uuid,
    revision: i32,
    errors: Vec<&'a Finding>,
) -> Result<Vec<&'a Finding>, sea_orm::DbErr> {
    use sea_orm::EntityTrait;
    let Some(row) = entity::lint_override::Entity::find_by_id((id, revision))
        .one(db)
        .await?
    else {
        return Ok(errors);
    };
    let covered: Vec<Finding> = serde_json::from_str(&row.findings).unwrap_or_default();
    Ok(errors
        .into_iter()
        .filter(|e| !covered.iter().any(|c| same(c, e)))
        .collect())
}

/// Keeps an ADMIN's (or the command line's) override of `errors` for
/// `revision` of an article, with its reason, and audits it; a second
/// override of the same revision adds its findings and reason to the
/// first's.
pub async fn record_override<C: sea_orm::ConnectionTrait>(
    txn: &C,
    actor: crate::editorial::audit::Actor<'_>,
    id: uuid::Uuid,
    slug: &str,
    revision: i32,
    errors: &[&Finding],
    reason: &str,
) -> Result<(), sea_orm::DbErr> {
    use sea_orm::{ActiveValue, EntityTrait};
    let listed: Vec<String> = errors
        .iter()
        .map(|f| {
            format!(
                "{}{} {} {}「{}」",
                f.rule,
                f.requirement.as_deref().map(|r| format!(" ({r})")).unwrap_or_default(),
                f.locale,
                f.anchor.as_deref().map(|a| format!("#{a} ")).unwrap_or_default(),
                f.text.chars().take(40).collect::<String>()
            )
        })
        .collect();
    let (_, who) = actor.who();
    let earlier = entity::lint_override::Entity::find_by_id((id, revision))
        .one(txn)
        .await?;
    let mut covered: Vec<Finding> = earlier
        .as_ref()
        .map(|row| serde_json::from_str(&row.findings).unwrap_or_default())
        .unwrap_or_default();
    covered.extend(errors.iter().map(|f| (*f).clone()));
    let findings = serde_json::to_string(&covered).map_err(|err| sea_orm::DbErr::Custom(format!("findings: {err}")))?;
    let row = entity::lint_override::ActiveModel {
        article_id: ActiveValue::Set(id),
        revision: ActiveValue::Set(revision),
        reason: ActiveValue::Set(match &earlier {
            Some(row) => format!("{}; {reason}", row.reason),
            None => reason.to_owned(),
        }),
        findings: ActiveValue::Set(findings),
        at: ActiveValue::Set(crate::store::clock::stored_now()),
        actor: ActiveValue::Set(who.chars().take(120).collect()),
    };
    if earlier.is_some() {
        entity::lint_override::Entity::update(row).exec(txn).await?;
    } else {
        entity::lint_override::Entity::insert(row)
            .exec_without_returning(txn)
            .await?;
    }
    crate::editorial::audit::record(
        txn,
        actor,
        "LINT_OVERRIDE",
        &format!("article:{slug}"),
        &format!(
            "revision {revision}: {} error(s) overridden ({}); reason: {reason}",
            errors.len(),
            listed.join("; ")
        ),
    )
    .await
}
