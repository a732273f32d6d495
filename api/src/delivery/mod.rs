//! Read rules: what a reader may see (visibility), in which language
//! (locale negotiation and fallback), in what order and how much
//! (pagination, answer order, limits on a document's work), and which keys
//! an answer carries for caches.

pub mod feed;
pub mod ids;
pub mod licences;
pub mod limits;
pub mod locale;
pub mod ordered;
pub mod pagination;
pub mod search;
pub mod sitemap;
pub mod tags;
pub mod visibility;
pub mod webhooks;
