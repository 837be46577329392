//! Groups and their members on SQLite. A group's members are kept in
//! `group_members` (with roles) and mirrored in `conversation_members` (read
//! cursors, access), always in the same transaction.

use async_trait::async_trait;
use ling_proto::groups::{Group, GroupJoinRequest, GroupMember, GroupSummary, JoinPolicy, Role};
use ling_proto::{GroupId, Millis, UserId};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::SqliteStore;
use super::accounts::{profile_columns, profile_from_row};
use crate::store::{GroupChange, GroupStore, NewGroup, StoreError, StoreResult};

const GROUP_COLUMNS: &str =
    "g.id, g.name, g.avatar, g.announcement, g.owner_id, g.join_policy, g.conversation_id, g.dissolved, g.created_at,
    (SELECT count(*) FROM group_members m WHERE m.group_id = g.id)";

/// A stored role; anything unknown reads as a plain member.
fn role_from(s: &str) -> Role {
    Role::parse(s).unwrap_or(Role::Member)
}

fn group_from_row(r: &Row<'_>) -> rusqlite::Result<Group> {
    let policy: String = r.get(5)?;
    Ok(Group {
        id: r.get(0)?,
        name: r.get(1)?,
        avatar: r.get(2)?,
        announcement: r.get(3)?,
        owner_id: r.get(4)?,
        join_policy: JoinPolicy::parse(&policy).unwrap_or_default(),
        conversation_id: r.get(6)?,
        dissolved: r.get(7)?,
        created_at: r.get(8)?,
        member_count: r.get(9)?,
    })
}

fn load_group(c: &Connection, id: GroupId) -> StoreResult<Option<Group>> {
    Ok(c.query_row(&format!("SELECT {GROUP_COLUMNS} FROM chat_groups g WHERE g.id = ?1"), [id], group_from_row)
        .optional()?)
}

fn conversation_of(c: &Connection, group: GroupId) -> StoreResult<i64> {
    c.query_row("SELECT conversation_id FROM chat_groups WHERE id = ?1", [group], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound)
}

fn insert_member(
    c: &Connection,
    group: GroupId,
    conversation: i64,
    user: UserId,
    role: Role,
    now: Millis,
) -> StoreResult<bool> {
    let added = c.execute(
        "INSERT OR IGNORE INTO group_members (group_id, user_id, role, joined_at) VALUES (?1, ?2, ?3, ?4)",
        params![group, user, role.as_str(), now],
    )? > 0;
    if added {
        // A returning member starts reading from the current end.
        c.execute(
            "INSERT INTO conversation_members (conversation_id, user_id, read_seq)
             VALUES (?1, ?2, (SELECT last_seq FROM conversations WHERE id = ?1))
             ON CONFLICT (conversation_id, user_id) DO NOTHING",
            params![conversation, user],
        )?;
        c.execute("DELETE FROM group_join_requests WHERE group_id = ?1 AND user_id = ?2", params![group, user])?;
    }
    Ok(added)
}

#[async_trait]
impl GroupStore for SqliteStore {
    async fn create_group(&self, g: NewGroup) -> StoreResult<Group> {
        self.write(move |c| {
            c.execute("INSERT INTO conversations (kind, created_at) VALUES ('group', ?1)", [g.now])?;
            let conversation = c.last_insert_rowid();
            c.execute(
                "INSERT INTO chat_groups (name, avatar, announcement, owner_id, join_policy, conversation_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![g.name, g.avatar, g.announcement, g.owner, g.join_policy.as_str(), conversation, g.now],
            )?;
            let id = c.last_insert_rowid();
            insert_member(c, id, conversation, g.owner, Role::Owner, g.now)?;
            for user in g.members.iter().filter(|u| **u != g.owner) {
                insert_member(c, id, conversation, *user, Role::Member, g.now)?;
            }
            load_group(c, id)?.ok_or(StoreError::NotFound)
        })
        .await
    }

    async fn group(&self, id: GroupId) -> StoreResult<Option<Group>> {
        self.read(move |c| load_group(c, id)).await
    }

