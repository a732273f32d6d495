//! `kiji media add`: uploads an image from the command line, checked and
//! cleaned as `uploadImage` does, optionally as an article's hero image.

use std::io::Write as _;

use clap::Subcommand;

use crate::editorial::media::NewImage;
use crate::locale::Locale;
use crate::{Config, StartupError};

/// `kiji media …`
#[derive(Debug, Subcommand)]
pub enum MediaCommand {
    /// Add an image and print its id (for `setHeroImage`). The same file
    /// added again is the same image, its texts updated.
    Add {
        /// The image file: PNG, JPEG, WebP or GIF (checked by its content).
        file: std::path::PathBuf,
        /// Alt text in one locale, `LOCALE=TEXT`; repeat per locale.
        #[arg(long = "alt", value_name = "LOCALE=TEXT")]
        alt: Vec<String>,
        /// A caption in one locale, `LOCALE=TEXT`; repeat per locale.
        #[arg(long = "caption", value_name = "LOCALE=TEXT")]
        caption: Vec<String>,
        /// Put it at the head of this article.
        #[arg(long)]
        hero: Option<String>,
        /// Make it the portrait of this physician.
        #[arg(long)]
        photo: Option<String>,
    },
}

fn localized(values: &[String], what: &str) -> Result<Vec<(Locale, String)>, StartupError> {
    values
        .iter()
        .map(|value| {
            let (locale, text) = value.split_once('=').ok_or_else(|| {
                crate::error::Error::bad_input(format!("--{what} `{value}`: write it as LOCALE=TEXT, e.g. ja=…"))
            })?;
            let locale = Locale::parse(locale.trim()).map_err(|e| crate::error::Error::bad_input(e.to_string()))?;
            Ok((locale, text.to_owned()))
        })
        .collect()
}

/// Runs `kiji media …`.
pub async fn media(config: &Config, action: MediaCommand) -> Result<(), StartupError> {
    let MediaCommand::Add {
        file,
        alt,
        caption,
        hero,
        photo,
    } = action;
    let bytes = std::fs::read(&file)?;
    let db = super::open(config).await?;
    let followers = crate::store::write::Followers::none();
    let actor = crate::editorial::audit::Actor::CommandLine;
    let image = crate::editorial::media::add(
        &db,
        &config.media_store()?,
        &followers,
        actor,
        true,
        NewImage {
            bytes,
            alt: localized(&alt, "alt")?,
            captions: localized(&caption, "caption")?,
            focal_point: None,
        },
    )
    .await?;
    if let Some(slug) = hero {
        let actor = crate::editorial::audit::Actor::CommandLine;
        crate::editorial::media::set_hero(&db, &followers, actor, true, &slug, Some(image.id)).await?;
    }
    if let Some(slug) = photo {
        let actor = crate::editorial::audit::Actor::CommandLine;
        crate::editorial::media::set_photo(&db, &followers, actor, &slug, Some(image.id)).await?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}\t{}x{}\t{}",
        image.id.simple(),
        image.width,
        image.height,
        image.format
    )?;
    Ok(())
}
