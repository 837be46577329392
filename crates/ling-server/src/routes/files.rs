//! Files: streamed upload, download with HTTP Range, thumbnails.
//!
//! An upload is never held whole in memory: chunks go to a staging file while
//! being hashed and counted, and the upload is cut off the moment it passes
//! the limit. The finished file is stored under its SHA-256.

use std::io::Read;
use std::path::{Path as FsPath, PathBuf};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine;
use futures_util::StreamExt;
use ling_proto::files::{FileInfo, UploadQuery};
use ling_proto::{ErrorCode, FileId, UserId};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::blobs::Rendition;
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, Json, Path, Query};
use crate::state::{AppState, now_ms};
use crate::validate;

/// Thumbnails fit in this square.
const THUMB_EDGE: u32 = 320;
/// Images with more pixels than this get no thumbnail (decompression bombs).
const MAX_DECODE_PIXELS: u64 = 64_000_000;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/files", post(upload))
        .route("/v1/files/{id}", get(download))
        .route("/v1/files/{id}/thumbnail", get(thumbnail))
        .route("/v1/files/{id}/info", get(info))
}

/// Makes `file` an avatar (readable by anyone logged in), refusing it unless
/// the caller uploaded it and it is an image.
pub async fn use_as_avatar(state: &AppState, user: UserId, file: &FileId) -> ApiResult<()> {
    let bad = || ApiError::invalid("the avatar must be an image you uploaded");
    let (info, uploader) = state.store.file(file.clone()).await?.ok_or_else(bad)?;
    if uploader != user || info.width.is_none() {
        return Err(bad());
    }
    Ok(state.store.mark_avatar(file.clone()).await?)
}

/// A staged upload that deletes itself unless kept.
struct Staged(Option<PathBuf>);

impl Staged {
    fn path(&self) -> &FsPath {
        self.0.as_deref().unwrap_or(FsPath::new(""))
    }
    fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(ErrorCode::FileTooLarge, format!("files may be at most {limit} bytes"))
}

async fn upload(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<UploadQuery>,
    request: Request,
) -> ApiResult<(StatusCode, Json<FileInfo>)> {
    let name = validate::file_name(&q.name)?;
    let limit = state.config.max_file_bytes;
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }

    let staged = Staged(Some(state.blobs.staging_dir().join(random_id())));
    let mut out = tokio::fs::File::create(staged.path()).await.map_err(ApiError::internal)?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut stream = request.into_body().into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::invalid(format!("the upload was interrupted: {e}")))?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(too_large(limit));
        }
        hasher.update(&chunk);
        out.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    if size == 0 {
        return Err(ApiError::new(ErrorCode::EmptyFile, "the upload was empty"));
    }
    out.sync_all().await.map_err(ApiError::internal)?;
    drop(out);
    let sha256 = hex(&hasher.finalize());

    let path = staged.path().to_owned();
    let name_for_probe = name.clone();
    let probe = tokio::task::spawn_blocking(move || probe(&path, &name_for_probe)).await.map_err(ApiError::internal)?;

    if let Some(thumb) = &probe.thumbnail {
        state.blobs.commit(thumb, &sha256, Rendition::Thumbnail).await.map_err(ApiError::internal)?;
    }
    state.blobs.commit(staged.path(), &sha256, Rendition::Original).await.map_err(ApiError::internal)?;
    staged.keep();

    let info = FileInfo {
        id: random_id(),
        name,
        size,
        mime: probe.mime,
        sha256,
        width: probe.dimensions.map(|d| d.0),
        height: probe.dimensions.map(|d| d.1),
        has_thumbnail: probe.thumbnail.is_some(),
        created_at: now_ms(),
    };
    state.store.insert_file(auth.user_id, info.clone()).await?;
    Ok((StatusCode::CREATED, Json(info)))
}

/// What the server learns from an upload's content.
struct Probe {
    mime: String,
    dimensions: Option<(u32, u32)>,
    thumbnail: Option<PathBuf>,
}

