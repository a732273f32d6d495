//! Articles' hero images, physicians' portraits and the images among
//! blocks, with their texts, for a whole list in two statements whatever
//! its length.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{article_hero, media, media_text, supervisor_photo};
use sea_orm::sea_query::{Expr, ExprTrait, IntoIden, Query};
use uuid::Uuid;

use super::{DbLoader, LoadError};

/// The hero image of an article (by the article's id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeroOf(pub Uuid);

/// The portrait of a physician (by the supervisor's id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PhotoOf(pub Uuid);

/// An image by its own id (an image block's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImageById(pub Uuid);

/// An image as readers get it: never its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRow {
    /// The image.
    pub id: Uuid,
    /// Width of the original.
    pub width: i32,
    /// Height of the original.
    pub height: i32,
    /// ThumbHash, base64.
    pub placeholder: String,
    /// Focal point across.
    pub focal_x: f64,
    /// Focal point down.
    pub focal_y: f64,
    /// `(locale, alt, caption)` per locale.
    pub texts: Vec<(String, String, Option<String>)>,
}

impl Loader<HeroOf> for DbLoader {
    type Value = Arc<ImageRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[HeroOf]) -> Result<HashMap<HeroOf, Self::Value>, Self::Error> {
        let found = self
            .images_of(
                article_hero::Entity,
                article_hero::Column::ArticleId,
                article_hero::Column::MediaId,
                keys.iter().map(|k| k.0).collect(),
            )
            .await?;
        Ok(found.into_iter().map(|(id, image)| (HeroOf(id), image)).collect())
    }
}

impl Loader<PhotoOf> for DbLoader {
    type Value = Arc<ImageRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[PhotoOf]) -> Result<HashMap<PhotoOf, Self::Value>, Self::Error> {
        let found = self
            .images_of(
                supervisor_photo::Entity,
                supervisor_photo::Column::SupervisorId,
                supervisor_photo::Column::MediaId,
                keys.iter().map(|k| k.0).collect(),
            )
            .await?;
        Ok(found.into_iter().map(|(id, image)| (PhotoOf(id), image)).collect())
    }
}

impl Loader<ImageById> for DbLoader {
    type Value = Arc<ImageRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[ImageById]) -> Result<HashMap<ImageById, Self::Value>, Self::Error> {
        let select = Query::select()
            .column((media::Entity, media::Column::Id))
            .columns(image_columns())
            .from(media::Entity)
            .and_where(Expr::col((media::Entity, media::Column::Id)).is_in(keys.iter().map(|k| k.0)))
            .to_owned();
        let found = self.images(&select).await?;
        Ok(found.into_iter().map(|(id, image)| (ImageById(id), image)).collect())
    }
}

/// The columns of an [`ImageRow`], in its order.
fn image_columns() -> [(media::Entity, media::Column); 6] {
    [
        (media::Entity, media::Column::Id),
        (media::Entity, media::Column::Width),
        (media::Entity, media::Column::Height),
        (media::Entity, media::Column::Placeholder),
        (media::Entity, media::Column::FocalX),
        (media::Entity, media::Column::FocalY),
    ]
}

impl DbLoader {
    /// The images that `table` links to `owners` (by `owner` and `media`
    /// columns), with their texts.
    async fn images_of<T, O, M>(
        &self,
        table: T,
        owner: O,
        media_column: M,
        owners: Vec<Uuid>,
    ) -> Result<HashMap<Uuid, Arc<ImageRow>>, LoadError>
    where
        T: IntoIden + Copy + 'static,
        O: IntoIden + Copy + 'static,
        M: IntoIden + Copy + 'static,
    {
        let select = Query::select()
            .column((table, owner))
            .columns(image_columns())
            .from(table)
            .inner_join(
                media::Entity,
                Expr::col((media::Entity, media::Column::Id)).equals((table, media_column)),
            )
            .and_where(Expr::col((table, owner)).is_in(owners))
            .to_owned();
        self.images(&select).await
    }

    /// The images `select` finds (its first column the key, then
    /// [`image_columns`]), with their texts.
    async fn images(
        &self,
        select: &sea_orm::sea_query::SelectStatement,
    ) -> Result<HashMap<Uuid, Arc<ImageRow>>, LoadError> {
        let mut heroes: Vec<(Uuid, ImageRow)> = Vec::new();
        for row in self.rows(select).await? {
            let get_err = |e: sea_orm::DbErr| Arc::new(e);
            heroes.push((
                row.try_get_by_index(0).map_err(get_err)?,
                ImageRow {
                    id: row.try_get_by_index(1).map_err(get_err)?,
                    width: row.try_get_by_index(2).map_err(get_err)?,
                    height: row.try_get_by_index(3).map_err(get_err)?,
                    placeholder: row.try_get_by_index(4).map_err(get_err)?,
                    focal_x: row.try_get_by_index(5).map_err(get_err)?,
                    focal_y: row.try_get_by_index(6).map_err(get_err)?,
                    texts: Vec::new(),
                },
            ));
        }
        if heroes.is_empty() {
            return Ok(HashMap::new());
        }
        let texts = Query::select()
            .columns([
                media_text::Column::MediaId,
                media_text::Column::Locale,
                media_text::Column::Alt,
                media_text::Column::Caption,
            ])
            .from(media_text::Entity)
            .and_where(Expr::col(media_text::Column::MediaId).is_in(heroes.iter().map(|(_, h)| h.id)))
            .to_owned();
        let mut by_image: HashMap<Uuid, Vec<(String, String, Option<String>)>> = HashMap::new();
        for row in self.rows(&texts).await? {
            let get_err = |e: sea_orm::DbErr| Arc::new(e);
            let id: Uuid = row.try_get_by_index(0).map_err(get_err)?;
            by_image.entry(id).or_default().push((
                row.try_get_by_index(1).map_err(get_err)?,
                row.try_get_by_index(2).map_err(get_err)?,
                row.try_get_by_index(3).map_err(get_err)?,
            ));
        }
        Ok(heroes
            .into_iter()
            .map(|(owner, mut image)| {
                image.texts = by_image.get(&image.id).cloned().unwrap_or_default();
                (owner, Arc::new(image))
            })
            .collect())
    }
}
