//! Uploaded files' bytes, content-addressed: the same content is stored once,
//! named by its SHA-256. Behind a trait so object storage (S3) can come later.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{HeaderValue, Request, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

/// Which rendition of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendition {
    /// The uploaded bytes.
    Original,
    /// The server-made JPEG thumbnail of an image.
    Thumbnail,
}

/// Where files' bytes live.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// A directory on local disk where uploads are written while they stream in.
    fn staging_dir(&self) -> &Path;
    /// Moves a finished upload into the store under its hash (dropping it if
    /// that content is already there).
    async fn commit(&self, staged: &Path, sha256: &str, rendition: Rendition) -> std::io::Result<()>;
    /// Answers a download, honouring `Range` and conditional headers.
    async fn serve(&self, sha256: &str, rendition: Rendition, request: Request<Body>) -> Response;
}

/// Files in a directory tree: `files/ab/abcdef...` and `thumbs/ab/abcdef...`.
pub struct LocalBlobs {
    root: PathBuf,
    staging: PathBuf,
}

impl LocalBlobs {
    /// Uses (and creates) `root`.
    pub fn open(root: &Path) -> std::io::Result<Self> {
        let staging = root.join("staging");
        std::fs::create_dir_all(&staging)?;
        // Leftovers of uploads interrupted by a crash.
        for entry in std::fs::read_dir(&staging)? {
            let _ = std::fs::remove_file(entry?.path());
        }
        Ok(LocalBlobs { root: root.to_owned(), staging })
    }

    fn path(&self, sha256: &str, rendition: Rendition) -> Option<PathBuf> {
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        if !valid {
            return None;
        }
        let dir = match rendition {
            Rendition::Original => "files",
            Rendition::Thumbnail => "thumbs",
        };
        Some(self.root.join(dir).join(&sha256[..2]).join(sha256))
    }
}

#[async_trait]
impl BlobStore for LocalBlobs {
    fn staging_dir(&self) -> &Path {
        &self.staging
    }

    async fn commit(&self, staged: &Path, sha256: &str, rendition: Rendition) -> std::io::Result<()> {
        let target = self
            .path(sha256, rendition)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a sha256"))?;
        if tokio::fs::try_exists(&target).await? {
            tokio::fs::remove_file(staged).await?;
            return Ok(());
        }
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        // The staged file was fsynced by the upload; rename is atomic on one filesystem.
        tokio::fs::rename(staged, &target).await
    }

    async fn serve(&self, sha256: &str, rendition: Rendition, request: Request<Body>) -> Response {
        let Some(path) = self.path(sha256, rendition) else {
            return axum::http::StatusCode::NOT_FOUND.into_response();
        };
        match ServeFile::new(path).oneshot(request).await {
            Ok(mut resp) => {
                resp.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
                resp.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
                resp.map(Body::new)
            }
            Err(e) => crate::error::ApiError::internal(e).into_response(),
        }
    }
}
