//! `kiji partners …` and `kiji licences …`: partner clinics and what they
//! may republish, from the server's command line.

use std::io::Write as _;

use chrono::{DateTime, Utc};
use clap::Subcommand;

use crate::editorial::audit::Actor;
use crate::editorial::partners::{self, Covers, NewLicence};
use crate::locale::Locale;
use crate::{Config, StartupError};

/// `kiji partners …`
#[derive(Debug, Subcommand)]
pub enum PartnersCommand {
    /// Create a partner; give it keys with `kiji keys create --role PARTNER
    /// --partner SLUG` and licences with `kiji licences grant`.
    Create {
        /// How keys and licences name it, e.g. `sakura-clinic`.
        #[arg(long)]
        slug: String,
        /// Its name, for people.
        #[arg(long)]
        name: String,
    },
    /// List partners.
    List,
    /// Make a feed token for a partner: a PARTNER key for URLs, since feed
    /// readers and `<iframe>`s send no headers
    /// (`/partner/TOKEN/feeds/ja/atom.xml`). `kiji keys revoke` revokes it.
    FeedToken {
        /// The partner's slug.
        #[arg(long)]
        partner: String,
    },
}

/// `kiji licences …`
#[derive(Debug, Subcommand)]
pub enum LicencesCommand {
    /// Grant a partner a licence to a category's articles or to one article.
    Grant {
        /// The partner's slug.
        #[arg(long)]
        partner: String,
        /// Every published article of the category with this slug.
        #[arg(long, conflicts_with = "article", required_unless_present = "article")]
        category: Option<String>,
        /// The published article with this slug.
        #[arg(long)]
        article: Option<String>,
        /// A locale the licence covers; repeat for several.
        #[arg(long = "locale", required = true, value_parser = parse_locale)]
        locales: Vec<Locale>,
        /// When it starts (RFC 3339, e.g. `2027-01-01T00:00:00+09:00`); now when left out.
        #[arg(long)]
        starts_at: Option<DateTime<Utc>>,
        /// When it ends (RFC 3339); open-ended when left out.
        #[arg(long)]
        ends_at: Option<DateTime<Utc>>,
        /// What the partner must show beside the article.
        #[arg(long)]
        attribution: String,
        /// The terms of use.
        #[arg(long, default_value = "")]
        terms: String,
        /// Where the partner's copy must point as canonical, with `{slug}`
        /// and optionally `{locale}`; the clinic's own URL when left out.
        #[arg(long)]
        canonical_url_template: Option<String>,
    },
    /// List licences, of one partner or all.
    List {
        /// Only this partner's.
        #[arg(long)]
        partner: Option<String>,
    },
    /// Revoke a licence at once.
    Revoke {
        /// The licence's id, as `licences list` shows it.
        id: uuid::Uuid,
    },
}

fn parse_locale(value: &str) -> Result<Locale, String> {
    Locale::parse(value).map_err(|e| e.to_string())
}

/// Runs `kiji partners …`.
pub async fn partners(config: &Config, action: PartnersCommand) -> Result<(), StartupError> {
    let db = super::open(config).await?;
    let mut out = std::io::stdout().lock();
    match action {
        PartnersCommand::Create { slug, name } => {
            let row = partners::create_partner(&db, Actor::CommandLine, &slug, &name).await?;
            writeln!(out, "{}  {}  {}", row.id, row.slug, row.name)?;
        }
        PartnersCommand::List => {
            for row in partners::list_partners(&db).await? {
                writeln!(out, "{}  {}  {}", row.id, row.slug, row.name)?;
            }
        }
        PartnersCommand::FeedToken { partner } => {
            let (key, token) = crate::editorial::auth::create_feed_token(&db, &partner).await?;
            writeln!(out, "{}  feed token of {partner}", key.id)?;
            writeln!(out, "{token}")?;
        }
    }
    Ok(())
}

