//! The `Claim` object: one checkable statement with its evidence.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use entity::enums::{ClaimKind, EvidenceLevel};
use entity::{claim, claim_translation, reference};
use uuid::Uuid;

use super::article::Scope;
use super::localized::{HasLocale, LocaleFields, LocaleInfo};
use super::node::{Kind, global_id};
use super::reference::Reference;
use crate::delivery::locale::Localization;
use crate::error::Result;

/// A claim in the locale chosen for this request.
#[derive(Clone)]
pub struct Claim {
    model: claim::Model,
    l10n: Localization<Arc<claim_translation::Model>>,
    scope: Scope,
}

impl Claim {
    /// Claims of one section, in order.
    pub(crate) async fn of_section(ctx: &Context<'_>, scope: &Scope, section: Uuid) -> Result<Vec<Claim>> {
        let claims = scope.claims(ctx).await?;
        let Some(rows) = claims.get(&section) else {
            return Ok(Vec::new());
        };
        let texts = scope.claim_texts(ctx).await?;
        Ok(rows
            .iter()
            .filter_map(|model| {
                let l10n = scope.localize(texts.get(&model.id).map(Vec::as_slice).unwrap_or_default())?;
                Some(Claim {
                    model: model.clone(),
                    l10n,
                    scope: scope.clone(),
                })
            })
            .collect())
    }

    /// The claim's id.
    pub fn uuid(&self) -> Uuid {
        self.model.id
    }

    /// The references this claim cites, in citation order.
    pub(crate) async fn cited(&self, ctx: &Context<'_>) -> Result<Vec<Arc<reference::Model>>> {
        Ok(self
            .citations(ctx)
            .await?
            .into_iter()
            .map(|c| c.reference.shared())
            .collect())
    }

    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        let all = self.scope.citations(ctx).await?;
        Ok(all
            .get(&self.model.id)
            .map(|links| {
                links
                    .iter()
                    .inspect(|(_, reference)| crate::delivery::tags::entity(ctx, "reference", reference.id))
                    .map(|(link, reference)| Citation {
                        locator: link.locator.clone(),
                        reference: Reference::new(reference.clone()),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// One checkable statement made in a section, with how well it is supported.
#[Object]
impl Claim {
    /// Global id; pass it to `node(id:)` to refetch this object.
    pub async fn id(&self) -> ID {
        global_id(Kind::Claim, self.model.id)
    }

    /// What sort of statement this is.
    async fn kind(&self) -> ClaimKind {
        self.model.kind
    }

    /// How strong the evidence is. UNSUPPORTED means the article states it
    /// without any source.
    async fn evidence_level(&self) -> EvidenceLevel {
        self.model.evidence_level
    }

    /// The statement.
    async fn text(&self) -> &str {
        &self.l10n.text().text
    }

    /// `locale`, `isFallback` and `availableLocales`, in this place.
    #[graphql(flatten)]
    async fn localized(&self) -> LocaleFields<'_> {
        LocaleFields(&self.l10n)
    }

    /// True when a supervising physician signed off the article's current
    /// revision including its claims in this claim's locale. Claims written
    /// by editors and never reviewed say false, whatever the article's
    /// text says.
    async fn reviewed_by_supervisor(&self, ctx: &Context<'_>) -> Result<bool> {
        self.scope.supervised(ctx, &self.l10n.text().locale, true).await
    }

    /// The references supporting the claim, with where in each the support is.
    async fn references(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        self.citations(ctx).await
    }
}

/// A reference as cited by a claim.
#[derive(SimpleObject)]
pub struct Citation {
    /// Where in the work the support is, e.g. "p. 12" or "Table 2".
    locator: Option<String>,
    /// The work cited.
    reference: Reference,
}

impl HasLocale for Claim {
    fn localization(&self) -> &dyn LocaleInfo {
        &self.l10n
    }
}
