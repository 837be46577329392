//! Accounts, profiles and sessions on SQLite.

use async_trait::async_trait;
use ling_proto::auth::SessionInfo;
use ling_proto::users::{Me, UserProfile};
use ling_proto::{Millis, SessionId, UserId};
use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteStore, placeholders};
use crate::store::{AccountStore, NewUser, ProfileChange, SessionRow, StoreError, StoreResult};

pub(super) const PROFILE_COLUMNS: &str = "id, username, display_name, avatar, signature";

pub(super) fn profile_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<UserProfile> {
    Ok(UserProfile {
        id: r.get(at)?,
        username: r.get(at + 1)?,
        display_name: r.get(at + 2)?,
        avatar: r.get(at + 3)?,
        signature: r.get(at + 4)?,
    })
}

/// Profile columns of `users` aliased as `alias`, for joins.
pub(super) fn profile_columns(alias: &str) -> String {
    PROFILE_COLUMNS.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

fn me_from_row(r: &Row<'_>) -> rusqlite::Result<Me> {
    Ok(Me {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        avatar: r.get(3)?,
        signature: r.get(4)?,
        phone: r.get(5)?,
        created_at: r.get(6)?,
    })
}

const ME_QUERY: &str =
    "SELECT id, username, display_name, avatar, signature, phone, created_at FROM users WHERE id = ?1";

fn load_me(c: &rusqlite::Connection, user: UserId) -> StoreResult<Me> {
    c.query_row(ME_QUERY, [user], me_from_row).optional()?.ok_or(StoreError::NotFound)
}

/// Profiles of `ids` (missing ones skipped), on any connection.
pub(super) fn load_profiles(c: &rusqlite::Connection, ids: &[UserId]) -> StoreResult<Vec<UserProfile>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("SELECT {PROFILE_COLUMNS} FROM users WHERE id IN ({})", placeholders(ids.len()));
    let mut stmt = c.prepare(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(ids), |r| profile_from_row(r, 0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_user(&self, u: NewUser) -> StoreResult<Me> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO users (username, display_name, password_hash, recovery_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![u.username, u.display_name, u.password_hash, u.recovery_hash, u.now],
            )?;
            load_me(c, c.last_insert_rowid())
        })
        .await
    }

    async fn credentials_by_username(&self, username: &str) -> StoreResult<Option<(UserId, String, String)>> {
        let username = username.to_owned();
        self.read(move |c| {
            Ok(c.query_row("SELECT id, password_hash, recovery_hash FROM users WHERE username = ?1", [username], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?)
        })
        .await
    }

    async fn credentials_by_id(&self, user: UserId) -> StoreResult<(String, String)> {
        self.read(move |c| {
            c.query_row("SELECT password_hash, recovery_hash FROM users WHERE id = ?1", [user], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .ok_or(StoreError::NotFound)
        })
        .await
    }

    async fn set_password_hash(&self, user: UserId, hash: String) -> StoreResult<()> {
        self.write(move |c| {
            c.execute("UPDATE users SET password_hash = ?1 WHERE id = ?2", params![hash, user])?;
            Ok(())
        })
        .await
    }

    async fn set_recovery_hash(&self, user: UserId, hash: String) -> StoreResult<()> {
        self.write(move |c| {
            c.execute("UPDATE users SET recovery_hash = ?1 WHERE id = ?2", params![hash, user])?;
            Ok(())
        })
        .await
    }

    async fn me(&self, user: UserId) -> StoreResult<Me> {
        self.read(move |c| load_me(c, user)).await
    }

    async fn profiles(&self, ids: Vec<UserId>) -> StoreResult<Vec<UserProfile>> {
        self.read(move |c| load_profiles(c, &ids)).await
    }

    async fn update_profile(&self, user: UserId, ch: ProfileChange) -> StoreResult<Me> {
        self.write(move |c| {
            if let Some(name) = ch.display_name {
                c.execute("UPDATE users SET display_name = ?1 WHERE id = ?2", params![name, user])?;
            }
            if let Some(sig) = ch.signature {
                c.execute("UPDATE users SET signature = ?1 WHERE id = ?2", params![sig, user])?;
            }
            if !ch.avatar.is_keep() {
                let v = ch.avatar.apply(None);
                c.execute("UPDATE users SET avatar = ?1 WHERE id = ?2", params![v, user])?;
            }
            if !ch.phone.is_keep() {
                let v = ch.phone.apply(None);
                c.execute("UPDATE users SET phone = ?1 WHERE id = ?2", params![v, user])?;
            }
            load_me(c, user)
        })
        .await
    }

    async fn search_users(&self, viewer: UserId, query: String, limit: u32) -> StoreResult<Vec<UserProfile>> {
        self.read(move |c| {
            let q = query.to_lowercase();
            let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            let sql = format!(
                "SELECT {PROFILE_COLUMNS} FROM users u
                 WHERE (u.username LIKE ?1 || '%' ESCAPE '\\' OR lower(u.display_name) LIKE '%' || ?1 || '%' ESCAPE '\\')
                   AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = ?2)
                 ORDER BY (u.username = ?3) DESC, (u.username LIKE ?1 || '%' ESCAPE '\\') DESC, length(u.username), u.id
                 LIMIT ?4"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(params![escaped, viewer, q, limit], |r| profile_from_row(r, 0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn create_session(
        &self,
        user: UserId,
        token_hash: Vec<u8>,
        device_name: String,
        now: Millis,
    ) -> StoreResult<SessionId> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO sessions (user_id, token_hash, device_name, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                params![user, token_hash, device_name, now],
            )?;
            Ok(c.last_insert_rowid())
        })
        .await
    }

    async fn session_by_token(&self, token_hash: Vec<u8>) -> StoreResult<Option<SessionRow>> {
        self.read(move |c| {
            Ok(c.query_row("SELECT id, user_id, last_seen_at FROM sessions WHERE token_hash = ?1", [token_hash], |r| {
                Ok(SessionRow { id: r.get(0)?, user_id: r.get(1)?, last_seen_at: r.get(2)? })
            })
            .optional()?)
        })
        .await
    }

    async fn touch_session(&self, session: SessionId, now: Millis) -> StoreResult<()> {
        self.write(move |c| {
            c.execute("UPDATE sessions SET last_seen_at = ?1 WHERE id = ?2", params![now, session])?;
            Ok(())
        })
        .await
    }

    async fn sessions(&self, user: UserId) -> StoreResult<Vec<SessionInfo>> {
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, device_name, created_at, last_seen_at FROM sessions WHERE user_id = ?1 ORDER BY last_seen_at DESC, id DESC",
            )?;
            let rows = stmt.query_map([user], |r| {
                Ok(SessionInfo {
                    id: r.get(0)?,
                    device_name: r.get(1)?,
                    created_at: r.get(2)?,
                    last_seen_at: r.get(3)?,
                    current: false,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn delete_session(&self, user: UserId, session: SessionId) -> StoreResult<bool> {
        self.write(move |c| {
            Ok(c.execute("DELETE FROM sessions WHERE id = ?1 AND user_id = ?2", params![session, user])? > 0)
        })
        .await
    }

    async fn delete_sessions_except(&self, user: UserId, keep: Option<SessionId>) -> StoreResult<Vec<SessionId>> {
        self.write(move |c| {
            let keep = keep.unwrap_or(-1);
            let mut stmt = c.prepare("DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2 RETURNING id")?;
            let ids = stmt.query_map(params![user, keep], |r| r.get(0))?.collect::<Result<Vec<SessionId>, _>>()?;
            Ok(ids)
        })
        .await
    }
}
