//! Where images' bytes are kept: in the database (the default, so one
//! SQLite file or one PostgreSQL database is the whole of Kiji's state), or
//! in S3-compatible object storage for large libraries. Either way every
//! instance reads the same bytes.
//!
//! The rows stay in the database in both cases; a row whose `bytes` are
//! empty has them in object storage, under a key made of what the row
//! holds. So rows stored before object storage was configured are still
//! read from the database, and switching back is refused per image with a
//! clear error rather than served empty.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::path::Path;

/// Failures of the object store, kept out of clients' sight.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The store refused or failed a request.
    #[error("object storage failed: {0}")]
    Store(#[from] object_store::Error),
    /// A row says its bytes are in object storage, and none is configured.
    #[error("image bytes `{0}` are kept in object storage, but this instance has no --media-store")]
    NotConfigured(String),
    /// The configuration cannot be used.
    #[error("--media-store: {0}")]
    Config(String),
}

/// Where images' originals and variants are kept.
#[derive(Clone, Default)]
pub enum MediaStore {
    /// In the `media` and `media_variant` rows.
    #[default]
    Database,
    /// In an S3-compatible bucket, under `prefix`.
    Bucket {
        /// The bucket.
        store: Arc<dyn ObjectStore>,
        /// Prepended to every key (`images/`), possibly empty.
        prefix: String,
    },
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Database => f.write_str("Database"),
            Self::Bucket { prefix, .. } => write!(f, "Bucket({prefix:?})"),
        }
    }
}

/// How to reach an S3-compatible bucket.
#[derive(Clone, Default)]
pub struct BucketConfig {
    /// `s3://bucket` or `s3://bucket/prefix`.
    pub url: String,
    /// The service's URL for S3-compatible services (MinIO, R2, …); AWS
    /// when unset.
    pub endpoint: Option<String>,
    /// The region (AWS needs the bucket's; others take any); else the
    /// environment's.
    pub region: Option<String>,
    /// Access key id.
    pub key_id: Option<String>,
    /// Secret access key.
    pub secret: Option<String>,
}

impl std::fmt::Debug for BucketConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("BucketConfig")
            .field("url", &self.url)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl MediaStore {
    /// The bucket `config` names.
    pub fn bucket(config: &BucketConfig) -> Result<Self, ObjectError> {
        let rest = config.url.strip_prefix("s3://").ok_or_else(|| {
            ObjectError::Config(format!("`{}` is not `database` or `s3://bucket[/prefix]`", config.url))
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(ObjectError::Config("the URL names no bucket".into()));
        }
        // The environment first, so session tokens and the container and
        // web-identity credentials of a cloud deployment work; then what
        // the configuration names.
        let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(region) = &config.region {
            builder = builder.with_region(region);
        }
        if let Some(endpoint) = &config.endpoint {
            // Other services are addressed by path, and run on plain HTTP
            // inside a private network as often as not.
            builder = builder
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        match (&config.key_id, &config.secret) {
            (Some(id), Some(secret)) => builder = builder.with_access_key_id(id).with_secret_access_key(secret),
            (None, None) => {}
            _ => {
                return Err(ObjectError::Config(
                    "give the access key id and the secret access key together".into(),
                ));
            }
        }
        let prefix = prefix.trim_matches('/');
        Ok(Self::Bucket {
            store: Arc::new(builder.build()?),
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
        })
    }

    /// The key of an original by its digest.
    fn original_key(prefix: &str, sha256: &str) -> Path {
        Path::from(format!("{prefix}originals/{sha256}"))
    }

    /// The key of a variant.
    fn variant_key(prefix: &str, media: uuid::Uuid, width: i32, format: &str) -> Path {
        Path::from(format!("{prefix}variants/{}/{width}.{format}", media.simple()))
    }

    /// Keeps an original; what its row's `bytes` hold (empty when the
    /// bytes went to the bucket).
    pub async fn put_original(&self, sha256: &str, bytes: Vec<u8>) -> Result<Vec<u8>, ObjectError> {
        match self {
            Self::Database => Ok(bytes),
            Self::Bucket { store, prefix } => {
                store.put(&Self::original_key(prefix, sha256), bytes.into()).await?;
                Ok(Vec::new())
            }
        }
    }

    /// The original a `media` row describes.
    pub async fn original(&self, row: &entity::media::Model) -> Result<Vec<u8>, ObjectError> {
        if !row.bytes.is_empty() {
            return Ok(row.bytes.clone());
        }
        self.get(|prefix| Self::original_key(prefix, &row.sha256)).await
    }

    /// Keeps a variant; what its row's `bytes` hold.
    pub async fn put_variant(&self, row: &entity::media_variant::Model) -> Result<Vec<u8>, ObjectError> {
        match self {
            Self::Database => Ok(row.bytes.clone()),
            Self::Bucket { store, prefix } => {
                let key = Self::variant_key(prefix, row.media_id, row.width, &row.format);
                store.put(&key, row.bytes.clone().into()).await?;
                Ok(Vec::new())
            }
        }
    }

    /// The bytes of the variant a `media_variant` row describes.
    pub async fn variant(&self, row: &entity::media_variant::Model) -> Result<Vec<u8>, ObjectError> {
        if !row.bytes.is_empty() {
            return Ok(row.bytes.clone());
        }
        self.get(|prefix| Self::variant_key(prefix, row.media_id, row.width, &row.format))
            .await
    }

    async fn get(&self, key: impl FnOnce(&str) -> Path) -> Result<Vec<u8>, ObjectError> {
        match self {
            Self::Database => Err(ObjectError::NotConfigured(key("").to_string())),
            Self::Bucket { store, prefix } => {
                let found = store.get(&key(prefix)).await?;
                Ok(found.bytes().await?.to_vec())
            }
        }
    }
}

impl From<ObjectError> for crate::error::Error {
    fn from(err: ObjectError) -> Self {
        // Logged with its detail where Internal errors are; clients see a
        // bare INTERNAL, never the bucket's answer.
        crate::error::Error::Internal(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_half_given_key_pair_is_refused_and_the_secret_never_printed() {
        let half = BucketConfig {
            url: "s3://clinic-media/images".into(),
            endpoint: Some("http://127.0.0.1:9".into()),
            region: Some("ap-northeast-1".into()),
            key_id: Some("key-id".into()),
            secret: None,
        };
        assert!(matches!(MediaStore::bucket(&half), Err(ObjectError::Config(_))));
        let whole = BucketConfig {
            secret: Some("do-not-print-me".into()),
            ..half
        };
        assert!(!format!("{whole:?}").contains("do-not-print-me"));
        assert!(matches!(MediaStore::bucket(&whole), Ok(MediaStore::Bucket { prefix, .. }) if prefix == "images/"));
        let other = BucketConfig {
            url: "gs://clinic-media".into(),
            ..BucketConfig::default()
        };
        assert!(matches!(MediaStore::bucket(&other), Err(ObjectError::Config(_))));
    }
}
