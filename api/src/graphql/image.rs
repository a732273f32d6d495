//! Images: the `Image` type with its variants' URLs, an article's
//! `heroImage`, and the `uploadImage` / `setHeroImage` mutations (an
//! upload travels as a GraphQL multipart request).

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, Upload};
use entity::enums::Role;
use std::sync::Arc;

use entity::{media, media_text};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::article::Article;
use super::{db, followers, pool, require_role};
use crate::content::media as processing;
use crate::editorial::media::NewImage;
use crate::error::{Error, Result};
use crate::locale::Locale;
use crate::store::loaders::{HeroOf, ImageById, ImageRow, PhotoOf};

/// Where clients reach the API (`--api-url`), for absolute image URLs;
/// paths when unset.
#[derive(Debug, Clone, Default)]
pub struct ApiBase(pub Option<String>);

/// What the image fields and uploads need.
#[derive(Debug, Clone, Default)]
pub struct Images {
    /// Where clients reach the API.
    pub base: ApiBase,
    /// Where images' bytes are kept.
    pub store: crate::store::objects::MediaStore,
}

/// A format variants are sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ImageFormat {
    /// WebP: smaller; every current browser reads it.
    Webp,
    /// JPEG: for clients that read nothing else.
    Jpeg,
}

impl ImageFormat {
    fn ext(self) -> &'static str {
        match self {
            ImageFormat::Webp => "webp",
            ImageFormat::Jpeg => "jpeg",
        }
    }
}

/// Image `id` as readers get it, read on its own (an upload's answer).
async fn row(ctx: &Context<'_>, id: Uuid) -> Result<Option<Row>> {
    let found: Option<(Uuid, i32, i32, String, f64, f64)> = media::Entity::find_by_id(id)
        .select_only()
        .columns([
            media::Column::Id,
            media::Column::Width,
            media::Column::Height,
            media::Column::Placeholder,
            media::Column::FocalX,
            media::Column::FocalY,
        ])
        .into_tuple()
        .one(db(ctx)?)
        .await?;
    let Some((id, width, height, placeholder, focal_x, focal_y)) = found else {
        return Ok(None);
    };
    let texts = media_text::Entity::find()
        .filter(media_text::Column::MediaId.eq(id))
        .all(db(ctx)?)
        .await?
        .into_iter()
        .map(|t| (t.locale, t.alt, t.caption))
        .collect();
    Ok(Some(Arc::new(ImageRow {
        id,
        width,
        height,
        placeholder,
        focal_x,
        focal_y,
        texts,
    })))
}

type Row = Arc<ImageRow>;

/// An image in one locale: its alt text and caption in that locale, and
/// URLs of its variants.
pub struct Image {
    row: Row,
    locale: String,
}

impl Image {
    /// Image `id` with its texts in `locale`.
    async fn load(ctx: &Context<'_>, id: Uuid, locale: &str) -> Result<Option<Self>> {
        Ok(row(ctx, id).await?.map(|row| Self {
            row,
            locale: locale.to_owned(),
        }))
    }

    /// The texts in this image's locale.
    fn text(&self) -> Option<&(String, String, Option<String>)> {
        self.row.texts.iter().find(|(l, _, _)| *l == self.locale)
    }

    fn url_of(&self, ctx: &Context<'_>, width: u32, format: ImageFormat) -> String {
        let base = ctx.data_opt::<ApiBase>().and_then(|b| b.0.clone()).unwrap_or_default();
        format!("{base}/media/{}/{width}.{}", self.row.id.simple(), format.ext())
    }

    fn original_width(&self) -> u32 {
        u32::try_from(self.row.width).unwrap_or(1)
    }
}

/// Where an image's subject is, from 0 to 1 across and down.
#[derive(SimpleObject, InputObject, Debug, Clone, Copy)]
#[graphql(input_name = "FocalPointInput")]
pub struct FocalPoint {
    /// Across, from the left edge.
    x: f64,
    /// Down, from the top edge.
    y: f64,
}

/// An image in one locale: its alt text and caption in that locale, its
/// size and placeholder, and the URLs of its variants.
#[Object]
impl Image {
    /// The image's id; pass it to `setHeroImage`.
    async fn id(&self) -> ID {
        ID(self.row.id.simple().to_string())
    }

