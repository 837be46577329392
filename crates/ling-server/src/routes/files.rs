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
use crate::config::{MAX_IMAGE_EDGE, MAX_IMAGE_PIXELS};
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, Json, Path, Query, body_timeout};
use crate::state::{AppState, now_ms};
use crate::validate;

/// Thumbnails fit in this square.
const THUMB_EDGE: u32 = 320;
/// Memory one decode may allocate.
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
/// Decodes at once: each may take [`MAX_DECODE_BYTES`].
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

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
    if uploader != user {
        return Err(bad());
    }
    if info.width.is_none() {
        return Err(not_an_image());
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

/// The refusal of a file used as an image that did not decode as one.
pub fn not_an_image() -> ApiError {
    ApiError::new(
        ErrorCode::NotAnImage,
        format!(
            "that file is not an image the server could decode (PNG, JPEG, GIF or WebP of at most {MAX_IMAGE_PIXELS} pixels and {MAX_IMAGE_EDGE} on a side)"
        ),
    )
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
    let idle = state.config.body_timeout();
    // The upload may take long, but not stall: each chunk must come in time.
    while let Some(chunk) = tokio::time::timeout(idle, stream.next()).await.map_err(|_| body_timeout(idle))? {
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
    let permit = DECODES.acquire().await.map_err(ApiError::internal)?;
    let probe = tokio::task::spawn_blocking(move || probe(&path, &name_for_probe)).await.map_err(ApiError::internal)?;
    drop(permit);

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

/// Detects the type from the content (falling back to the name). What looks
/// like an image is decoded in full under [`MAX_IMAGE_PIXELS`],
/// [`MAX_IMAGE_EDGE`] and [`MAX_DECODE_BYTES`]: then it gets its size and a
/// JPEG thumbnail beside the staged file; otherwise it is a plain file
/// (`application/octet-stream`, no size), which image messages and avatars
/// refuse with `not_an_image`.
fn probe(path: &FsPath, name: &str) -> Probe {
    let mut head = Vec::with_capacity(8192);
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(8192).read_to_end(&mut head);
    }
    let mime = infer::get(&head)
        .map(|t| t.mime_type().to_owned())
        .unwrap_or_else(|| mime_guess::from_path(name).first_or_octet_stream().essence_str().to_owned());
    if !mime.starts_with("image/") {
        return Probe { mime, dimensions: None, thumbnail: None };
    }
    match decode_image(path) {
        Ok(img) => {
            let thumb_path = path.with_extension("thumb");
            let small = img.thumbnail(THUMB_EDGE, THUMB_EDGE).to_rgb8();
            let thumbnail = match small.save_with_format(&thumb_path, image::ImageFormat::Jpeg) {
                Ok(()) => Some(thumb_path),
                Err(e) => {
                    tracing::warn!(error = %e, "could not write a thumbnail");
                    None
                }
            };
            Probe { mime, dimensions: Some((img.width(), img.height())), thumbnail }
        }
        Err(why) => {
            tracing::info!(%mime, %why, "an upload that looks like an image is kept as a plain file");
            // Served as what it is: bytes, not something to draw.
            let mime = if mime == "image/svg+xml" { mime } else { "application/octet-stream".to_owned() };
            Probe { mime, dimensions: None, thumbnail: None }
        }
    }
}

/// Decodes the whole image within the caps, checking the header's claim first.
fn decode_image(path: &FsPath) -> Result<image::DynamicImage, String> {
    let open = || image::ImageReader::open(path).and_then(|r| r.with_guessed_format()).map_err(|e| e.to_string());
    let (w, h) = open()?.into_dimensions().map_err(|e| e.to_string())?;
    if w > MAX_IMAGE_EDGE || h > MAX_IMAGE_EDGE || u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
        return Err(format!("{w}x{h} is over the image limits"));
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_EDGE);
    limits.max_image_height = Some(MAX_IMAGE_EDGE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut reader = open()?;
    reader.limits(limits);
    reader.decode().map_err(|e| e.to_string())
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
    use image::ImageEncoder;

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
    fn test_an_image_header_that_claims_more_than_the_content_holds_is_a_plain_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("staged");
        // A PNG of 30000x30000 cut off after its header (the image bomb).
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(&[0u8; 2 * 2 * 3], 2, 2, image::ExtendedColorType::Rgb8)
            .unwrap();
        png.truncate(33);
        png[16..20].copy_from_slice(&30000u32.to_be_bytes());
        png[20..24].copy_from_slice(&30000u32.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png.resize(100, 0);
        std::fs::write(&path, &png).unwrap();
        let p = probe(&path, "bomb.png");
        assert_eq!((p.mime.as_str(), p.dimensions, p.thumbnail.is_some()), ("application/octet-stream", None, false));
        // A real image under the caps but truncated does not count either.
        let mut jpeg = Vec::new();
        image::RgbImage::from_pixel(64, 64, image::Rgb([1, 2, 3]))
            .write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
            .unwrap();
        std::fs::write(&path, &jpeg[..jpeg.len() / 3]).unwrap();
        assert_eq!(probe(&path, "cut.jpg").dimensions, None);
    }

    /// PNG's chunk checksum (CRC-32, ISO 3309), so the forged header is read.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    #[test]
    fn test_an_image_over_the_edge_cap_is_not_decoded_as_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("staged");
        // A whole, valid image, just too long a side.
        image::GrayImage::new(MAX_IMAGE_EDGE + 1, 2).save_with_format(&path, image::ImageFormat::Png).unwrap();
        let p = probe(&path, "strip.png");
        assert_eq!(p.dimensions, None);
        assert_eq!(p.mime, "application/octet-stream");
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
