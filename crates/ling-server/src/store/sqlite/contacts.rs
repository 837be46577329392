//! Friends, friend requests, friend groups and blocks on SQLite.

use async_trait::async_trait;
use ling_proto::contacts::{BlockedUser, Friend, FriendGroup, FriendRequest, FriendRequestList, FriendRequestStatus};
use ling_proto::{ConversationId, ErrorCode, FriendGroupId, Millis, Patch, UserId};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::SqliteStore;
use super::accounts::{profile_columns, profile_from_row};
use crate::store::{Befriended, ContactStore, FriendRequestRow, Relation, StoreError, StoreResult};

fn request_query(filter: &str) -> String {
    format!(
        "SELECT r.id, r.message, r.status, r.created_at, {}, {}
         FROM friend_requests r JOIN users f ON f.id = r.from_id JOIN users t ON t.id = r.to_id
         WHERE {filter}",
        profile_columns("f"),
        profile_columns("t")
    )
}

fn request_from_row(r: &Row<'_>) -> rusqlite::Result<FriendRequest> {
    let status: String = r.get(2)?;
    Ok(FriendRequest {
        id: r.get(0)?,
        message: r.get(1)?,
        status: match status.as_str() {
            "accepted" => FriendRequestStatus::Accepted,
            "declined" => FriendRequestStatus::Declined,
            _ => FriendRequestStatus::Pending,
        },
        created_at: r.get(3)?,
        from: profile_from_row(r, 4)?,
        to: profile_from_row(r, 9)?,
    })
}

fn load_request(c: &Connection, id: i64) -> StoreResult<FriendRequest> {
    c.query_row(&request_query("r.id = ?1"), [id], request_from_row).optional()?.ok_or(StoreError::NotFound)
}

