//! Building the rows of categories, tags, supervisors and references, and finding the stored ones articles cite.

use super::*;

impl Rows {
    /// Gives the one category, tag, supervisor or reference these rows
    /// create the id `id` of the stored one they replace.
    pub(super) fn reuse_id(&mut self, id: Uuid) {
        for row in &mut self.categories {
            row.id = id;
        }
        for row in &mut self.category_texts {
            row.category_id = id;
        }
        for row in &mut self.tags {
            row.id = id;
        }
        for row in &mut self.tag_texts {
            row.tag_id = id;
        }
        for row in &mut self.supervisors {
            row.id = id;
        }
        for row in &mut self.supervisor_texts {
            row.supervisor_id = id;
        }
        for row in &mut self.qualifications {
            row.supervisor_id = id;
        }
        for row in &mut self.careers {
            row.supervisor_id = id;
        }
        for row in &mut self.references {
            row.id = id;
        }
    }

    pub(super) async fn build<C: ConnectionTrait>(bundle: &Bundle, db: &C) -> Result<Self, ImportError> {
        let now = stored_now();
        let mut rows = Rows::default();
        let mut known = Known::default();
        let taken = Taken::find(bundle, db).await?;
        let mut problems = Problems::default();
        problems.note(rows.add_categories(bundle, &taken, &mut known, now));
        problems.note(rows.add_tags(bundle, &taken, &mut known));
        problems.note(rows.add_supervisors(bundle, &taken, &mut known, now));
        problems.note(rows.add_references(bundle, &taken, &mut known));
        problems.note(rows.resolve_existing(bundle, db, &mut known).await);
        let taken: HashSet<String> = article::Entity::find()
            .filter(article::Column::Slug.is_in(bundle.articles.iter().map(|a| a.slug.clone())))
            .all(db)
            .await?
            .into_iter()
            .map(|a| a.slug)
            .collect();
        let mut seen = HashSet::new();
        for doc in &bundle.articles {
            if taken.contains(&doc.slug) {
                problems.note::<()>(Err(ImportError::Conflict {
                    what: "article",
                    key: doc.slug.clone(),
                }));
                continue;
            }
            if !seen.insert(doc.slug.as_str()) {
                problems.note::<()>(Err(invalid(
                    &Location::article(&doc.slug),
                    "slug appears twice in this import",
                )));
                continue;
            }
            problems.note(rows.add_article(doc, &known, now, None));
        }
        problems.note(rows.check_images(db).await);
        problems.into_result()?;
        Ok(rows)
    }

    pub(super) fn add_categories(
        &mut self,
        bundle: &Bundle,
        taken: &Taken,
        known: &mut Known,
        now: DateTime<Utc>,
    ) -> Result<(), ImportError> {
        for doc in &bundle.categories {
            let at = Location::item(format_args!("category {}", doc.slug));
            check_slug(&at, &doc.slug)?;
            let source = canonical_locale(&at, &doc.source_locale)?;
            check_localized(&at.then("name"), &doc.name, &source)?;
            let id = new_id(&mut known.categories, &taken.categories, "category", &doc.slug)?;
            self.categories.push(category::Model {
                id,
                slug: doc.slug.clone(),
                position: doc.position,
                source_locale: source,
                is_public: doc.public,
                created_at: now,
                updated_at: now,
                medical: doc.medical,
                self_pay: doc.self_pay,
            });
            for (locale, name) in &doc.name {
                check_text(&at, name)?;
                self.category_texts.push(category_translation::Model {
                    category_id: id,
                    locale: locale.clone(),
                    name: name.clone(),
                    description: doc.description.get(locale).cloned(),
                });
            }
        }
        Ok(())
    }

    pub(super) fn add_tags(&mut self, bundle: &Bundle, taken: &Taken, known: &mut Known) -> Result<(), ImportError> {
        for doc in &bundle.tags {
            let at = Location::item(format_args!("tag {}", doc.slug));
            check_slug(&at, &doc.slug)?;
            let source = canonical_locale(&at, &doc.source_locale)?;
            check_localized(&at.then("name"), &doc.name, &source)?;
            let id = new_id(&mut known.tags, &taken.tags, "tag", &doc.slug)?;
            self.tags.push(tag::Model {
                id,
                slug: doc.slug.clone(),
                source_locale: source,
                is_public: doc.public,
            });
            for (locale, name) in &doc.name {
                check_text(&at, name)?;
                self.tag_texts.push(tag_translation::Model {
                    tag_id: id,
                    locale: locale.clone(),
                    name: name.clone(),
                });
            }
        }
        Ok(())
    }

