//! Images as untrusted input: the format is read from the bytes (never the
//! name), sizes and pixel counts are bounded before anything is decoded
//! (a decompression bomb is refused by its header), the EXIF orientation
//! is applied and then every piece of metadata dropped (a clinic's photo
//! can carry GPS coordinates), and the variants readers are sent are made
//! at a fixed set of widths only.

use std::io::Cursor;

use base64::Engine as _;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// Largest upload, in bytes.
pub const MAX_BYTES: usize = 20 * 1024 * 1024;
/// Longest side, in pixels.
pub const MAX_SIDE: u32 = 12_000;
/// Most pixels: 40 megapixels, beyond any camera a clinic uses.
pub const MAX_PIXELS: u64 = 40_000_000;
/// The widths variants are made at: no client can make the server render
/// any other size.
pub const WIDTHS: [u32; 6] = [320, 480, 640, 960, 1280, 1920];

/// Why an upload is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// Over [`MAX_BYTES`].
    #[error("the image is larger than {} MB", MAX_BYTES / 1024 / 1024)]
    TooLarge,
    /// The bytes are not an image of a supported format, whatever the
    /// name says.
    #[error("the file is not a PNG, JPEG, WebP or GIF image (its content was checked, not its name)")]
    NotAnImage,
    /// Too many pixels (or too long a side).
    #[error("the image is {width}×{height} pixels; at most {MAX_SIDE} a side and {} megapixels are accepted", MAX_PIXELS / 1_000_000)]
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// The image could not be decoded.
    #[error("the image could not be read: {0}")]
    Corrupt(String),
}

/// A format an image is stored or sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// WebP.
    Webp,
    /// GIF (its first frame).
    Gif,
}

impl Format {
    /// The name stored and used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpeg",
            Format::Webp => "webp",
            Format::Gif => "gif",
        }
    }

    /// The `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Webp => "image/webp",
            Format::Gif => "image/gif",
        }
    }

    /// The format named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "png" => Some(Format::Png),
            "jpeg" | "jpg" => Some(Format::Jpeg),
            "webp" => Some(Format::Webp),
            "gif" => Some(Format::Gif),
            _ => None,
        }
    }

    fn image(self) -> ImageFormat {
        match self {
            Format::Png => ImageFormat::Png,
            Format::Jpeg => ImageFormat::Jpeg,
            Format::Webp => ImageFormat::WebP,
            Format::Gif => ImageFormat::Gif,
        }
    }
}

/// An upload, checked and cleaned.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The format the bytes are in (JPEG stays JPEG; the rest are PNG).
    pub format: Format,
    /// Width after orientation.
    pub width: u32,
    /// Height after orientation.
    pub height: u32,
    /// The image re-encoded without any metadata.
    pub bytes: Vec<u8>,
    /// ThumbHash, base64.
    pub placeholder: String,
    /// SHA-256 of `bytes`, hex.
    pub sha256: String,
}

/// The sniffed format of `bytes`.
pub fn sniff(bytes: &[u8]) -> Result<Format, MediaError> {
    match image::guess_format(bytes) {
        Ok(ImageFormat::Png) => Ok(Format::Png),
        Ok(ImageFormat::Jpeg) => Ok(Format::Jpeg),
        Ok(ImageFormat::WebP) => Ok(Format::Webp),
        Ok(ImageFormat::Gif) => Ok(Format::Gif),
        _ => Err(MediaError::NotAnImage),
    }
}

/// Decodes `bytes` of `format` within the limits, orientation applied.
fn decode(bytes: &[u8], format: Format) -> Result<DynamicImage, MediaError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image());
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| refusal(&e, bytes, format))?;
    let (width, height) = decoder.dimensions();
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(MediaError::TooManyPixels { width, height });
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| refusal(&e, bytes, format))?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// A decoder's error as the uploader should read it: over the limits is
/// a size refusal (naming the declared size when the header can be read).
fn refusal(err: &image::ImageError, bytes: &[u8], format: Format) -> MediaError {
    if matches!(err, image::ImageError::Limits(_)) {
        let (width, height) = ImageReader::with_format(Cursor::new(bytes), format.image())
            .into_dimensions()
            .unwrap_or((0, 0));
        return MediaError::TooManyPixels { width, height };
    }
    MediaError::Corrupt(err.to_string())
}

