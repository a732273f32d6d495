//! The `kiji` command line: serving, importing and exporting content,
//! printing the schema, and managing API keys and trusted documents.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::content::import::ImportReport;
use crate::metrics::Metrics;
use crate::{StartupError, content, editorial, graphql, http, init_tracing, serve, store};

mod media;
mod partners;

/// Command line of the `kiji` binary.
#[derive(Debug, Parser)]
#[command(
    name = "kiji",
    version,
    about = "Kiji: a GraphQL content API for medically supervised, multilingual columns"
)]
pub struct Cli {
    /// What to do; without a command, `serve`.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Server and database options.
    #[command(flatten)]
    pub config: Config,
}

/// Subcommands of `kiji`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Import content (YAML bundles, or Markdown articles ending in `.md`)
    /// into the database, all or nothing. An article that exists already is
    /// saved as its next revision, from the revision the file names.
    Import {
        /// Files to import together.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Write one locale of an article's newest revision as Markdown, in
    /// the form `kiji import` reads back: to standard output, or to
    /// `--out FILE` with the article's images beside it.
    Export {
        /// The article's slug.
        slug: String,
        /// The locale to write.
        #[arg(long)]
        locale: String,
        /// Write the Markdown to this file, and the images it shows beside
        /// it (`{id}.{format}`), rather than to standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the GraphQL schema (SDL) to standard output.
    PrintSchema,
    /// Manage trusted documents (operations registered by their hash).
    Operations {
        /// What to do.
        #[command(subcommand)]
        action: OperationsCommand,
    },
    /// Manage API keys.
    Keys {
        /// What to do.
        #[command(subcommand)]
        action: KeysCommand,
    },
    /// Manage partner clinics.
    Partners {
        /// What to do.
        #[command(subcommand)]
        action: partners::PartnersCommand,
    },
    /// Manage partners' licences.
    Licences {
        /// What to do.
        #[command(subcommand)]
        action: partners::LicencesCommand,
    },
    /// Manage partners' webhook endpoints and their deliveries.
    Webhooks {
        /// What to do.
        #[command(subcommand)]
        action: partners::WebhooksCommand,
    },
    /// Manage images.
    Media {
        /// What to do.
        #[command(subcommand)]
        action: media::MediaCommand,
    },
}

/// `kiji keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print its token, once: only its hash is kept.
    Create {
        /// PREVIEW, EDITOR, TRANSLATOR, SUPERVISOR, ADMIN or PARTNER.
        #[arg(long, value_parser = parse_role)]
        role: entity::enums::Role,
        /// Who holds it, e.g. `ios-app` or `column desk`.
        #[arg(long)]
        name: String,
        /// For a SUPERVISOR key: the slug of the physician it signs off for.
        #[arg(long)]
        supervisor: Option<String>,
        /// For a PREVIEW key: the slug of the one article it previews
        /// (every article when left out).
        #[arg(long)]
        article: Option<String>,
        /// For a PARTNER key: the slug of the partner it reads for.
        #[arg(long)]
        partner: Option<String>,
    },
    /// List keys: id, token prefix, role, name, created, revoked. No secrets.
    List,
    /// Revoke a key, named by its id or its token prefix.
    Revoke {
        /// The id, or the prefix `keys list` shows.
        key: String,
    },
}

fn parse_role(value: &str) -> Result<entity::enums::Role, String> {
    use sea_orm::Iterable as _;
    entity::enums::Role::iter()
        .find(|role| role.as_str().eq_ignore_ascii_case(value))
        .ok_or_else(|| format!("`{value}` is not a role: PREVIEW, EDITOR, TRANSLATOR, SUPERVISOR or ADMIN"))
}

