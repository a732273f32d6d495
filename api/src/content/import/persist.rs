//! Writing built rows in batches, and what the change log and the planner need after.

use super::*;

impl Rows {
    /// What this import touches, for the change log: every row it creates,
    /// and the existing categories, tags, supervisors and references its
    /// articles now use (whose public visibility may change with them).
    pub(super) fn touched(&self) -> Touched {
        let mut touched = Touched::default();
        for row in &self.categories {
            touched.entity("category", row.id);
        }
        for row in &self.tags {
            touched.entity("tag", row.id);
        }
        for row in &self.supervisors {
            touched.entity("supervisor", row.id);
        }
        for row in &self.references {
            touched.entity("reference", row.id);
        }
        for row in &self.articles {
            touched.entity("article", row.id);
            touched.entity("category", row.category_id);
        }
        for row in &self.article_tags {
            touched.entity("tag", row.tag_id);
        }
        for row in &self.contributors {
            touched.entity("supervisor", row.supervisor_id);
        }
        for row in &self.citations {
            touched.entity("reference", row.reference_id);
        }
        let locales = self
            .article_texts
            .iter()
            .map(|t| &t.locale)
            .chain(self.category_texts.iter().map(|t| &t.locale))
            .chain(self.tag_texts.iter().map(|t| &t.locale))
            .chain(self.supervisor_texts.iter().map(|t| &t.locale));
        for locale in locales {
            touched.locale(locale);
        }
        touched
    }

    /// Adds the new articles that have a `visible_from` to `article_count`
    /// (see `crate::store::counts::count_scopes`).
    pub(super) async fn count_articles<C: ConnectionTrait>(&self, db: &C) -> Result<(), DbErr> {
        let mut counts: BTreeMap<String, i64> = BTreeMap::new();
        for row in self.articles.iter().filter(|a| a.visible_from.is_some()) {
            for scope in crate::store::counts::count_scopes(row.category_id) {
                *counts.entry(scope).or_default() += 1;
            }
        }
        for (scope, n) in counts {
            crate::store::counts::add_to_count(db, scope, n).await?;
        }
        Ok(())
    }

    /// The tables this import writes rows to.
    pub(super) fn tables(&self) -> Vec<&'static str> {
        let written: [(&'static str, bool); 20] = [
            ("category", !self.categories.is_empty()),
            ("category_translation", !self.category_texts.is_empty()),
            ("tag", !self.tags.is_empty()),
            ("tag_translation", !self.tag_texts.is_empty()),
            ("supervisor", !self.supervisors.is_empty()),
            ("supervisor_translation", !self.supervisor_texts.is_empty()),
            ("qualification", !self.qualifications.is_empty()),
            ("qualification_translation", !self.qualification_texts.is_empty()),
            ("career_entry", !self.careers.is_empty()),
            ("career_entry_translation", !self.career_texts.is_empty()),
            ("reference", !self.references.is_empty()),
            ("article", !self.articles.is_empty()),
            ("article_translation", !self.article_texts.is_empty()),
            ("article_tag", !self.article_tags.is_empty()),
            ("article_supervisor", !self.contributors.is_empty()),
            ("section", !self.sections.is_empty()),
            ("section_translation", !self.section_texts.is_empty()),
            ("claim", !self.claims.is_empty()),
            ("claim_translation", !self.claim_texts.is_empty()),
            ("claim_reference", !self.citations.is_empty()),
        ];
        written.into_iter().filter(|(_, w)| *w).map(|(t, _)| t).collect()
    }

    /// Inserts everything, parents before children.
    pub(super) async fn write<C: ConnectionTrait>(&self, db: &C) -> Result<(), DbErr> {
        insert::<category::Entity, _>(db, &self.categories).await?;
        insert::<category_translation::Entity, _>(db, &self.category_texts).await?;
        insert::<tag::Entity, _>(db, &self.tags).await?;
        insert::<tag_translation::Entity, _>(db, &self.tag_texts).await?;
        insert::<supervisor::Entity, _>(db, &self.supervisors).await?;
        insert::<supervisor_translation::Entity, _>(db, &self.supervisor_texts).await?;
        insert::<qualification::Entity, _>(db, &self.qualifications).await?;
        insert::<qualification_translation::Entity, _>(db, &self.qualification_texts).await?;
        insert::<career_entry::Entity, _>(db, &self.careers).await?;
        insert::<career_entry_translation::Entity, _>(db, &self.career_texts).await?;
        insert::<entity::supervisor_profile::Entity, _>(db, &self.profiles).await?;
        insert::<reference::Entity, _>(db, &self.references).await?;
        insert::<article::Entity, _>(db, &self.articles).await?;
        self.count_articles(db).await?;
        insert::<article_translation::Entity, _>(db, &self.article_texts).await?;
        insert::<article_tag::Entity, _>(db, &self.article_tags).await?;
        insert::<article_supervisor::Entity, _>(db, &self.contributors).await?;
        let sign_offs: Vec<entity::sign_off::Model> = self
            .contributors
            .iter()
            .filter(|c| c.role != entity::enums::ContributorRole::Author)
            .filter_map(|c| {
                Some(entity::sign_off::Model {
                    article_id: c.article_id,
                    revision: c.signed_off_revision?,
                    supervisor_id: c.supervisor_id,
                    locales: c.signed_off_locales.clone(),
                    claims: c.signed_off_claims,
                    signed_at: c.signed_off_at,
                    // Recorded in a file, not made through Kiji: no profile
                    // revision was shown to anyone.
                    profile_revision: None,
                })
            })
            .collect();
        insert::<entity::sign_off::Entity, _>(db, &sign_offs).await?;
        // Parents precede their children in `sections`, so the self-referencing
        // foreign key holds batch by batch.
        insert::<section::Entity, _>(db, &self.sections).await?;
        insert::<section_translation::Entity, _>(db, &self.section_texts).await?;
        insert::<claim::Entity, _>(db, &self.claims).await?;
        insert::<claim_translation::Entity, _>(db, &self.claim_texts).await?;
        insert::<claim_reference::Entity, _>(db, &self.citations).await?;
        Ok(())
    }
}