/// SHA-256 of `bytes`, hex: how stored originals are known.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Checks and cleans an upload.
pub fn process(bytes: &[u8]) -> Result<Processed, MediaError> {
    if bytes.len() > MAX_BYTES {
        return Err(MediaError::TooLarge);
    }
    let format = sniff(bytes)?;
    let image = decode(bytes, format)?;
    // Re-encoding from pixels is what drops the metadata: nothing of the
    // upload's other segments survives it.
    let (stored, out) = match format {
        Format::Jpeg => (Format::Jpeg, encode(&image, Format::Jpeg)?),
        _ => (Format::Png, encode(&image, Format::Png)?),
    };
    let sha256 = digest(&out);
    Ok(Processed {
        format: stored,
        width: image.width(),
        height: image.height(),
        placeholder: placeholder(&image),
        bytes: out,
        sha256,
    })
}

/// ThumbHash of `image` (made from a copy at most 100 pixels a side, as
/// the algorithm requires).
fn placeholder(image: &DynamicImage) -> String {
    let small = image.thumbnail(100, 100).to_rgba8();
    let hash = thumbhash::rgba_to_thumb_hash(small.width() as usize, small.height() as usize, small.as_raw());
    base64::engine::general_purpose::STANDARD.encode(hash)
}

fn encode(image: &DynamicImage, format: Format) -> Result<Vec<u8>, MediaError> {
    let mut out = Cursor::new(Vec::new());
    let written = match format {
        Format::Jpeg => {
            let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82);
            rgb.write_with_encoder(encoder)
        }
        Format::Webp => {
            let rgba = DynamicImage::ImageRgba8(image.to_rgba8());
            rgba.write_with_encoder(image::codecs::webp::WebPEncoder::new_lossless(&mut out))
        }
        Format::Png | Format::Gif => image.write_to(&mut out, ImageFormat::Png),
    };
    written.map_err(|e| MediaError::Corrupt(e.to_string()))?;
    Ok(out.into_inner())
}

/// The widths an image `width` pixels wide is offered at: the fixed ones
/// it covers, or its own width when it is narrower than all of them.
pub fn widths(width: u32) -> Vec<u32> {
    let fitting: Vec<u32> = WIDTHS.iter().copied().filter(|w| *w <= width).collect();
    if fitting.is_empty() { vec![width] } else { fitting }
}

/// The width served for a request of `wanted` pixels: the smallest offered
/// one at least as wide, else the widest.
pub fn nearest(width: u32, wanted: u32) -> u32 {
    let offered = widths(width);
    offered
        .iter()
        .copied()
        .find(|w| *w >= wanted)
        .or_else(|| offered.last().copied())
        .unwrap_or(width)
}

/// The variant of a stored image (`bytes` in `format`) at `width`, in
/// `out` (WebP or JPEG).
pub fn variant(bytes: &[u8], format: Format, width: u32, out: Format) -> Result<Vec<u8>, MediaError> {
    let image = decode(bytes, format)?;
    let height = (u64::from(image.height()) * u64::from(width) / u64::from(image.width().max(1))).max(1);
    let resized = if width == image.width() {
        image
    } else {
        image.resize_exact(
            width,
            u32::try_from(height).unwrap_or(1),
            image::imageops::FilterType::CatmullRom,
        )
    };
    encode(&resized, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        }));
        encode(&image, Format::Png).unwrap_or_default()
    }

    #[test]
    fn widths_are_the_fixed_set_under_the_original() {
        assert_eq!(widths(1000), [320, 480, 640, 960]);
        assert_eq!(widths(200), [200]);
        assert_eq!(nearest(1000, 500), 640);
        assert_eq!(nearest(1000, 5000), 960);
        assert_eq!(nearest(200, 320), 200);
    }

    #[test]
    fn an_upload_is_sniffed_cleaned_and_resized() {
        let processed = process(&png(700, 350));
        assert!(processed.is_ok());
        let Ok(processed) = processed else { return };
        assert_eq!(
            (processed.format, processed.width, processed.height),
            (Format::Png, 700, 350)
        );
        let webp = variant(&processed.bytes, processed.format, 320, Format::Webp).unwrap_or_default();
        assert_eq!(sniff(&webp), Ok(Format::Webp));
        let dims = ImageReader::new(Cursor::new(&webp))
            .with_guessed_format()
            .ok()
            .and_then(|r| r.into_dimensions().ok());
        assert_eq!(dims, Some((320, 160)));
        assert!(matches!(process(b"not an image at all"), Err(MediaError::NotAnImage)));
    }
}
