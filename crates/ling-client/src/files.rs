//! Files: uploads streamed from disk with progress and cancel (sending a
//! file queues it, in the send queue's `uploads`); downloads
//! into the account's file cache with progress, cancel, and resumption by
//! HTTP Range after an interruption (the partial file is kept as `.part` and
//! checked against the server's SHA-256 when complete); image thumbnails
//! cached beside them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt;
use ling_proto::files::FileInfo;
use ling_proto::messages::{FileRef, MessageContent};
use ling_proto::{ErrorCode, FileId};
use reqwest::Method;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, RANGE};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;
use tokio_util::sync::CancellationToken;

use crate::Client;
use crate::api::{Api, transport_error};
use crate::error::{ClientError, ClientResult, io_error, unreadable};
use crate::profile::create_private_dir;

/// Called with (bytes done, bytes in all) as a transfer moves.
pub type OnProgress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// A file id safe to use as a path component.
fn checked_id(id: &str) -> ClientResult<&str> {
    let ok = !id.is_empty() && id.len() <= 128 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok { Ok(id) } else { Err(ClientError::InvalidInput(format!("{id:?} is not a file id"))) }
}

/// A file name safe to create: no separators, no control characters, not `.`/`..`.
pub(crate) fn safe_name(name: &str) -> String {
    let cleaned: String = name.chars().map(|c| if c == '/' || c == '\\' || c.is_control() { '_' } else { c }).collect();
    match cleaned.trim() {
        "" | "." | ".." => "file".to_owned(),
        n => n.to_owned(),
    }
}

/// Uploads a file from disk, streamed; `progress` hears (sent, size).
pub(crate) async fn upload_file(
    api: &Api,
    path: &Path,
    progress: Option<OnProgress>,
    cancel: &CancellationToken,
) -> ClientResult<FileInfo> {
    let name = file_name(path)?;
    let file = tokio::fs::File::open(path).await.map_err(unreadable(path))?;
    let size = file.metadata().await.map_err(unreadable(path))?.len();
    let mut sent = 0u64;
    if let Some(p) = &progress {
        p(0, size);
    }
    let body = ReaderStream::with_capacity(file, 64 * 1024).map(move |chunk| {
        if let Ok(c) = &chunk {
            sent += c.len() as u64;
            if let Some(p) = &progress {
                p(sent, size);
            }
        }
        chunk
    });
    let req = api
        .request(Method::POST, "/v1/files")
        .query(&[("name", name.as_str())])
        .header(CONTENT_LENGTH, size)
        .header(CONTENT_TYPE, "application/octet-stream")
        .body(reqwest::Body::wrap_stream(body));
    tokio::select! {
        _ = cancel.cancelled() => Err(ClientError::Cancelled),
        r = api.fetch(req) => r,
    }
}

/// Uploads bytes held in memory (a link preview's picture) as `name`.
pub(crate) async fn upload_bytes(api: &Api, name: &str, bytes: Vec<u8>) -> ClientResult<FileInfo> {
    let req = api
        .request(Method::POST, "/v1/files")
        .query(&[("name", name)])
        .header(CONTENT_LENGTH, bytes.len())
        .header(CONTENT_TYPE, "application/octet-stream")
        .body(bytes);
    api.fetch(req).await
}

/// Where `file` lives in the file cache of the account at `account_dir`.
pub(crate) fn cache_path(account_dir: &Path, file: &FileRef) -> ClientResult<PathBuf> {
    Ok(account_dir.join("files").join(checked_id(&file.id)?).join(safe_name(&file.name)))
}

/// A file's name, as sent.
pub(crate) fn file_name(path: &Path) -> ClientResult<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| ClientError::InvalidInput(format!("{} has no usable file name", path.display())))
}

/// The message for an uploaded file, from what was listed while it
/// uploaded: a voice note stays one (its file now named); otherwise an image
/// when the server read it as one, else a file.
pub(crate) fn content_of(listed: Option<&MessageContent>, info: &FileInfo) -> MessageContent {
    let file = FileRef { id: info.id.clone(), name: info.name.clone(), size: info.size, mime: info.mime.clone() };
    if let Some(MessageContent::Voice { duration_ms, waveform, .. }) = listed {
        return MessageContent::Voice { file, duration_ms: *duration_ms, waveform: waveform.clone() };
    }
    match (info.mime.starts_with("image/"), info.width, info.height) {
        (true, Some(width), Some(height)) => MessageContent::Image { file, width, height },
        _ => MessageContent::File { file },
    }
}

