//! Building an article's rows: its texts, tags, contributors, sections and claims.

use super::*;

impl Rows {
    pub(super) fn add_article(
        &mut self,
        doc: &ArticleDoc,
        known: &Known,
        now: DateTime<Utc>,
        existing: Option<&Existing>,
    ) -> Result<(), ImportError> {
        let at = Location::article(&doc.slug);
        check_slug(&at, &doc.slug)?;
        let source = canonical_locale(&at, &doc.source_locale)?;
        check_localized(&at.then("translations"), &doc.translations, &source)?;
        let category_id = *known
            .categories
            .get(&doc.category)
            .ok_or_else(|| invalid(&at, format!("unknown category `{}`", doc.category)))?;
        if doc.revision < 1 {
            return Err(invalid(&at, "revision starts at 1"));
        }
        let published_at = utc(&at, "published_at", doc.published_at)?;
        let updated_at = utc(&at, "updated_at", doc.updated_at)?;
        if doc.status == Status::Published && published_at.is_none() {
            return Err(invalid(&at, "a published article needs published_at"));
        }
        // Publishing the article later must not bring out, unreviewed, a
        // translation that was marked published before it. (An archived
        // article keeps the translations it was published with.)
        if matches!(doc.status, Status::Draft | Status::InReview | Status::Approved)
            && let Some((locale, _)) = doc.translations.iter().find(|(_, t)| t.status == Status::Published)
        {
            return Err(invalid(
                &at.then("translations").then(locale),
                format!(
                    "a translation can be PUBLISHED only once its article has been (the article is {})",
                    spelled(&doc.status)
                ),
            ));
        }
        let id = existing.map_or_else(Uuid::now_v7, |e| e.id);
        // A first import makes every source text current as of its
        // revision; a saved revision says when each last changed.
        let source_revision = match existing {
            Some(_) => doc
                .translations
                .get(&source)
                .map_or(doc.revision, |t| t.source_revision),
            None => doc.revision,
        };
        self.report.articles += 1;
        self.articles.push(article::Model {
            id,
            slug: doc.slug.clone(),
            category_id,
            source_locale: source.clone(),
            status: doc.status,
            revision: doc.revision,
            head_revision: doc.revision,
            source_revision,
            published_at,
            created_at: existing.map_or(now, |e| e.created_at),
            updated_at: updated_at.unwrap_or(now),
            visible_from: crate::store::counts::visible_from(
                doc.status,
                published_at,
                doc.translations.values().map(|t| t.status),
            ),
            draft_of: None,
            scheduled_revision: None,
            scheduled_at: None,
        });
        for (locale, text) in &doc.translations {
            let at = at.then(format_args!("translation {locale}"));
            check_text(&at, &text.title)?;
            check_text(&at, &text.lead)?;
            check_blocks(&at, &text.intro)?;
            self.show_images(id, locale, &text.intro, &at.then("intro"));
            if text.source_revision < 1 || text.source_revision > doc.revision {
                return Err(invalid(
                    &at,
                    format!("source_revision must be between 1 and {}", doc.revision),
                ));
            }
            self.article_texts.push(article_translation::Model {
                article_id: id,
                locale: locale.clone(),
                title: text.title.clone(),
                lead: text.lead.clone(),
                intro: Blocks(text.intro.clone()),
                seo_title: text.seo_title.clone(),
                seo_description: text.seo_description.clone(),
                status: text.status,
                source_revision: if *locale == source {
                    source_revision
                } else {
                    text.source_revision
                },
                created_at: now,
                updated_at: now,
            });
        }
        let mut tag_ids = HashSet::new();
        for (position, slug) in doc.tags.iter().enumerate() {
            let tag_id = *known
                .tags
                .get(slug)
                .ok_or_else(|| invalid(&at, format!("unknown tag `{slug}`")))?;
            if !tag_ids.insert(tag_id) {
                return Err(invalid(&at, format!("tag `{slug}` listed twice")));
            }
            self.article_tags.push(article_tag::Model {
                article_id: id,
                tag_id,
                position: position as i32,
            });
        }
        let mut roles = HashSet::new();
        for (position, c) in doc.contributors.iter().enumerate() {
            let supervisor_id = *known
                .supervisors
                .get(&c.supervisor)
                .ok_or_else(|| invalid(&at, format!("unknown supervisor `{}`", c.supervisor)))?;
            if !roles.insert((supervisor_id, c.role)) {
                return Err(invalid(&at, format!("`{}` listed twice in one role", c.supervisor)));
            }
            if let Some(rev) = c.signed_off_revision
                && (rev < 1 || rev > doc.revision)
            {
                return Err(invalid(
                    &at,
                    format!("signed_off_revision must be between 1 and {}", doc.revision),
                ));
            }
            let who = at.then(format_args!("contributor {}", position + 1));
            let mut locales = Vec::new();
            for tag in &c.signed_off_locales {
                let locale = canonical_locale(&who, tag)?;
                if !doc.translations.contains_key(&locale) {
                    return Err(invalid(
                        &who,
                        format!("signed_off_locales names `{locale}`, which the article has no translation in"),
                    ));
                }
                locales.push(locale);
            }
            if c.signed_off_revision.is_none() && (!locales.is_empty() || c.signed_off_claims) {
                return Err(invalid(
                    &who,
                    "signed_off_locales and signed_off_claims need a signed_off_revision",
                ));
            }
            if c.signed_off_revision.is_some() && locales.is_empty() {
                locales.push(source.clone());
            }
            locales.sort();
            locales.dedup();
            self.contributors.push(article_supervisor::Model {
                article_id: id,
                supervisor_id,
                role: c.role,
                position: position as i32,
                signed_off_locales: locales.join(","),
                signed_off_claims: c.signed_off_claims,
                signed_off_revision: c.signed_off_revision,
                signed_off_at: utc(
                    &at.then(format_args!("contributor {}", position + 1)),
                    "signed_off_at",
                    c.signed_off_at,
                )?,
                signed_off_profile_revision: None,
            });
        }
        let mut anchors = HashSet::new();
        let mut count = 0;
        let mut stack: Vec<&SectionDoc> = doc.sections.iter().collect();
        while let Some(section) = stack.pop() {
            count += 1;
            stack.extend(section.sections.iter());
        }
        if count > MAX_SECTIONS {
            return Err(invalid(&at, format!("{count} sections; at most {MAX_SECTIONS}")));
        }
        for (position, section) in doc.sections.iter().enumerate() {
            let place = Place {
                article_id: id,
                parent_id: None,
                position,
                level: 2,
                source: &source,
                existing,
            };
            self.add_section(&at, section, &place, doc, known, &mut anchors)?;
        }
        Ok(())
    }

