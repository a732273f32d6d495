//! Entity type aliases, for `use entity::prelude::*`.

pub use crate::article::Entity as Article;
pub use crate::article_supervisor::Entity as ArticleSupervisor;
pub use crate::article_tag::Entity as ArticleTag;
pub use crate::article_translation::Entity as ArticleTranslation;
pub use crate::career_entry::Entity as CareerEntry;
pub use crate::career_entry_translation::Entity as CareerEntryTranslation;
pub use crate::category::Entity as Category;
pub use crate::category_translation::Entity as CategoryTranslation;
pub use crate::claim::Entity as Claim;
pub use crate::claim_reference::Entity as ClaimReference;
pub use crate::claim_translation::Entity as ClaimTranslation;
pub use crate::qualification::Entity as Qualification;
pub use crate::qualification_translation::Entity as QualificationTranslation;
pub use crate::reference::Entity as Reference;
pub use crate::section::Entity as Section;
pub use crate::section_translation::Entity as SectionTranslation;
pub use crate::supervisor::Entity as Supervisor;
pub use crate::supervisor_translation::Entity as SupervisorTranslation;
pub use crate::tag::Entity as Tag;
pub use crate::tag_translation::Entity as TagTranslation;