impl Client {
    /// Uploads a file from disk, streamed; `progress` hears (sent, size).
    /// (To send a file, `SendQueue::send_file` queues it instead.)
    pub async fn upload(
        &self,
        path: &Path,
        progress: Option<OnProgress>,
        cancel: &CancellationToken,
    ) -> ClientResult<FileInfo> {
        upload_file(self.api(), path, progress, cancel).await
    }

    /// Where a downloaded file lives in the account's file cache.
    pub fn cached_file_path(&self, file: &FileRef) -> ClientResult<PathBuf> {
        cache_path(self.account_dir(), file)
    }

    /// Downloads a file into the account's file cache (or finds it there).
    /// An interrupted download resumes where it stopped.
    pub async fn download(
        &self,
        file: &FileRef,
        progress: Option<OnProgress>,
        cancel: &CancellationToken,
    ) -> ClientResult<PathBuf> {
        let dest = self.cached_file_path(file)?;
        let dir = dest.parent().expect("a file in a directory").to_path_buf();
        if tokio::fs::metadata(&dest).await.is_ok() {
            return Ok(dest);
        }
        create_private_dir(&dir)?;
        let api = self.api();
        let info: FileInfo = api.fetch(api.request(Method::GET, &format!("/v1/files/{}/info", file.id))).await?;
        let part = dir.join(format!("{}.part", file.id));
        let have = tokio::fs::metadata(&part).await.map(|m| m.len()).unwrap_or(0);
        let mut req = api.request(Method::GET, &format!("/v1/files/{}", file.id));
        if have > 0 && have < info.size {
            req = req.header(RANGE, format!("bytes={have}-"));
        }
        let resp = api.send(req).await?;
        let resumed = resp.status() == reqwest::StatusCode::PARTIAL_CONTENT;
        let mut out = tokio::fs::OpenOptions::new()
            .create(true)
            .append(resumed)
            .write(true)
            .truncate(!resumed)
            .open(&part)
            .await
            .map_err(|e| io_error("writing", &part, e))?;
        let mut done = if resumed { have } else { 0 };
        let mut body = resp.bytes_stream();
        loop {
            let chunk = tokio::select! {
                _ = cancel.cancelled() => {
                    out.flush().await.map_err(|e| io_error("writing", &part, e))?;
                    return Err(ClientError::Cancelled);
                }
                c = body.next() => c,
            };
            let Some(chunk) = chunk else { break };
            let chunk = chunk.map_err(|e| transport_error(api.base().as_str(), &e))?;
            out.write_all(&chunk).await.map_err(|e| io_error("writing", &part, e))?;
            done += chunk.len() as u64;
            if let Some(p) = &progress {
                p(done, info.size);
            }
        }
        out.sync_all().await.map_err(|e| io_error("writing", &part, e))?;
        drop(out);
        if done != info.size || sha256_of(&part).await? != info.sha256 {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(ClientError::Server {
                code: ErrorCode::Unknown,
                message: format!("{} arrived damaged; try again", file.name),
            });
        }
        tokio::fs::rename(&part, &dest).await.map_err(|e| io_error("saving", &dest, e))?;
        Ok(dest)
    }

    /// An image's thumbnail from the cache, fetched once; `None` if it has none.
    pub async fn thumbnail(&self, file_id: &FileId) -> ClientResult<Option<PathBuf>> {
        let dir = self.account_dir().join("thumbnails");
        let path = dir.join(format!("{}.jpg", checked_id(file_id)?));
        if tokio::fs::metadata(&path).await.is_ok() {
            return Ok(Some(path));
        }
        let api = self.api();
        let resp = match api.send(api.request(Method::GET, &format!("/v1/files/{file_id}/thumbnail"))).await {
            Ok(r) => r,
            Err(ClientError::Server { code: ErrorCode::NotFound, .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let bytes = resp.bytes().await.map_err(|e| transport_error(api.base().as_str(), &e))?;
        create_private_dir(&dir)?;
        crate::private_file::write_private_atomic(&path, &bytes)?;
        Ok(Some(path))
    }
}

async fn sha256_of(path: &Path) -> ClientResult<String> {
    let mut f = tokio::fs::File::open(path).await.map_err(|e| io_error("reading", path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf).await.map_err(|e| io_error("reading", path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_names_and_ids_from_the_server_cannot_escape_the_file_cache() {
        assert_eq!(safe_name("../../etc/passwd"), ".._.._etc_passwd");
        assert_eq!(safe_name(".."), "file");
        assert_eq!(safe_name("报告.pdf"), "报告.pdf");
        assert!(checked_id("abc-_09").is_ok());
        assert_eq!(checked_id("../x").unwrap_err().code(), "invalid_input");
    }
}