/// `kiji operations …`
#[derive(Debug, Subcommand)]
pub enum OperationsCommand {
    /// Register GraphQL documents (one per file, as clients send them) and
    /// print each one's SHA-256, the hash clients send.
    Add {
        /// `.graphql` files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List registered documents: hash and name.
    List,
}

/// Runs the command line: `serve` (default), `import` or `print-schema`.
pub async fn run(cli: Cli) -> Result<(), StartupError> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::PrintSchema => {
            std::io::stdout().lock().write_all(graphql::sdl().as_bytes())?;
            Ok(())
        }
        Command::Import { files } => {
            init_tracing(&config);
            let report = import_files(&config, &files).await?;
            writeln!(
                std::io::stdout().lock(),
                "imported {} article(s), {} section(s), {} claim(s), {} reference(s), {} supervisor(s); \
                 saved {} new revision(s)",
                report.articles,
                report.sections,
                report.claims,
                report.references,
                report.supervisors,
                report.revisions
            )?;
            // Said, not refused: drafts go in with their findings, for the
            // editors to correct before review (`lint` reads them in full).
            if !report.findings.is_empty() {
                let mut err = std::io::stderr().lock();
                writeln!(err, "the medical-advertising lint found {}:", report.findings.len())?;
                for line in &report.findings {
                    writeln!(err, "  {line}")?;
                }
            }
            Ok(())
        }
        Command::Export { slug, locale, out } => {
            init_tracing(&config);
            let export = export_markdown(&config, &slug, &locale).await?;
            let Some(out) = out else {
                std::io::stdout().lock().write_all(export.text.as_bytes())?;
                if !export.images.is_empty() {
                    writeln!(
                        std::io::stderr().lock(),
                        "the article shows {} image(s); pass --out FILE to write them beside it",
                        export.images.len()
                    )?;
                }
                return Ok(());
            };
            let dir = out.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
            for (name, bytes) in &export.images {
                tokio::fs::write(dir.join(name), bytes).await?;
            }
            tokio::fs::write(&out, export.text.as_bytes()).await?;
            Ok(())
        }
        Command::Operations { action } => {
            init_tracing(&config);
            operations(&config, action).await
        }
        Command::Keys { action } => {
            init_tracing(&config);
            keys(&config, action).await
        }
        Command::Partners { action } => {
            init_tracing(&config);
            partners::partners(&config, action).await
        }
        Command::Licences { action } => {
            init_tracing(&config);
            partners::licences(&config, action).await
        }
        Command::Webhooks { action } => {
            init_tracing(&config);
            partners::webhooks(&config, action).await
        }
        Command::Media { action } => {
            init_tracing(&config);
            media::media(&config, action).await
        }
        Command::Serve => {
            init_tracing(&config);
            serve(config).await
        }
    }
}

async fn import_files(config: &Config, files: &[PathBuf]) -> Result<ImportReport, StartupError> {
    let db = open(config).await?;
    let objects = config.media_store()?;
    let mut bundle = content::Bundle::default();
    let mut markdown = Vec::new();
    let mut images = Vec::new();
    // Which file defined each slug and key, to name both files of a duplicate.
    let mut defined: std::collections::HashMap<(&'static str, String), String> = std::collections::HashMap::new();
    for file in files {
        let text = tokio::fs::read_to_string(file).await?;
        let name = file.display().to_string();
        if file.extension().is_some_and(|e| e.eq_ignore_ascii_case("md")) {
            let read = content::markdown::from_markdown(&text).map_err(|errors| StartupError::Content {
                file: name.clone(),
                message: lines(&errors),
            })?;
            images.push(prepare_images(&db, &objects, file, &read).await?);
            markdown.push((name, read));
            continue;
        }
        let part = content::Bundle::from_yaml(&text).map_err(|err| StartupError::Content {
            file: name.clone(),
            message: err.to_string(),
        })?;
        for key in part.keys() {
            if let Some(first) = defined.get(&key) {
                return Err(StartupError::Content {
                    file: name,
                    message: format!("{} `{}` is defined in {first} too", key.0, key.1),
                });
            }
            defined.insert(key, name.clone());
        }
        bundle.extend(part);
    }
    let rules = editorial::lint::Rules::load(config.lint_rules.as_deref())?;
    Ok(
        editorial::import::import_files_with(&db, bundle, markdown, images, &rules, &store::write::Followers::none())
            .await?,
    )
}

/// Checks and cleans the images Markdown file `file` shows (the files
/// beside it), with their alt text and caption in its locale, ready for
/// the import to record in its transaction. An image named by its id
/// (`{id}.{format}`, as `kiji export` writes) needs no file when it is
/// stored: its texts are taken from the Markdown.
async fn prepare_images(
    db: &sea_orm::DatabaseConnection,
    objects: &store::objects::MediaStore,
    file: &std::path::Path,
    read: &content::markdown::MarkdownArticle,
) -> Result<Vec<editorial::import::FileImage>, StartupError> {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let dir = tokio::fs::canonicalize(dir).await?;
    let mut prepared = Vec::with_capacity(read.images.len());
    for image in &read.images {
        let at = |message: String| StartupError::Content {
            file: file.display().to_string(),
            message: format!("\n  line {}: {message}", image.line),
        };
        let locale = crate::locale::Locale::parse(&read.locale).map_err(|e| at(e.to_string()))?;
        let texts = |text: &str| {
            if text.trim().is_empty() {
                Vec::new()
            } else {
                vec![(locale.clone(), text.to_owned())]
            }
        };
        let alt = texts(&image.alt);
        let captions = image.caption.as_deref().map(texts).unwrap_or_default();
        let path = match tokio::fs::canonicalize(dir.join(&image.file)).await {
            Ok(path) => path,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let stem = image.file.split('.').next().unwrap_or_default();
                let id = uuid::Uuid::try_parse(stem)
                    .map_err(|_| at(format!("image `{}` is not beside this file", image.file)))?;
                let texts = editorial::media::texts_of(id, alt, captions).map_err(|e| at(e.to_string()))?;
                prepared.push(editorial::import::FileImage {
                    line: image.line,
                    image: texts,
                });
                continue;
            }
            Err(err) => return Err(at(format!("image `{}`: {err}", image.file))),
        };
        // A link in the directory may point anywhere: only files really
        // beside the Markdown file are read.
        if !path.starts_with(&dir) {
            return Err(at(format!("image `{}` is not beside this file", image.file)));
        }
        let meta = tokio::fs::metadata(&path)
            .await
            .map_err(|e| at(format!("image `{}`: {e}", image.file)))?;
        if !meta.is_file() {
            return Err(at(format!("image `{}` is not a file", image.file)));
        }
        if meta.len() > content::media::MAX_BYTES as u64 {
            return Err(at(format!(
                "image `{}` is larger than {} MB",
                image.file,
                content::media::MAX_BYTES / 1024 / 1024
            )));
        }
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| at(format!("image `{}`: {e}", image.file)))?;
        let new = editorial::media::NewImage {
            bytes,
            alt,
            captions,
            focal_point: None,
        };
        let ready = editorial::media::prepare(db, objects, new)
            .await
            .map_err(|e| at(format!("image `{}`: {e}", image.file)))?;
        prepared.push(editorial::import::FileImage {
            line: image.line,
            image: ready,
        });
    }
    Ok(prepared)
}

