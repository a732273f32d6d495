//! `GET /media/{id}/{width}.{webp|jpeg}`: an image's variant at one of the
//! fixed widths, made from the stored original on first request and kept
//! in the database or the `--media-store` bucket (so every instance serves
//! the same bytes), sent with
//! `Cache-Control: immutable` and a strong `ETag`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use entity::{media, media_variant};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, EntityTrait};
use uuid::Uuid;

use crate::content::media::{self as processing, Format};
use crate::error::code;
use crate::http::state::AppState;

use super::graphql::error_response as error;

fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        code::NOT_FOUND,
        "no such image variant: /media/{id}/{width}.{webp|jpeg}, at a width the image's `srcset` names",
    )
}

/// `GET /media/{id}/{file}`
pub async fn variant(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let parsed = Uuid::parse_str(&id)
        .ok()
        .zip(file.rsplit_once('.').and_then(|(width, ext)| {
            let width = width.parse::<u32>().ok()?;
            let format = Format::parse(ext).filter(|f| matches!(f, Format::Webp | Format::Jpeg))?;
            Some((width, format))
        }));
    let Some((id, (width, format))) = parsed else {
        return not_found();
    };
    let Ok(width_i32) = i32::try_from(width) else {
        return not_found();
    };
    let kept = media_variant::Entity::find_by_id((id, width_i32, format.as_str().to_owned()))
        .one(&state.db)
        .await;
    let stored = match kept {
        Ok(Some(found)) => found,
        Ok(None) => match make(&state, id, width, format).await {
            Ok(Some(made)) => made,
            Ok(None) => return not_found(),
            Err(response) => return response,
        },
        Err(err) => {
            tracing::error!(error = %err, "reading an image variant failed");
            return error(StatusCode::INTERNAL_SERVER_ERROR, code::INTERNAL, "internal error");
        }
    };
    let etag = format!("\"{}\"", stored.etag);
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim().trim_start_matches("W/") == etag));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        // A row without bytes has them in the bucket.
        let bytes = if stored.bytes.is_empty() {
            match state.media_store.variant(&stored).await {
                Ok(bytes) => bytes,
                Err(err) => {
                    tracing::error!(error = %err, "reading an image variant failed");
                    return error(StatusCode::INTERNAL_SERVER_ERROR, code::INTERNAL, "internal error");
                }
            }
        } else {
            stored.bytes
        };
        let mut response = bytes.into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
        response
    };
    let out = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    // The URL names the bytes: they never change.
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    out.insert(
        header::HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Variants made at once by this process: each decodes an original of up
/// to 40 megapixels, so requests for new variants queue here rather than
/// take all memory and both cores.
static MAKING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Makes and keeps the variant; `None` when the image does not exist or
/// is not offered at `width`.
async fn make(
    state: &AppState,
    id: Uuid,
    width: u32,
    format: Format,
) -> Result<Option<media_variant::Model>, Response> {
    let internal = |err: &dyn std::fmt::Display| {
        tracing::error!(error = %err, "making an image variant failed");
        error(StatusCode::INTERNAL_SERVER_ERROR, code::INTERNAL, "internal error")
    };
    let _permit = MAKING.acquire().await.map_err(|e| internal(&e))?;
    // Requests for one new variant queue together: the first makes it,
    // the others find it kept.
    let key = (id, i32::try_from(width).unwrap_or(i32::MAX), format.as_str().to_owned());
    if let Some(kept) = media_variant::Entity::find_by_id(key)
        .one(&state.db)
        .await
        .map_err(|e| internal(&e))?
    {
        return Ok(Some(kept));
    }
    let Some(original) = media::Entity::find_by_id(id)
        .one(&state.db)
        .await
        .map_err(|e| internal(&e))?
    else {
        return Ok(None);
    };
    let original_width = u32::try_from(original.width).unwrap_or(0);
    if !processing::widths(original_width).contains(&width) {
        return Ok(None);
    }
    let Some(stored_format) = Format::parse(&original.format) else {
        return Err(internal(&"stored image of unknown format"));
    };
    let source = if original.bytes.is_empty() {
        state.media_store.original(&original).await.map_err(|e| internal(&e))?
    } else {
        original.bytes
    };
    let bytes = tokio::task::spawn_blocking(move || processing::variant(&source, stored_format, width, format))
        .await
        .map_err(|e| internal(&e))?
        .map_err(|e| internal(&e))?;
    let etag = {
        use sha2::Digest as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&sha2::Sha256::digest(&bytes)[..18])
    };
    let model = media_variant::Model {
        media_id: id,
        width: i32::try_from(width).unwrap_or(i32::MAX),
        format: format.as_str().to_owned(),
        bytes,
        etag,
    };
    // The bytes before the row, as for originals.
    let kept = state.media_store.put_variant(&model).await.map_err(|e| internal(&e))?;
    // Two instances may make the same variant at once: the first kept wins,
    // and both answers are the same picture.
    media_variant::Entity::insert(media_variant::ActiveModel {
        media_id: Set(model.media_id),
        width: Set(model.width),
        format: Set(model.format.clone()),
        bytes: Set(kept),
        etag: Set(model.etag.clone()),
    })
    .on_conflict(
        OnConflict::columns([
            media_variant::Column::MediaId,
            media_variant::Column::Width,
            media_variant::Column::Format,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&state.db)
    .await
    .map_err(|e| internal(&e))?;
    Ok(Some(model))
}
