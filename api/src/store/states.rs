//! What readers could see of each article a change touches, recorded with
//! the change (`change_article`): its category and the locales the public
//! could read, after the change and before it (`article_state` holds the
//! latest view of each article). The change feed answers every caller —
//! the public, each partner under its licences — from these rows alone, so
//! it never re-reads content history, and the "before" of one row is the
//! "after" of the article's previous row: appends hold the log's lock, so
//! views are recorded one change at a time.

use chrono::{DateTime, Utc};
use entity::enums::Status;
use entity::{article, article_state, article_translation, change_article, licence};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// What the public could see of an article: nothing, or a category and
/// the locales it could be read in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct View {
    /// The article's category; `None` once the article is gone.
    pub category: Option<Uuid>,
    /// Its status; `None` once gone.
    pub status: Option<String>,
    /// The locales the public could read, sorted; empty when none.
    pub locales: Vec<String>,
}

impl View {
    fn locales_json(&self) -> String {
        serde_json::to_string(&self.locales).unwrap_or_else(|_| "[]".to_owned())
    }
}

/// The locales stored in a view column.
pub fn parse_locales(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The view of article `id` as the rows in `txn` hold it at `now`.
pub async fn view_now(txn: &DatabaseTransaction, id: Uuid, now: DateTime<Utc>) -> Result<View, DbErr> {
    let Some(row) = article::Entity::find_by_id(id).one(txn).await? else {
        return Ok(View::default());
    };
    let visible = row.draft_of.is_none() && row.visible_from.is_some_and(|at| at <= now);
    let locales = if visible {
        article_translation::Entity::find()
            .filter(article_translation::Column::ArticleId.eq(id))
            .filter(article_translation::Column::Status.eq(Status::Published))
            .order_by_asc(article_translation::Column::Locale)
            .all(txn)
            .await?
            .into_iter()
            .map(|t| t.locale)
            .collect()
    } else {
        Vec::new()
    };
    Ok(View {
        category: Some(row.category_id),
        status: Some(status_str(row.status).to_owned()),
        locales,
    })
}

fn status_str(status: Status) -> &'static str {
    match status {
        Status::Draft => "DRAFT",
        Status::InReview => "IN_REVIEW",
        Status::Approved => "APPROVED",
        Status::Published => "PUBLISHED",
        Status::Archived => "ARCHIVED",
    }
}

/// Whether the view of article `id` at `now` differs from its latest
/// recorded one.
pub async fn changed(txn: &DatabaseTransaction, id: Uuid, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let after = view_now(txn, id, now).await?;
    let before = article_state::Entity::find_by_id(id).one(txn).await?;
    Ok(
        before
            .is_none_or(|state| state.category_id != after.category || parse_locales(&state.locales) != after.locales),
    )
}

/// Records, at `position`, the views of `articles` now, each beside its
/// previous one. Articles drafts stand in for (`draft:` entities) are not
/// passed here: readers never see a draft.
pub async fn record(
    txn: &DatabaseTransaction,
    position: i64,
    articles: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for &id in articles {
        let after = view_now(txn, id, now).await?;
        let before = article_state::Entity::find_by_id(id).one(txn).await?;
        let (prev_category, prev_locales) = match &before {
            Some(state) => (state.category_id, state.locales.clone()),
            None => (None, "[]".to_owned()),
        };
        let locales = after.locales_json();
        change_article::Entity::insert(change_article::ActiveModel {
            position: ActiveValue::Set(position),
            article_id: ActiveValue::Set(id),
            category_id: ActiveValue::Set(after.category),
            status: ActiveValue::Set(after.status.clone()),
            locales: ActiveValue::Set(locales.clone()),
            prev_category_id: ActiveValue::Set(prev_category),
            prev_locales: ActiveValue::Set(prev_locales),
            licence_id: ActiveValue::Set(None),
        })
        .exec_without_returning(txn)
        .await?;
        article_state::Entity::insert(article_state::ActiveModel {
            article_id: ActiveValue::Set(id),
            category_id: ActiveValue::Set(after.category),
            status: ActiveValue::Set(after.status),
            locales: ActiveValue::Set(locales),
            position: ActiveValue::Set(position),
        })
        .on_conflict(
            OnConflict::column(article_state::Column::ArticleId)
                .update_columns([
                    article_state::Column::CategoryId,
                    article_state::Column::Status,
                    article_state::Column::Locales,
                    article_state::Column::Position,
                ])
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// Records, at `position`, the articles licence `id` covers that the
/// public can read, as rows for that licence's partner alone: the feed
/// compares the partner's view of them just before and at `position`.
pub async fn record_licence(txn: &DatabaseTransaction, position: i64, id: Uuid) -> Result<(), DbErr> {
    let Some(licence) = licence::Entity::find_by_id(id).one(txn).await? else {
        return Ok(());
    };
    let mut covered = article_state::Entity::find().filter(article_state::Column::Locales.ne("[]"));
    covered = match (licence.category_id, licence.article_id) {
        (Some(category), _) => covered.filter(article_state::Column::CategoryId.eq(category)),
        (None, Some(article)) => covered.filter(article_state::Column::ArticleId.eq(article)),
        (None, None) => return Ok(()),
    };
    let rows: Vec<change_article::ActiveModel> = covered
        .all(txn)
        .await?
        .into_iter()
        .map(|state| change_article::ActiveModel {
            position: ActiveValue::Set(position),
            article_id: ActiveValue::Set(state.article_id),
            category_id: ActiveValue::Set(state.category_id),
            status: ActiveValue::Set(state.status),
            locales: ActiveValue::Set(state.locales.clone()),
            prev_category_id: ActiveValue::Set(state.category_id),
            prev_locales: ActiveValue::Set(state.locales),
            licence_id: ActiveValue::Set(Some(id)),
        })
        .collect();
    for chunk in rows.chunks(500) {
        change_article::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}