    async fn groups_of(&self, user: UserId) -> StoreResult<Vec<Group>> {
        self.read(move |c| {
            let sql = format!(
                "SELECT {GROUP_COLUMNS} FROM chat_groups g JOIN group_members me ON me.group_id = g.id AND me.user_id = ?1
                 ORDER BY g.name COLLATE NOCASE, g.id"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([user], group_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn search_groups(&self, query: String, limit: u32) -> StoreResult<Vec<GroupSummary>> {
        self.read(move |c| {
            let id: i64 = query.trim().parse().unwrap_or(-1);
            let escaped = query.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            let sql = format!(
                "SELECT {GROUP_COLUMNS} FROM chat_groups g
                 WHERE g.dissolved = 0 AND (g.id = ?1 OR lower(g.name) LIKE '%' || ?2 || '%' ESCAPE '\\')
                 ORDER BY (g.id = ?1) DESC, length(g.name), g.id LIMIT ?3"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(params![id, escaped, limit], |r| {
                let g = group_from_row(r)?;
                Ok(GroupSummary {
                    id: g.id,
                    name: g.name,
                    avatar: g.avatar,
                    member_count: g.member_count,
                    join_policy: g.join_policy,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn role(&self, group: GroupId, user: UserId) -> StoreResult<Option<Role>> {
        self.read(move |c| {
            let role: Option<String> = c
                .query_row("SELECT role FROM group_members WHERE group_id = ?1 AND user_id = ?2", [group, user], |r| {
                    r.get(0)
                })
                .optional()?;
            Ok(role.as_deref().map(role_from))
        })
        .await
    }

    async fn members(&self, group: GroupId) -> StoreResult<Vec<GroupMember>> {
        self.read(move |c| {
            let sql = format!(
                "SELECT m.role, m.nickname, m.joined_at, {} FROM group_members m JOIN users u ON u.id = m.user_id
                 WHERE m.group_id = ?1
                 ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, m.joined_at, u.id",
                profile_columns("u")
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([group], |r| {
                let role: String = r.get(0)?;
                Ok(GroupMember {
                    role: role_from(&role),
                    nickname: r.get(1)?,
                    joined_at: r.get(2)?,
                    user: profile_from_row(r, 3)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn member_ids(&self, group: GroupId) -> StoreResult<Vec<UserId>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached("SELECT user_id FROM group_members WHERE group_id = ?1")?;
            let rows = stmt.query_map([group], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn add_members(&self, group: GroupId, users: Vec<UserId>, now: Millis) -> StoreResult<Vec<UserId>> {
        self.write(move |c| {
            let conversation = conversation_of(c, group)?;
            let mut added = Vec::new();
            for user in users {
                if insert_member(c, group, conversation, user, Role::Member, now)? {
                    added.push(user);
                }
            }
            Ok(added)
        })
        .await
    }

    async fn remove_member(&self, group: GroupId, user: UserId) -> StoreResult<bool> {
        self.write(move |c| {
            let conversation = conversation_of(c, group)?;
            let removed =
                c.execute("DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2", [group, user])? > 0;
            c.execute(
                "DELETE FROM conversation_members WHERE conversation_id = ?1 AND user_id = ?2",
                [conversation, user],
            )?;
            Ok(removed)
        })
        .await
    }

    async fn update_group(&self, group: GroupId, ch: GroupChange) -> StoreResult<Group> {
        self.write(move |c| {
            if let Some(name) = ch.name {
                c.execute("UPDATE chat_groups SET name = ?1 WHERE id = ?2", params![name, group])?;
            }
            if !ch.avatar.is_keep() {
                c.execute("UPDATE chat_groups SET avatar = ?1 WHERE id = ?2", params![ch.avatar.apply(None), group])?;
            }
            if let Some(a) = ch.announcement {
                c.execute("UPDATE chat_groups SET announcement = ?1 WHERE id = ?2", params![a, group])?;
            }
            if let Some(p) = ch.join_policy {
                c.execute("UPDATE chat_groups SET join_policy = ?1 WHERE id = ?2", params![p.as_str(), group])?;
            }
            load_group(c, group)?.ok_or(StoreError::NotFound)
        })
        .await
    }

    async fn set_role(&self, group: GroupId, user: UserId, role: Role) -> StoreResult<()> {
        self.write(move |c| {
            let n = c.execute(
                "UPDATE group_members SET role = ?1 WHERE group_id = ?2 AND user_id = ?3 AND role <> 'owner'",
                params![role.as_str(), group, user],
            )?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
        .await
    }

    async fn transfer_ownership(&self, group: GroupId, from: UserId, to: UserId) -> StoreResult<()> {
        self.write(move |c| {
            let to_is_member =
                c.execute("UPDATE group_members SET role = 'owner' WHERE group_id = ?1 AND user_id = ?2", [group, to])?;
            if to_is_member == 0 {
                return Err(StoreError::NotFound);
            }
            c.execute("UPDATE group_members SET role = 'admin' WHERE group_id = ?1 AND user_id = ?2", [group, from])?;
            c.execute("UPDATE chat_groups SET owner_id = ?1 WHERE id = ?2", [to, group])?;
            Ok(())
        })
        .await
    }

    async fn set_nickname(&self, group: GroupId, user: UserId, nickname: Option<String>) -> StoreResult<()> {
        self.write(move |c| {
            let n = c.execute(
                "UPDATE group_members SET nickname = ?1 WHERE group_id = ?2 AND user_id = ?3",
                params![nickname, group, user],
            )?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
        .await
    }

    async fn dissolve(&self, group: GroupId) -> StoreResult<()> {
        self.write(move |c| {
            c.execute("UPDATE chat_groups SET dissolved = 1 WHERE id = ?1", [group])?;
            c.execute("DELETE FROM group_join_requests WHERE group_id = ?1", [group])?;
            Ok(())
        })
        .await
    }

    async fn create_join_request(&self, group: GroupId, user: UserId, message: String, now: Millis) -> StoreResult<()> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO group_join_requests (group_id, user_id, message, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (group_id, user_id) DO UPDATE SET message = excluded.message, created_at = excluded.created_at",
                params![group, user, message, now],
            )?;
            Ok(())
        })
        .await
    }

    async fn join_requests(&self, group: GroupId) -> StoreResult<Vec<GroupJoinRequest>> {
        self.read(move |c| {
            let sql = format!(
                "SELECT j.id, j.group_id, j.message, j.created_at, {} FROM group_join_requests j JOIN users u ON u.id = j.user_id
                 WHERE j.group_id = ?1 ORDER BY j.created_at, j.id",
                profile_columns("u")
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([group], |r| {
                Ok(GroupJoinRequest {
                    id: r.get(0)?,
                    group_id: r.get(1)?,
                    message: r.get(2)?,
                    created_at: r.get(3)?,
                    user: profile_from_row(r, 4)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn take_join_request(&self, group: GroupId, id: i64) -> StoreResult<Option<UserId>> {
        self.write(move |c| {
            Ok(c.query_row(
                "DELETE FROM group_join_requests WHERE id = ?1 AND group_id = ?2 RETURNING user_id",
                [id, group],
                |r| r.get(0),
            )
            .optional()?)
        })
        .await
    }
}