/// The direct conversation of `a` and `b`, made (with both members) if missing.
pub(super) fn ensure_direct_conversation(
    c: &Connection,
    a: UserId,
    b: UserId,
    now: Millis,
) -> StoreResult<(ConversationId, bool)> {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    let existing: Option<ConversationId> = c
        .query_row(
            "SELECT conversation_id FROM direct_conversations WHERE user_lo = ?1 AND user_hi = ?2",
            [lo, hi],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = existing {
        return Ok((id, false));
    }
    c.execute("INSERT INTO conversations (kind, created_at) VALUES ('direct', ?1)", [now])?;
    let id = c.last_insert_rowid();
    c.execute(
        "INSERT INTO direct_conversations (user_lo, user_hi, conversation_id) VALUES (?1, ?2, ?3)",
        [lo, hi, id],
    )?;
    c.execute("INSERT INTO conversation_members (conversation_id, user_id) VALUES (?1, ?2), (?1, ?3)", [id, lo, hi])?;
    Ok((id, true))
}

fn load_friend_group(c: &Connection, user: UserId, id: FriendGroupId) -> StoreResult<FriendGroup> {
    c.query_row("SELECT id, name, position FROM friend_groups WHERE id = ?1 AND owner_id = ?2", [id, user], |r| {
        Ok(FriendGroup { id: r.get(0)?, name: r.get(1)?, position: r.get(2)? })
    })
    .optional()?
    .ok_or(StoreError::NotFound)
}

/// How `a` and `b` stand, on any connection.
pub(super) fn relation_in(c: &Connection, a: UserId, b: UserId) -> StoreResult<Relation> {
    Ok(c.prepare_cached(
        "SELECT
           EXISTS (SELECT 1 FROM friends WHERE owner_id = ?1 AND friend_id = ?2)
           AND EXISTS (SELECT 1 FROM friends WHERE owner_id = ?2 AND friend_id = ?1),
           EXISTS (SELECT 1 FROM blocks WHERE blocker_id = ?1 AND blocked_id = ?2),
           EXISTS (SELECT 1 FROM blocks WHERE blocker_id = ?2 AND blocked_id = ?1)",
    )?
    .query_row([a, b], |r| Ok(Relation { friends: r.get(0)?, blocks: r.get(1)?, blocked_by: r.get(2)? }))?)
}

#[async_trait]
impl ContactStore for SqliteStore {
    async fn relation(&self, a: UserId, b: UserId) -> StoreResult<Relation> {
        self.read(move |c| relation_in(c, a, b)).await
    }

    async fn create_friend_request(
        &self,
        from: UserId,
        to: UserId,
        message: String,
        now: Millis,
    ) -> StoreResult<FriendRequest> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO friend_requests (from_id, to_id, message, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'pending', ?4, ?4)",
                params![from, to, message, now],
            )?;
            load_request(c, c.last_insert_rowid())
        })
        .await
    }

    async fn pending_request(&self, from: UserId, to: UserId) -> StoreResult<Option<i64>> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT id FROM friend_requests WHERE from_id = ?1 AND to_id = ?2 AND status = 'pending'",
                [from, to],
                |r| r.get(0),
            )
            .optional()?)
        })
        .await
    }

    async fn friend_request(&self, id: i64) -> StoreResult<Option<FriendRequestRow>> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT id, from_id, to_id, status = 'pending' FROM friend_requests WHERE id = ?1",
                [id],
                |r| Ok(FriendRequestRow { id: r.get(0)?, from_id: r.get(1)?, to_id: r.get(2)?, pending: r.get(3)? }),
            )
            .optional()?)
        })
        .await
    }

    async fn accept_friend_request(&self, id: i64, now: Millis) -> StoreResult<Befriended> {
        self.write(move |c| {
            let (from, to): (UserId, UserId) = c
                .query_row(
                    "SELECT from_id, to_id FROM friend_requests WHERE id = ?1 AND status = 'pending'",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .ok_or(StoreError::Rejected(ErrorCode::RequestClosed, "the request was already answered".into()))?;
            c.execute(
                "UPDATE friend_requests SET status = 'accepted', updated_at = ?1 WHERE id = ?2",
                params![now, id],
            )?;
            // A request the other way is answered by this friendship too.
            c.execute(
                "UPDATE friend_requests SET status = 'accepted', updated_at = ?1
                 WHERE from_id = ?2 AND to_id = ?3 AND status = 'pending'",
                params![now, to, from],
            )?;
            for (owner, friend) in [(from, to), (to, from)] {
                c.execute(
                    "INSERT OR IGNORE INTO friends (owner_id, friend_id, since) VALUES (?1, ?2, ?3)",
                    params![owner, friend, now],
                )?;
            }
            let (conversation_id, new_conversation) = ensure_direct_conversation(c, from, to, now)?;
            Ok(Befriended { request: load_request(c, id)?, conversation_id, new_conversation })
        })
        .await
    }

    async fn befriend(&self, a: UserId, b: UserId, now: Millis) -> StoreResult<(ConversationId, bool)> {
        self.write(move |c| {
            for (owner, friend) in [(a, b), (b, a)] {
                c.execute(
                    "INSERT OR IGNORE INTO friends (owner_id, friend_id, since) VALUES (?1, ?2, ?3)",
                    params![owner, friend, now],
                )?;
            }
            ensure_direct_conversation(c, a, b, now)
        })
        .await
    }

    async fn decline_friend_request(&self, id: i64, now: Millis) -> StoreResult<FriendRequest> {
        self.write(move |c| {
            let n = c.execute(
                "UPDATE friend_requests SET status = 'declined', updated_at = ?1 WHERE id = ?2 AND status = 'pending'",
                params![now, id],
            )?;
            if n == 0 {
                return Err(StoreError::Rejected(ErrorCode::RequestClosed, "the request was already answered".into()));
            }
            load_request(c, id)
        })
        .await
    }

    async fn friend_requests(&self, user: UserId) -> StoreResult<FriendRequestList> {
        self.read(move |c| {
            let list = |filter: &str| -> StoreResult<Vec<FriendRequest>> {
                let mut stmt =
                    c.prepare(&format!("{} ORDER BY r.created_at DESC, r.id DESC", request_query(filter)))?;
                let rows = stmt.query_map([user], request_from_row)?;
                Ok(rows.collect::<Result<_, _>>()?)
            };
            Ok(FriendRequestList {
                incoming: list("r.to_id = ?1 AND r.status = 'pending'")?,
                outgoing: list("r.from_id = ?1 AND r.status = 'pending'")?,
            })
        })
        .await
    }

    async fn friends(&self, user: UserId) -> StoreResult<Vec<Friend>> {
        self.read(move |c| {
            let sql = format!(
                "SELECT f.remark, f.group_id, f.since, d.conversation_id, {}
                 FROM friends f
                 JOIN users u ON u.id = f.friend_id
                 JOIN direct_conversations d
                   ON d.user_lo = min(f.owner_id, f.friend_id) AND d.user_hi = max(f.owner_id, f.friend_id)
                 WHERE f.owner_id = ?1
                 ORDER BY coalesce(f.remark, u.display_name) COLLATE NOCASE, u.id",
                profile_columns("u")
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([user], |r| {
                Ok(Friend {
                    remark: r.get(0)?,
                    group_id: r.get(1)?,
                    since: r.get(2)?,
                    conversation_id: r.get(3)?,
                    user: profile_from_row(r, 4)?,
                    online: false,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn friend_ids(&self, user: UserId) -> StoreResult<Vec<UserId>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached("SELECT friend_id FROM friends WHERE owner_id = ?1")?;
            let rows = stmt.query_map([user], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn update_friend(
        &self,
        owner: UserId,
        friend: UserId,
        remark: Patch<String>,
        group: Patch<FriendGroupId>,
    ) -> StoreResult<()> {
        self.write(move |c| {
            let exists: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM friends WHERE owner_id = ?1 AND friend_id = ?2)",
                [owner, friend],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(StoreError::NotFound);
            }
            if let Patch::Set(g) = group {
                load_friend_group(c, owner, g).map_err(|_| {
                    StoreError::Rejected(ErrorCode::InvalidRequest, "group_id is not one of your friend groups".into())
                })?;
            }
            if !remark.is_keep() {
                c.execute(
                    "UPDATE friends SET remark = ?1 WHERE owner_id = ?2 AND friend_id = ?3",
                    params![remark.apply(None), owner, friend],
                )?;
            }
            if !group.is_keep() {
                c.execute(
                    "UPDATE friends SET group_id = ?1 WHERE owner_id = ?2 AND friend_id = ?3",
                    params![group.apply(None), owner, friend],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn delete_friend(&self, a: UserId, b: UserId) -> StoreResult<bool> {
        self.write(move |c| {
            let n = c.execute(
                "DELETE FROM friends WHERE (owner_id = ?1 AND friend_id = ?2) OR (owner_id = ?2 AND friend_id = ?1)",
                [a, b],
            )?;
            Ok(n > 0)
        })
        .await
    }

    async fn friend_groups(&self, user: UserId) -> StoreResult<Vec<FriendGroup>> {
        self.read(move |c| {
            let mut stmt =
                c.prepare("SELECT id, name, position FROM friend_groups WHERE owner_id = ?1 ORDER BY position, id")?;
            let rows =
                stmt.query_map([user], |r| Ok(FriendGroup { id: r.get(0)?, name: r.get(1)?, position: r.get(2)? }))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn create_friend_group(&self, user: UserId, name: String) -> StoreResult<FriendGroup> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO friend_groups (owner_id, name, position)
                 VALUES (?1, ?2, (SELECT coalesce(max(position) + 1, 0) FROM friend_groups WHERE owner_id = ?1))",
                params![user, name],
            )?;
            load_friend_group(c, user, c.last_insert_rowid())
        })
        .await
    }

    async fn rename_friend_group(&self, user: UserId, id: FriendGroupId, name: String) -> StoreResult<FriendGroup> {
        self.write(move |c| {
            if c.execute("UPDATE friend_groups SET name = ?1 WHERE id = ?2 AND owner_id = ?3", params![name, id, user])?
                == 0
            {
                return Err(StoreError::NotFound);
            }
            load_friend_group(c, user, id)
        })
        .await
    }

    async fn delete_friend_group(&self, user: UserId, id: FriendGroupId) -> StoreResult<bool> {
        self.write(move |c| Ok(c.execute("DELETE FROM friend_groups WHERE id = ?1 AND owner_id = ?2", [id, user])? > 0))
            .await
    }

    async fn block(&self, blocker: UserId, blocked: UserId, now: Millis) -> StoreResult<()> {
        self.write(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO blocks (blocker_id, blocked_id, since) VALUES (?1, ?2, ?3)",
                params![blocker, blocked, now],
            )?;
            // Pending requests between them are moot.
            c.execute(
                "UPDATE friend_requests SET status = 'declined', updated_at = ?3
                 WHERE status = 'pending' AND ((from_id = ?1 AND to_id = ?2) OR (from_id = ?2 AND to_id = ?1))",
                params![blocker, blocked, now],
            )?;
            Ok(())
        })
        .await
    }

    async fn unblock(&self, blocker: UserId, blocked: UserId) -> StoreResult<bool> {
        self.write(move |c| {
            Ok(c.execute("DELETE FROM blocks WHERE blocker_id = ?1 AND blocked_id = ?2", [blocker, blocked])? > 0)
        })
        .await
    }

    async fn blocks(&self, user: UserId) -> StoreResult<Vec<BlockedUser>> {
        self.read(move |c| {
            let sql = format!(
                "SELECT b.since, {} FROM blocks b JOIN users u ON u.id = b.blocked_id WHERE b.blocker_id = ?1 ORDER BY b.since DESC",
                profile_columns("u")
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([user], |r| Ok(BlockedUser { since: r.get(0)?, user: profile_from_row(r, 1)? }))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn block_peers(&self, user: UserId) -> StoreResult<Vec<UserId>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT blocked_id FROM blocks WHERE blocker_id = ?1 UNION SELECT blocker_id FROM blocks WHERE blocked_id = ?1",
            )?;
            let rows = stmt.query_map([user], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }
}
