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