/// One problem per line, for the terminal.
fn lines(errors: &[content::markdown::LineError]) -> String {
    errors.iter().map(|e| format!("\n  {e}")).collect::<Vec<_>>().concat()
}

async fn export_markdown(
    config: &Config,
    slug: &str,
    locale: &str,
) -> Result<editorial::import::MarkdownExport, StartupError> {
    let db = open(config).await?;
    editorial::import::export_markdown(&db, &config.media_store()?, slug, locale)
        .await
        .map_err(|err| StartupError::Content {
            file: slug.to_owned(),
            message: err.to_string(),
        })
}

async fn keys(config: &Config, action: KeysCommand) -> Result<(), StartupError> {
    let db = open(config).await?;
    let mut out = std::io::stdout().lock();
    let show = |key: &entity::api_key::Model| {
        let revoked = key.revoked_at.map(|at| format!("revoked {}", at.to_rfc3339()));
        format!(
            "{}  {}…  {:<10}  {}  created {}{}",
            key.id,
            key.prefix,
            key.role.as_str(),
            key.name,
            key.created_at.to_rfc3339(),
            revoked.map(|r| format!("  {r}")).unwrap_or_default()
        )
    };
    match action {
        KeysCommand::Create {
            role,
            name,
            supervisor,
            article,
            partner,
        } => {
            let (key, token) = match (role, partner) {
                (entity::enums::Role::Partner, Some(partner)) if supervisor.is_none() && article.is_none() => {
                    editorial::auth::create_partner_key(&db, &name, &partner).await?
                }
                (entity::enums::Role::Partner, _) | (_, Some(_)) => {
                    return Err(editorial::auth::KeyError::Partner.into());
                }
                (role, None) => {
                    editorial::auth::create_key_with(&db, role, &name, supervisor.as_deref(), article.as_deref())
                        .await?
                }
            };
            writeln!(out, "{}", show(&key))?;
            writeln!(
                out,
                "token (shown only now; send it as `Authorization: Bearer <token>`):"
            )?;
            writeln!(out, "{token}")?;
        }
        KeysCommand::List => {
            for key in editorial::auth::list_keys(&db).await? {
                writeln!(out, "{}", show(&key))?;
            }
        }
        KeysCommand::Revoke { key } => {
            let key = editorial::auth::revoke_key(&db, &key).await?;
            writeln!(out, "{}", show(&key))?;
        }
    }
    Ok(())
}

async fn operations(config: &Config, action: OperationsCommand) -> Result<(), StartupError> {
    let db = open(config).await?;
    let mut out = std::io::stdout().lock();
    match action {
        OperationsCommand::Add { files } => {
            for file in files {
                let text = std::fs::read_to_string(&file)?;
                let name = file.display().to_string();
                let hash = http::documents::register(&db, &name, &text)
                    .await
                    .map_err(|err| StartupError::Content {
                        file: name.clone(),
                        message: err.to_string(),
                    })?;
                writeln!(out, "{hash}  {name}")?;
            }
        }
        OperationsCommand::List => {
            use sea_orm::{EntityTrait, QueryOrder};
            let rows = entity::trusted_document::Entity::find()
                .order_by_asc(entity::trusted_document::Column::CreatedAt)
                .all(&db)
                .await?;
            for row in rows {
                writeln!(out, "{}  {}", row.hash, row.name.unwrap_or_default())?;
            }
        }
    }
    Ok(())
}

/// The database of a one-off command, migrated: one connection, and
/// metrics nobody reads.
pub(crate) async fn open(config: &Config) -> Result<sea_orm::DatabaseConnection, StartupError> {
    Ok(store::db::open(&config.database_url, 1, Arc::new(Metrics::default())).await?)
}