    /// What the image shows, for readers who cannot see it, in `locale`.
    async fn alt(&self) -> &str {
        self.text().map_or("", |(_, alt, _)| alt.as_str())
    }

    /// The caption in `locale`, if any.
    async fn caption(&self) -> Option<&str> {
        self.text().and_then(|(_, _, caption)| caption.as_deref())
    }

    /// The locale of `alt` and `caption`.
    async fn locale(&self) -> Locale {
        Locale::trusted(&self.locale)
    }

    /// Width of the original, in pixels.
    async fn width(&self) -> i32 {
        self.row.width
    }

    /// Height of the original, in pixels: with `width`, the aspect ratio
    /// to reserve before the image loads.
    async fn height(&self) -> i32 {
        self.row.height
    }

    /// Where the subject is, for crops that keep it.
    async fn focal_point(&self) -> FocalPoint {
        FocalPoint {
            x: self.row.focal_x,
            y: self.row.focal_y,
        }
    }

    /// A ThumbHash of the image (base64): decode it to a blurred preview
    /// to show while the image loads.
    async fn placeholder(&self) -> &str {
        &self.row.placeholder
    }

    /// The widths variants are made at (the fixed set up to the
    /// original's width).
    async fn widths(&self) -> Vec<i32> {
        processing::widths(self.original_width())
            .into_iter()
            .map(|w| i32::try_from(w).unwrap_or(i32::MAX))
            .collect()
    }

    /// The URL of the variant at least `width` pixels wide (the widest
    /// when none is), in `format`. Variants are immutable: cache them
    /// forever.
    async fn url(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Pixels wanted; the smallest variant as wide is given.", default = 960)] width: i32,
        #[graphql(desc = "The format of the variants.", default_with = "ImageFormat::Webp")] format: ImageFormat,
    ) -> String {
        let wanted = u32::try_from(width.max(1)).unwrap_or(1);
        self.url_of(ctx, processing::nearest(self.original_width(), wanted), format)
    }

