//! The `Section` object (one node of an article's heading tree) and the
//! table of contents.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use entity::block::BlockKind;
use entity::enums::SectionKind;
use entity::{section, section_translation};
use uuid::Uuid;

use super::article::Scope;
use super::block::{Block, filter_blocks};
use super::claim::Claim;
use super::localized::{HasLocale, LocaleFields, LocaleInfo};
use super::node::{Kind, global_id};
use crate::delivery::locale::Localization;
use crate::error::Result;
use crate::store::loaders::Grouped;

/// A section in the locale chosen for this request.
#[derive(Clone)]
pub struct Section {
    model: section::Model,
    // Shared with the loader's rows: choosing a text copies no blocks.
    l10n: Localization<Arc<section_translation::Model>>,
    scope: Scope,
}

impl Section {
    /// The section's id.
    pub fn uuid(&self) -> Uuid {
        self.model.id
    }
}

/// Wraps one section row with its text; `None` when it has no translation
/// in any locale the article is visible in (it is never shown in an
/// unpublished language).
fn wrap(scope: &Scope, texts: &Grouped<Arc<section_translation::Model>>, model: &section::Model) -> Option<Section> {
    let l10n = scope.localize(texts.get(&model.id).map(Vec::as_slice).unwrap_or_default())?;
    Some(Section {
        model: model.clone(),
        l10n,
        scope: scope.clone(),
    })
}

/// Visible sections under `parent` (top level when `None`), in order. The
/// caller holds a visible parent: a section is visible only when it has
/// text to show and its parent is visible.
pub(crate) async fn children(ctx: &Context<'_>, scope: &Scope, parent: Option<Uuid>) -> Result<Vec<Section>> {
    let rows = scope.sections(ctx).await?;
    let texts = scope.section_texts(ctx).await?;
    Ok(ordered_children(&rows, parent)
        .filter_map(|s| wrap(scope, &texts, s))
        .collect())
}

/// Every visible section of the article depth first, in reading order: the
/// same sections `sections` and `children` reach, and only those, so a child
/// of a hidden section never surfaces here (nor do its claims and
/// references, which are gathered from this list).
pub(crate) async fn all(ctx: &Context<'_>, scope: &Scope) -> Result<Vec<Section>> {
    let rows = scope.sections(ctx).await?;
    let texts = scope.section_texts(ctx).await?;
    let mut ordered = Vec::with_capacity(rows.len());
    let mut stack: Vec<&section::Model> = ordered_children(&rows, None).rev().collect();
    while let Some(row) = stack.pop() {
        // A hidden section hides its whole subtree.
        let Some(section) = wrap(scope, &texts, row) else {
            continue;
        };
        stack.extend(ordered_children(&rows, Some(row.id)).rev());
        ordered.push(section);
    }
    Ok(ordered)
}

/// Children of `parent` in position order.
fn ordered_children(rows: &[section::Model], parent: Option<Uuid>) -> std::vec::IntoIter<&section::Model> {
    let mut out: Vec<&section::Model> = rows.iter().filter(|s| s.parent_id == parent).collect();
    out.sort_by_key(|s| s.position);
    out.into_iter()
}

/// The heading tree of the article.
pub(crate) async fn table_of_contents(ctx: &Context<'_>, scope: &Scope) -> Result<Vec<TocEntry>> {
    let sections = all(ctx, scope).await?;
    Ok(build_toc(&sections, None))
}

fn build_toc(sections: &[Section], parent: Option<Uuid>) -> Vec<TocEntry> {
    sections
        .iter()
        .filter(|s| s.model.parent_id == parent)
        .map(|s| TocEntry {
            anchor: s.model.anchor.clone(),
            heading: s.l10n.text().heading.clone(),
            level: s.model.level,
            children: build_toc(sections, Some(s.model.id)),
        })
        .collect()
}

/// One entry of a table of contents.
#[derive(SimpleObject)]
pub struct TocEntry {
    /// Fragment identifier to link to (`#anchor`).
    anchor: String,
    /// The section heading.
    heading: String,
    /// Heading level: 2 for top-level sections.
    level: i32,
    /// Entries of the subsections.
    children: Vec<TocEntry>,
}

/// A section of an article: a heading, its body blocks, the claims made in
/// it, and its subsections.
#[Object]
impl Section {
    /// Global id; pass it to `node(id:)` to refetch this object.
    pub async fn id(&self) -> ID {
        global_id(Kind::Section, self.model.id)
    }

    /// The stored fields, `anchor` to `position`, in this place.
    #[graphql(flatten)]
    async fn place(&self) -> Place<'_> {
        Place {
            anchor: &self.model.anchor,
            level: self.model.level,
            kind: self.model.kind,
            position: self.model.position,
        }
    }

    /// `locale`, `isFallback` and `availableLocales`, in this place.
    #[graphql(flatten)]
    async fn localized(&self) -> LocaleFields<'_> {
        LocaleFields(&self.l10n)
    }

    /// True when a supervising physician signed off the article's current
    /// revision with this section's locale among what they reviewed.
    async fn reviewed_by_supervisor(&self, ctx: &Context<'_>) -> Result<bool> {
        self.scope.supervised(ctx, &self.l10n.text().locale, false).await
    }

    /// The source revision this text was made from.
    async fn translated_from_revision(&self) -> i32 {
        self.l10n.text().source_revision
    }

    /// True when this section's source text changed after this text was
    /// made from it: the translation of this section needs work.
    async fn is_outdated(&self) -> bool {
        self.l10n.text().source_revision < self.model.source_revision
    }

    /// The heading.
    async fn heading(&self) -> &str {
        &self.l10n.text().heading
    }

    /// The section's own blocks, before its subsections; `kinds` keeps only
    /// blocks of those kinds.
    async fn blocks(
        &self,
        #[graphql(desc = "Only blocks of these kinds, in order; all when omitted.")] kinds: Option<Vec<BlockKind>>,
    ) -> Vec<Block<'_>> {
        let text = self.l10n.text();
        filter_blocks(&text.blocks.0, kinds.as_deref(), &text.locale)
    }

    /// Claims made in this section, in order.
    async fn claims(&self, ctx: &Context<'_>) -> Result<Vec<Claim>> {
        Claim::of_section(ctx, &self.scope, self.model.id).await
    }

    /// Subsections, in order.
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Section>> {
        children(ctx, &self.scope, Some(self.model.id)).await
    }
}

/// Where a section stands in its article, borrowed from its row.
#[derive(SimpleObject)]
struct Place<'a> {
    /// Fragment identifier, unique within the article.
    anchor: &'a str,
    /// Heading level: 2 for top-level sections, 3 below them, and so on.
    level: i32,
    /// Body, FAQ or summary.
    kind: SectionKind,
    /// Position among its siblings, from 0.
    position: i32,
}

impl HasLocale for Section {
    fn localization(&self) -> &dyn LocaleInfo {
        &self.l10n
    }
}
