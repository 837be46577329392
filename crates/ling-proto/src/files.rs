//! Files: `POST /v1/files?name=...` (raw body, streamed), `GET /v1/files/{id}`
//! (with HTTP Range), `GET /v1/files/{id}/thumbnail`, `GET /v1/files/{id}/info`.

use serde::{Deserialize, Serialize};

use crate::{FileId, Millis};

/// An uploaded file's metadata: the upload's answer and `/info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FileInfo {
    /// Refer to the file by this in messages and profiles.
    pub id: FileId,
    /// The name given at upload.
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// Detected from the content (falling back to the name's extension).
    pub mime: String,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// For images the server could read: pixels.
    pub width: Option<u32>,
    /// For images the server could read: pixels.
    pub height: Option<u32>,
    /// Whether `/thumbnail` has a small JPEG of it.
    pub has_thumbnail: bool,
    /// When it was uploaded.
    pub created_at: Millis,
}

/// The query of an upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UploadQuery {
    /// The file's name: 1–255 bytes, no `/`, `\`, control characters, and not `.` or `..`.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::pin;
    use serde_json::json;

    #[test]
    fn test_file_info_shape() {
        pin(
            &FileInfo {
                id: "Zm9v".into(),
                name: "报告.pdf".into(),
                size: 10,
                mime: "application/pdf".into(),
                sha256: "ab".into(),
                width: None,
                height: None,
                has_thumbnail: false,
                created_at: 1,
            },
            json!({
                "id": "Zm9v", "name": "报告.pdf", "size": 10, "mime": "application/pdf", "sha256": "ab",
                "width": null, "height": null, "has_thumbnail": false, "created_at": 1
            }),
        );
        pin(&UploadQuery { name: "a.txt".into() }, json!({"name": "a.txt"}));
    }
}