/// Detects the type from the content (falling back to the name), and for
/// images reads the size and writes a JPEG thumbnail beside the staged file.
fn probe(path: &FsPath, name: &str) -> Probe {
    let mut head = Vec::with_capacity(8192);
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(8192).read_to_end(&mut head);
    }
    let mime = infer::get(&head)
        .map(|t| t.mime_type().to_owned())
        .unwrap_or_else(|| mime_guess::from_path(name).first_or_octet_stream().essence_str().to_owned());
    let mut result = Probe { mime, dimensions: None, thumbnail: None };
    if !result.mime.starts_with("image/") {
        return result;
    }
    let Ok(reader) = image::ImageReader::open(path).and_then(|r| r.with_guessed_format()) else {
        return result;
    };
    let Ok((w, h)) = reader.into_dimensions() else {
        return result;
    };
    result.dimensions = Some((w, h));
    if u64::from(w) * u64::from(h) > MAX_DECODE_PIXELS {
        return result;
    }
    let thumb_path = path.with_extension("thumb");
    let made = image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| e.to_string())
        .and_then(|r| r.decode().map_err(|e| e.to_string()))
        .and_then(|img| {
            let small = img.thumbnail(THUMB_EDGE, THUMB_EDGE).to_rgb8();
            small.save_with_format(&thumb_path, image::ImageFormat::Jpeg).map_err(|e| e.to_string())
        });
    match made {
        Ok(()) => result.thumbnail = Some(thumb_path),
        Err(e) => tracing::debug!(error = %e, "no thumbnail for an image upload"),
    }
    result
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The file's metadata, if the caller may read it; `not_found` otherwise, so
/// strangers cannot even tell it exists.
async fn readable(state: &AppState, user: UserId, id: &str) -> ApiResult<FileInfo> {
    if id.is_empty() || id.len() > 64 || !state.store.can_read_file(user, id.to_owned()).await? {
        return Err(ApiError::not_found("file"));
    }
    Ok(state.store.file(id.to_owned()).await?.ok_or_else(|| ApiError::not_found("file"))?.0)
}

/// `attachment; filename*=UTF-8''...` (RFC 6266 / 5987), with an ASCII fallback.
fn content_disposition(name: &str, inline: bool) -> HeaderValue {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let kind = if inline { "inline" } else { "attachment" };
    HeaderValue::from_str(&format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

async fn serve(state: &AppState, info: &FileInfo, rendition: Rendition, request: Request) -> Response {
    let mut resp = state.blobs.serve(&info.sha256, rendition, request).await;
    if resp.status().is_success() || resp.status() == StatusCode::PARTIAL_CONTENT {
        let mime = if rendition == Rendition::Thumbnail { "image/jpeg" } else { info.mime.as_str() };
        if let Ok(v) = HeaderValue::from_str(mime) {
            resp.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        let inline = mime.starts_with("image/") && mime != "image/svg+xml";
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, content_disposition(&info.name, inline));
    }
    resp
}

async fn download(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    request: Request,
) -> ApiResult<Response> {
    let info = readable(&state, auth.user_id, &id).await?;
    Ok(serve(&state, &info, Rendition::Original, request).await)
}

async fn thumbnail(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    request: Request,
) -> ApiResult<Response> {
    let info = readable(&state, auth.user_id, &id).await?;
    if !info.has_thumbnail {
        return Err(ApiError::not_found("thumbnail"));
    }
    Ok(serve(&state, &info, Rendition::Thumbnail, request).await)
}

async fn info(State(state): State<AppState>, auth: AuthUser, Path(id): Path<String>) -> ApiResult<Json<FileInfo>> {
    Ok(Json(readable(&state, auth.user_id, &id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_content_disposition_encodes_unicode_names() {
        let v = content_disposition("报告 1.pdf", false);
        let s = v.to_str().unwrap();
        assert!(s.starts_with("attachment; filename=\"__ 1.pdf\""), "{s}");
        assert!(s.contains("filename*=UTF-8''%E6%8A%A5%E5%91%8A%201.pdf"), "{s}");
    }

    #[test]
    fn test_probe_reads_png_size_and_makes_a_thumbnail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("staged");
        image::RgbImage::from_pixel(640, 480, image::Rgb([200, 10, 10]))
            .save_with_format(&path, image::ImageFormat::Png)
            .unwrap();
        let p = probe(&path, "photo.png");
        assert_eq!(p.mime, "image/png");
        assert_eq!(p.dimensions, Some((640, 480)));
        let thumb =
            image::ImageReader::open(p.thumbnail.unwrap()).unwrap().with_guessed_format().unwrap().decode().unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 240));
    }

    #[test]
    fn test_probe_falls_back_to_the_name_for_unknown_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("staged");
        std::fs::write(&path, "hello, world").unwrap();
        let p = probe(&path, "notes.txt");
        assert_eq!(p.mime, "text/plain");
        assert!(p.dimensions.is_none() && p.thumbnail.is_none());
    }
}