    /// Every variant in `format` as an `<img srcset>` value
    /// (`URL 320w, URL 480w, …`).
    async fn srcset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The format of the variants.", default_with = "ImageFormat::Webp")] format: ImageFormat,
    ) -> String {
        processing::widths(self.original_width())
            .into_iter()
            .map(|w| format!("{} {w}w", self.url_of(ctx, w, format)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The image fields of an article, flattened into `Article`.
pub struct ArticleImages<'a>(pub &'a Article);

#[Object]
impl ArticleImages<'_> {
    /// The image at the head of the article, with its alt text in the
    /// article's locale.
    async fn hero_image(&self, ctx: &Context<'_>) -> Result<Option<Image>> {
        let model = self.0.model();
        let found = super::loader(ctx)?
            .load_one(HeroOf(model.draft_of.unwrap_or(model.id)))
            .await?;
        Ok(found.map(|row| Image {
            row,
            locale: self.0.locale_str().to_owned(),
        }))
    }
}

impl Image {
    /// Image `id` (an image block's), with its texts in `locale`.
    pub(crate) async fn by_id(ctx: &Context<'_>, id: Uuid, locale: &str) -> Result<Self> {
        // Stored blocks only name stored images: the import checks them,
        // and an image shown in a text cannot be deleted.
        let row = super::loader(ctx)?
            .load_one(ImageById(id))
            .await?
            .ok_or_else(|| Error::Internal(format!("image {} of a block is gone", id.simple())))?;
        Ok(Image {
            row,
            locale: locale.to_owned(),
        })
    }

    /// The portrait of physician `id`, with its texts in `locale`.
    pub(crate) async fn photo_of(ctx: &Context<'_>, id: Uuid, locale: &str) -> Result<Option<Self>> {
        let found = super::loader(ctx)?.load_one(PhotoOf(id)).await?;
        Ok(found.map(|row| Image {
            row,
            locale: locale.to_owned(),
        }))
    }
}

/// A text in one locale.
#[derive(InputObject)]
pub struct LocalizedTextInput {
    /// The locale.
    locale: Locale,
    /// The text.
    text: String,
}

/// Image mutations.
#[derive(Default)]
pub struct ImageMutation;

#[Object]
impl ImageMutation {
    /// Uploads an image (a GraphQL multipart request), checked by its
    /// content: PNG, JPEG, WebP or GIF, at most 20 MB and 40 megapixels.
    /// Metadata (EXIF, GPS) is stripped. The same picture uploaded again
    /// is the same image, its texts updated. Needs an EDITOR or ADMIN key.
    async fn upload_image(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The file.")] file: Upload,
        #[graphql(desc = "Alt text per locale: what the image shows.", validator(max_items = 20))] alt: Vec<
            LocalizedTextInput,
        >,
        #[graphql(desc = "Caption per locale.", validator(max_items = 20))] caption: Option<Vec<LocalizedTextInput>>,
        #[graphql(desc = "Where the subject is.")] focal_point: Option<FocalPoint>,
    ) -> Result<Image> {
        let key = require_role(ctx, &[Role::Editor, Role::Admin], "upload images")?;
        let upload = file
            .value(ctx)
            .map_err(|_| Error::bad_input("`file` is not a file of this request"))?;
        let first = alt.first().map(|a| a.locale.as_str().to_owned());
        let admin = matches!(&key, crate::editorial::auth::Principal::Key { role: Role::Admin, .. });
        let objects = ctx
            .data_opt::<crate::store::objects::MediaStore>()
            .ok_or_else(|| Error::Internal("schema has no media store".into()))?;
        let stored = crate::editorial::media::add(
            pool(ctx)?,
            objects,
            followers(ctx)?,
            crate::editorial::audit::Actor::Key(&key),
            admin,
            NewImage {
                bytes: upload.content.to_vec(),
                alt: alt.into_iter().map(|a| (a.locale, a.text)).collect(),
                captions: caption
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| (c.locale, c.text))
                    .collect(),
                focal_point: focal_point.map(|f| (f.x, f.y)),
            },
        )
        .await?;
        let locale = first.unwrap_or_else(|| "ja".to_owned());
        Image::load(ctx, stored.id, &locale)
            .await?
            .ok_or_else(|| Error::Internal("the stored image is gone".into()))
    }

    /// Makes an uploaded image a physician's portrait (`Supervisor.photo`),
    /// or removes it (`image: null`). The image needs alt text in every
    /// locale the profile is written in, and makes a new profile revision
    /// (the physician confirms it, as any change of who they are). Needs an
    /// ADMIN key.
    async fn set_supervisor_photo(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The physician's slug.", validator(max_length = 200))] slug: String,
        #[graphql(desc = "An `Image.id`, or null to remove the portrait.")] image: Option<ID>,
    ) -> Result<bool> {
        let key = require_role(ctx, &[Role::Admin], "change portraits")?;
        let media_id = match image {
            Some(id) => Some(Uuid::parse_str(&id).map_err(|_| Error::bad_input("`image` is not an image id"))?),
            None => None,
        };
        crate::editorial::media::set_photo(
            pool(ctx)?,
            followers(ctx)?,
            crate::editorial::audit::Actor::Key(&key),
            &slug,
            media_id,
        )
        .await?;
        Ok(true)
    }

    /// Puts an uploaded image at the head of an article, or removes it
    /// (`image: null`). The image needs alt text in every locale the
    /// article is published in. Needs an EDITOR or ADMIN key.
    async fn set_hero_image(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The article's slug.", validator(max_length = 200))] slug: String,
        #[graphql(desc = "An `Image.id`, or null to remove the image.")] image: Option<ID>,
    ) -> Result<bool> {
        let key = require_role(ctx, &[Role::Editor, Role::Admin], "change hero images")?;
        let admin = matches!(&key, crate::editorial::auth::Principal::Key { role: Role::Admin, .. });
        let media_id = match image {
            Some(id) => Some(Uuid::parse_str(&id).map_err(|_| Error::bad_input("`image` is not an image id"))?),
            None => None,
        };
        crate::editorial::media::set_hero(
            pool(ctx)?,
            followers(ctx)?,
            crate::editorial::audit::Actor::Key(&key),
            admin,
            &slug,
            media_id,
        )
        .await?;
        Ok(true)
    }
}
