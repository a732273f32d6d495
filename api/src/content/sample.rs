//! The sample content shipped with Kiji: the exosome column (a real Japanese
//! column, see `api/content/sample/articles/`) and two smaller articles.
//!
//! The YAML files are compiled into the binary, so `cargo run` can fill an
//! empty database anywhere, with nothing else on disk.

use super::Bundle;
use crate::error::{ImportError, Location};

/// The sample files, in import order.
const FILES: &[(&str, &str)] = &[
    ("taxonomy.yaml", include_str!("../../content/sample/taxonomy.yaml")),
    (
        "supervisors.yaml",
        include_str!("../../content/sample/supervisors.yaml"),
    ),
    ("references.yaml", include_str!("../../content/sample/references.yaml")),
    (
        "articles/exosome-effects-and-side-effects.yaml",
        include_str!("../../content/sample/articles/exosome-effects-and-side-effects.yaml"),
    ),
    (
        "articles/regenerative-medicine-law-risk-classes.yaml",
        include_str!("../../content/sample/articles/regenerative-medicine-law-risk-classes.yaml"),
    ),
    (
        "articles/what-is-anti-aging-medicine.yaml",
        include_str!("../../content/sample/articles/what-is-anti-aging-medicine.yaml"),
    ),
];

/// The sample content as one bundle.
pub fn bundle() -> Result<Bundle, ImportError> {
    let mut bundle = Bundle::default();
    for (name, text) in FILES {
        let part = Bundle::from_yaml(text).map_err(|err| ImportError::Invalid {
            at: Location::item(format_args!("sample file {name}")),
            message: err.to_string(),
        })?;
        bundle.extend(part);
    }
    Ok(bundle)
}
