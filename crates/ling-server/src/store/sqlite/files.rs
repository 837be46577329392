//! Uploaded files' metadata on SQLite.

use async_trait::async_trait;
use ling_proto::files::FileInfo;
use ling_proto::{FileId, UserId};
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::store::{FileStore, StoreResult};

#[async_trait]
impl FileStore for SqliteStore {
    async fn insert_file(&self, uploader: UserId, f: FileInfo) -> StoreResult<()> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO files (id, uploader_id, name, size, mime, sha256, width, height, has_thumbnail, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![f.id, uploader, f.name, f.size as i64, f.mime, f.sha256, f.width, f.height, f.has_thumbnail, f.created_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn file(&self, id: FileId) -> StoreResult<Option<(FileInfo, UserId)>> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT id, name, size, mime, sha256, width, height, has_thumbnail, created_at, uploader_id FROM files WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        FileInfo {
                            id: r.get(0)?,
                            name: r.get(1)?,
                            size: r.get::<_, i64>(2)? as u64,
                            mime: r.get(3)?,
                            sha256: r.get(4)?,
                            width: r.get(5)?,
                            height: r.get(6)?,
                            has_thumbnail: r.get(7)?,
                            created_at: r.get(8)?,
                        },
                        r.get(9)?,
                    ))
                },
            )
            .optional()?)
        })
        .await
    }

    async fn can_read_file(&self, user: UserId, id: FileId) -> StoreResult<bool> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM files f WHERE f.id = ?1 AND (f.uploader_id = ?2 OR f.is_avatar = 1))
                     OR EXISTS (SELECT 1 FROM conversation_files cf
                                JOIN conversation_members cm ON cm.conversation_id = cf.conversation_id
                                WHERE cf.file_id = ?1 AND cm.user_id = ?2)",
                params![id, user],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn mark_avatar(&self, id: FileId) -> StoreResult<()> {
        self.write(move |c| {
            c.execute("UPDATE files SET is_avatar = 1 WHERE id = ?1", [id])?;
            Ok(())
        })
        .await
    }
}