    pub(super) fn add_section(
        &mut self,
        at: &Location,
        doc: &SectionDoc,
        place: &Place<'_>,
        article: &ArticleDoc,
        known: &Known,
        anchors: &mut HashSet<String>,
    ) -> Result<(), ImportError> {
        let Place {
            article_id,
            parent_id,
            position,
            level,
            source,
            existing,
        } = *place;
        let at = at.section(&doc.anchor);
        check_slug(&at, &doc.anchor)?;
        if !anchors.insert(doc.anchor.clone()) {
            return Err(invalid(&at, "anchor is used twice in this article"));
        }
        if level > MAX_LEVEL {
            return Err(invalid(&at, format!("sections nest at most to h{MAX_LEVEL}")));
        }
        check_localized(&at.then("heading"), &doc.heading, source)?;
        for locale in doc.blocks.keys() {
            if !doc.heading.contains_key(locale) {
                return Err(invalid(
                    &at,
                    format!("blocks in `{locale}` but no heading in `{locale}`"),
                ));
            }
        }
        // A section keeps its id across revisions, so its node id and the
        // links readers keep to it stay valid.
        let id = existing
            .and_then(|e| e.section_ids.get(&doc.anchor).copied())
            .unwrap_or_else(Uuid::now_v7);
        let revisions = existing.and_then(|e| e.section_revisions.get(&doc.anchor));
        // Without a record of its own, a text is as current as its
        // article's translation in that locale.
        let revision_of = |locale: &str| {
            revisions
                .and_then(|r| r.get(locale).copied())
                .or_else(|| article.translations.get(locale).map(|t| t.source_revision))
                .unwrap_or(article.revision)
        };
        let section_source_revision = match existing {
            Some(_) => revision_of(source),
            None => article.revision,
        };
        self.report.sections += 1;
        self.sections.push(section::Model {
            id,
            article_id,
            parent_id,
            position: position as i32,
            anchor: doc.anchor.clone(),
            level,
            kind: doc.kind,
            source_revision: section_source_revision,
        });
        let empty = Vec::new();
        for (locale, heading) in &doc.heading {
            check_text(&at, heading)?;
            let blocks = doc.blocks.get(locale).unwrap_or(&empty);
            check_blocks(&at.then(locale), blocks)?;
            self.show_images(article_id, locale, blocks, &at.then(locale));
            self.section_texts.push(section_translation::Model {
                section_id: id,
                locale: locale.clone(),
                heading: heading.clone(),
                blocks: Blocks(blocks.clone()),
                source_revision: if locale == source {
                    section_source_revision
                } else {
                    revision_of(locale)
                },
            });
        }
        for (i, c) in doc.claims.iter().enumerate() {
            let at = at.then(format_args!("claim {}", i + 1));
            check_localized(&at, &c.text, source)?;
            if c.evidence.requires_reference() && c.references.is_empty() {
                return Err(invalid(
                    &at,
                    format!("evidence level {} needs at least one reference", spelled(&c.evidence)),
                ));
            }
            if !c.evidence.requires_reference() && !c.references.is_empty() {
                return Err(invalid(
                    &at,
                    format!(
                        "a claim with references cannot be {}; give the level the references support",
                        spelled(&c.evidence)
                    ),
                ));
            }
            // A claim keeps its id across revisions while it keeps its place
            // (section and position), so a synced copy or a normalized
            // client cache updates it in place.
            let cid = existing
                .and_then(|e| e.claim_ids.get(&(id, i as i32)).copied())
                .unwrap_or_else(Uuid::now_v7);
            self.report.claims += 1;
            self.claims.push(claim::Model {
                id: cid,
                section_id: id,
                position: i as i32,
                kind: c.kind,
                evidence_level: c.evidence,
            });
            for (locale, text) in &c.text {
                check_text(&at, text)?;
                self.claim_texts.push(claim_translation::Model {
                    claim_id: cid,
                    locale: locale.clone(),
                    text: text.clone(),
                });
            }
            let mut cited = BTreeMap::new();
            for (position, citation) in c.references.iter().enumerate() {
                let reference_id = *known
                    .references
                    .get(&citation.reference)
                    .ok_or_else(|| invalid(&at, format!("unknown reference `{}`", citation.reference)))?;
                if cited.insert(reference_id, ()).is_some() {
                    return Err(invalid(&at, format!("reference `{}` cited twice", citation.reference)));
                }
                self.citations.push(claim_reference::Model {
                    claim_id: cid,
                    reference_id,
                    position: position as i32,
                    locator: citation.locator.clone(),
                });
            }
        }
        for (position, child) in doc.sections.iter().enumerate() {
            let place = Place {
                article_id,
                parent_id: Some(id),
                position,
                level: level + 1,
                source,
                existing,
            };
            self.add_section(&at, child, &place, article, known, anchors)?;
        }
        Ok(())
    }
}