/// Runs `kiji licences …`.
pub async fn licences(config: &Config, action: LicencesCommand) -> Result<(), StartupError> {
    let db = super::open(config).await?;
    let followers = crate::store::write::Followers::none();
    let mut out = std::io::stdout().lock();
    match action {
        LicencesCommand::Grant {
            partner,
            category,
            article,
            locales,
            starts_at,
            ends_at,
            attribution,
            terms,
            canonical_url_template,
        } => {
            let covers = match (category, article) {
                (Some(slug), None) => Covers::Category(slug),
                (None, Some(slug)) => Covers::Article(slug),
                _ => return Err(crate::error::Error::bad_input("give --category or --article").into()),
            };
            let grant = NewLicence {
                partner,
                covers,
                locales,
                starts_at,
                ends_at,
                attribution,
                terms,
                canonical_url_template,
            };
            let row = partners::grant(&db, &followers, Actor::CommandLine, grant).await?;
            writeln!(out, "granted licence {}", row.id)?;
        }
        LicencesCommand::List { partner } => {
            for (partner, granted) in partners::list_licences(&db, partner.as_deref()).await? {
                let l = &granted.licence;
                let covers = match (l.category_id, l.article_id) {
                    (Some(c), _) => format!("category {c}"),
                    (None, Some(a)) => format!("article {a}"),
                    (None, None) => "nothing".to_owned(),
                };
                let locales: Vec<&str> = granted.locales.iter().map(String::as_str).collect();
                writeln!(
                    out,
                    "{}  {}  {}  {}  from {}  until {}{}",
                    l.id,
                    partner.slug,
                    covers,
                    locales.join(","),
                    l.starts_at.map_or("grant".to_owned(), |at| at.to_rfc3339()),
                    l.ends_at.map_or("open-ended".to_owned(), |at| at.to_rfc3339()),
                    l.revoked_at
                        .map(|at| format!("  revoked {}", at.to_rfc3339()))
                        .unwrap_or_default()
                )?;
            }
        }
        LicencesCommand::Revoke { id } => {
            let row = partners::revoke(&db, &followers, Actor::CommandLine, id).await?;
            writeln!(out, "revoked licence {}", row.id)?;
        }
    }
    Ok(())
}

/// `kiji webhooks …`
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Register a partner's endpoint and print its signing secret.
    Add {
        /// The partner's slug.
        #[arg(long)]
        partner: String,
        /// Where deliveries go (http or https).
        #[arg(long)]
        url: String,
        /// Allow a private or loopback address (for testing only).
        #[arg(long)]
        allow_private_network: bool,
    },
    /// List endpoints (without secrets).
    List,
    /// Give an endpoint a new secret; the old one signs too for 24 hours.
    Rotate {
        /// The endpoint's id.
        id: uuid::Uuid,
    },
    /// Send an endpoint's dead deliveries again (all of them with --all).
    Replay {
        /// The endpoint's id.
        id: uuid::Uuid,
        /// Every delivery, not only the dead ones.
        #[arg(long)]
        all: bool,
    },
    /// An endpoint's latest deliveries, newest first.
    Deliveries {
        /// The endpoint's id.
        id: uuid::Uuid,
        /// How many.
        #[arg(long, default_value_t = 20)]
        last: u64,
    },
}

/// Runs `kiji webhooks …`.
pub async fn webhooks(config: &Config, action: WebhooksCommand) -> Result<(), StartupError> {
    use crate::editorial::webhooks as hooks;
    let db = super::open(config).await?;
    let mut out = std::io::stdout().lock();
    match action {
        WebhooksCommand::Add {
            partner,
            url,
            allow_private_network,
        } => {
            let row = hooks::register(&db, Actor::CommandLine, &partner, &url, allow_private_network).await?;
            writeln!(out, "{}  {}", row.id, row.url)?;
            writeln!(
                out,
                "secret (verify signatures with it; `kiji webhooks rotate` replaces it):"
            )?;
            writeln!(out, "{}", row.secret)?;
        }
        WebhooksCommand::List => {
            for row in hooks::endpoints(&db, None).await? {
                writeln!(out, "{}  partner {}  {}", row.id, row.partner_id, row.url)?;
            }
        }
        WebhooksCommand::Rotate { id } => {
            let row = hooks::rotate(&db, Actor::CommandLine, id).await?;
            writeln!(out, "{}", row.secret)?;
        }
        WebhooksCommand::Replay { id, all } => {
            let n = hooks::replay(&db, Actor::CommandLine, id, all).await?;
            writeln!(out, "{n} deliveries will be sent again")?;
        }
        WebhooksCommand::Deliveries { id, last } => {
            for d in hooks::deliveries(&db, id, last).await? {
                writeln!(
                    out,
                    "{}  {:<20}  {:<9}  attempts {}  status {}  {}",
                    d.id,
                    d.event_type,
                    d.state,
                    d.attempts,
                    d.last_status.map_or("-".to_owned(), |s| s.to_string()),
                    d.last_error.unwrap_or_default()
                )?;
            }
        }
    }
    Ok(())
}
