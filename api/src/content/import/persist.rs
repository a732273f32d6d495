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
        let written: [(&'static str, bool); 21] = [
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
            ("article_media", !self.article_media.is_empty()),
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
        insert::<entity::article_media::Entity, _>(db, &self.media_rows()).await?;
        Ok(())
    }

    /// The `article_media` rows.
    pub(super) fn media_rows(&self) -> Vec<entity::article_media::Model> {
        self.article_media.iter().map(|(row, _)| row.clone()).collect()
    }

    /// Notes the images `blocks` show in `locale` of article `article_id`,
    /// each with the first place it is shown.
    pub(super) fn show_images(&mut self, article_id: Uuid, locale: &str, blocks: &[Block], at: &Location) {
        for (i, image) in blocks.iter().enumerate().filter_map(|(i, b)| Some((i, b.image()?))) {
            if self.media_seen.insert((article_id, locale.to_owned(), image)) {
                let row = entity::article_media::Model {
                    article_id,
                    locale: locale.to_owned(),
                    media_id: image,
                };
                self.article_media.push((row, at.then(format_args!("block {}", i + 1))));
            }
        }
    }

    /// Refuses images the texts show that were never uploaded, and, in a
    /// text published here, images without alt text in its locale: a
    /// published page must be accessible.
    pub(super) async fn check_images<C: ConnectionTrait>(&self, db: &C) -> Result<(), ImportError> {
        if self.article_media.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = self
            .article_media
            .iter()
            .map(|(row, _)| row.media_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut stored: HashSet<Uuid> = HashSet::new();
        let mut described: HashSet<(Uuid, String)> = HashSet::new();
        // Bounded chunks: SQLite binds at most 32,766 values per statement.
        for chunk in ids.chunks(2000) {
            stored.extend(
                entity::media::Entity::find()
                    .select_only()
                    .column(entity::media::Column::Id)
                    .filter(entity::media::Column::Id.is_in(chunk.iter().copied()))
                    .into_tuple::<Uuid>()
                    .all(db)
                    .await?,
            );
            described.extend(
                entity::media_text::Entity::find()
                    .select_only()
                    .columns([entity::media_text::Column::MediaId, entity::media_text::Column::Locale])
                    .filter(entity::media_text::Column::MediaId.is_in(chunk.iter().copied()))
                    .into_tuple::<(Uuid, String)>()
                    .all(db)
                    .await?,
            );
        }
        let visible: HashSet<Uuid> = self
            .articles
            .iter()
            .filter(|a| a.visible_from.is_some())
            .map(|a| a.id)
            .collect();
        let published: HashSet<(Uuid, &str)> = self
            .article_texts
            .iter()
            .filter(|t| t.status == Status::Published && visible.contains(&t.article_id))
            .map(|t| (t.article_id, t.locale.as_str()))
            .collect();
        let mut problems = Problems::default();
        let mut named = HashSet::new();
        for (row, at) in &self.article_media {
            if !stored.contains(&row.media_id) {
                if named.insert(row.media_id) {
                    problems.note::<()>(Err(invalid(
                        at,
                        format!(
                            "no image `{}` is stored: upload it first (uploadImage, or `kiji media add`)",
                            row.media_id.simple()
                        ),
                    )));
                }
                continue;
            }
            let shown = published.contains(&(row.article_id, row.locale.as_str()));
            if shown && !described.contains(&(row.media_id, row.locale.clone())) {
                problems.note::<()>(Err(invalid(
                    at,
                    format!(
                        "image `{}` has no alt text in `{}`, which this article is published in: \
                         a published page must be accessible, so add it (uploadImage with the same \
                         file, or `kiji media add`)",
                        row.media_id.simple(),
                        row.locale
                    ),
                )));
            }
        }
        problems.into_result()
    }
}