    pub(super) fn add_supervisors(
        &mut self,
        bundle: &Bundle,
        taken: &Taken,
        known: &mut Known,
        now: DateTime<Utc>,
    ) -> Result<(), ImportError> {
        for doc in &bundle.supervisors {
            let at = Location::item(format_args!("supervisor {}", doc.slug));
            check_slug(&at, &doc.slug)?;
            let source = canonical_locale(&at, &doc.source_locale)?;
            check_localized(&at.then("profile"), &doc.profile, &source)?;
            let id = new_id(&mut known.supervisors, &taken.supervisors, "supervisor", &doc.slug)?;
            self.report.supervisors += 1;
            self.supervisors.push(supervisor::Model {
                id,
                slug: doc.slug.clone(),
                photo_url: doc.photo_url.clone(),
                source_locale: source.clone(),
                is_public: doc.public,
                created_at: now,
                updated_at: now,
                profile_revision: 1,
                // Imported profiles are the operator's record; a physician
                // created over the API confirms theirs by signing off.
                confirmed_profile_revision: 1,
            });
            self.profiles.push(entity::supervisor_profile::Model {
                supervisor_id: id,
                number: 1,
                document: serde_json::to_string(doc).unwrap_or_default(),
                saved_at: now,
                saved_by: "import".to_owned(),
            });
            for (locale, text) in &doc.profile {
                check_text(&at, &text.name)?;
                self.supervisor_texts.push(supervisor_translation::Model {
                    supervisor_id: id,
                    locale: locale.clone(),
                    name: text.name.clone(),
                    name_reading: text.name_reading.clone(),
                    title: text.title.clone(),
                    affiliation: text.affiliation.clone(),
                    bio: text.bio.clone(),
                });
            }
            for (position, q) in doc.qualifications.iter().enumerate() {
                let at = at.then(format_args!("qualification {}", position + 1));
                check_localized(&at, &q.name, &source)?;
                let qid = Uuid::now_v7();
                self.qualifications.push(qualification::Model {
                    id: qid,
                    supervisor_id: id,
                    position: position as i32,
                    kind: q.kind,
                });
                for (locale, name) in &q.name {
                    check_text(&at, name)?;
                    self.qualification_texts.push(qualification_translation::Model {
                        qualification_id: qid,
                        locale: locale.clone(),
                        name: name.clone(),
                    });
                }
            }
            for (position, c) in doc.career.iter().enumerate() {
                let at = at.then(format_args!("career {}", position + 1));
                check_localized(&at, &c.text, &source)?;
                let cid = Uuid::now_v7();
                self.careers.push(career_entry::Model {
                    id: cid,
                    supervisor_id: id,
                    position: position as i32,
                    started: c.started.clone(),
                    ended: c.ended.clone(),
                });
                for (locale, text) in &c.text {
                    check_text(&at, &text.text)?;
                    self.career_texts.push(career_entry_translation::Model {
                        career_entry_id: cid,
                        locale: locale.clone(),
                        text: text.text.clone(),
                        organization: text.organization.clone(),
                        role: text.role.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    pub(super) fn add_references(
        &mut self,
        bundle: &Bundle,
        taken: &Taken,
        known: &mut Known,
    ) -> Result<(), ImportError> {
        // Identifiers are unique (DOIs case-insensitively): a second work
        // with the same one is a mistake in the file, said here rather than
        // by the database's constraint.
        let mut dois: HashMap<String, &str> = HashMap::new();
        let mut pmids: HashMap<&str, &str> = HashMap::new();
        for doc in &bundle.references {
            let at = Location::item(format_args!("reference {}", doc.key));
            if let Some(doi) = &doc.doi {
                let owner = taken.dois.get(&doi.to_lowercase()).map(String::as_str);
                if let Some(other) = owner.or_else(|| dois.get(&doi.to_lowercase()).copied()) {
                    let place = if owner.is_some() {
                        "in the database"
                    } else {
                        "in this bundle"
                    };
                    return Err(invalid(
                        &at,
                        format!("DOI `{doi}` is already reference `{other}`'s ({place})"),
                    ));
                }
                dois.insert(doi.to_lowercase(), &doc.key);
            }
            if let Some(pmid) = &doc.pmid {
                let owner = taken.pmids.get(pmid).map(String::as_str);
                if let Some(other) = owner.or_else(|| pmids.get(pmid.as_str()).copied()) {
                    let place = if owner.is_some() {
                        "in the database"
                    } else {
                        "in this bundle"
                    };
                    return Err(invalid(
                        &at,
                        format!("PMID `{pmid}` is already reference `{other}`'s ({place})"),
                    ));
                }
                pmids.insert(pmid, &doc.key);
            }
        }
        for doc in &bundle.references {
            let at = Location::item(format_args!("reference {}", doc.key));
            if doc.key.trim().is_empty() {
                return Err(invalid(&at, "key is empty"));
            }
            check_text(&at, &doc.title)?;
            if let Some(doi) = &doc.doi
                && (!doi.starts_with("10.") || !doi.contains('/'))
            {
                return Err(invalid(
                    &at,
                    format!("`{doi}` is not a DOI (10.prefix/suffix, without https://doi.org/)"),
                ));
            }
            if let Some(pmid) = &doc.pmid
                && (pmid.is_empty() || !pmid.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(invalid(&at, format!("`{pmid}` is not a PMID (digits only)")));
            }
            let id = new_id(&mut known.references, &taken.references, "reference", &doc.key)?;
            self.report.references += 1;
            self.references.push(reference::Model {
                id,
                key: doc.key.clone(),
                kind: doc.kind,
                title: doc.title.clone(),
                authors: serde_json::json!(doc.authors),
                authors_truncated: doc.et_al,
                container_title: doc.container_title.clone(),
                publisher: doc.publisher.clone(),
                year: doc.year,
                volume: doc.volume.clone(),
                issue: doc.issue.clone(),
                pages: doc.pages.clone(),
                doi: doc.doi.clone(),
                pmid: doc.pmid.clone(),
                url: doc.url.clone(),
                accessed_on: doc.accessed_on,
                evidence_level: doc.evidence,
            });
        }
        Ok(())
    }

    /// Looks up slugs and keys that articles cite but the bundle does not define.
    pub(super) async fn resolve_existing<C: ConnectionTrait>(
        &self,
        bundle: &Bundle,
        db: &C,
        known: &mut Known,
    ) -> Result<(), ImportError> {
        let mut categories = HashSet::new();
        let mut tags = HashSet::new();
        let mut supervisors = HashSet::new();
        let mut references = HashSet::new();
        for doc in &bundle.articles {
            categories.insert(doc.category.clone());
            tags.extend(doc.tags.iter().cloned());
            supervisors.extend(doc.contributors.iter().map(|c| c.supervisor.clone()));
            let mut stack: Vec<&SectionDoc> = doc.sections.iter().collect();
            while let Some(section) = stack.pop() {
                for claim in &section.claims {
                    references.extend(claim.references.iter().map(|r| r.reference.clone()));
                }
                stack.extend(section.sections.iter());
            }
        }
        categories.retain(|s| !known.categories.contains_key(s));
        tags.retain(|s| !known.tags.contains_key(s));
        supervisors.retain(|s| !known.supervisors.contains_key(s));
        references.retain(|s| !known.references.contains_key(s));
        known
            .categories
            .extend(ids_by::<category::Entity, _>(db, category::Column::Slug, categories, |r| (r.slug, r.id)).await?);
        known
            .tags
            .extend(ids_by::<tag::Entity, _>(db, tag::Column::Slug, tags, |r| (r.slug, r.id)).await?);
        known.supervisors.extend(
            ids_by::<supervisor::Entity, _>(db, supervisor::Column::Slug, supervisors, |r| (r.slug, r.id)).await?,
        );
        known
            .references
            .extend(ids_by::<reference::Entity, _>(db, reference::Column::Key, references, |r| (r.key, r.id)).await?);
        Ok(())
    }
}
