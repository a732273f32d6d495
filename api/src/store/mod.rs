//! Storage: the database connection and the clock, the change log (the one
//! write path), what writers keep in step (visibility, counts), the loaders
//! reads go through, and the response cache. Nothing here knows a rule of
//! the content it stores.

pub mod cache;
pub mod changes;
pub mod clock;
pub mod counts;
pub mod db;
pub mod due;
pub mod loaders;
pub mod objects;
pub mod states;
pub mod usage;
pub mod write;
