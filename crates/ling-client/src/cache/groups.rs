//! Groups and their members in the cache. A group the account left or was
//! removed from is dropped; its conversation's history stays.

use ling_proto::GroupId;
use ling_proto::groups::{Group, GroupMember, JoinPolicy, Role};
use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::contacts::{profile_at, put_users};
use super::{Cache, to_json};
use crate::error::ClientResult;

const GROUP: &str =
    "id, name, avatar, announcement, owner_id, join_policy, member_count, conversation_id, dissolved, created_at";

fn group_from_row(r: &Row<'_>) -> rusqlite::Result<Group> {
    let policy: String = r.get(5)?;
    Ok(Group {
        id: r.get(0)?,
        name: r.get(1)?,
        avatar: r.get(2)?,
        announcement: r.get(3)?,
        owner_id: r.get(4)?,
        join_policy: JoinPolicy::parse(&policy).unwrap_or_default(),
        member_count: r.get(6)?,
        conversation_id: r.get(7)?,
        dissolved: r.get(8)?,
        created_at: r.get(9)?,
    })
}

fn put_group(tx: &Transaction<'_>, g: &Group) -> rusqlite::Result<()> {
    tx.prepare_cached(&format!(
        "INSERT INTO groups ({GROUP}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, avatar = excluded.avatar,
           announcement = excluded.announcement, owner_id = excluded.owner_id, join_policy = excluded.join_policy,
           member_count = excluded.member_count, conversation_id = excluded.conversation_id,
           dissolved = excluded.dissolved, created_at = excluded.created_at"
    ))?
    .execute(params![
        g.id,
        g.name,
        g.avatar,
        g.announcement,
        g.owner_id,
        g.join_policy.as_str(),
        g.member_count,
        g.conversation_id,
        g.dissolved,
        g.created_at
    ])?;
    Ok(())
}

impl Cache {
    /// Replaces the account's groups (members of groups no longer listed go too).
    pub fn replace_groups(&mut self, groups: &[Group]) -> ClientResult<()> {
        let tx = self.conn.transaction()?;
        let ids: Vec<GroupId> = groups.iter().map(|g| g.id).collect();
        tx.execute("DELETE FROM groups WHERE id NOT IN (SELECT value FROM json_each(?1))", [to_json(&ids)?])?;
        for g in groups {
            put_group(&tx, g)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Stores one group as refetched after `group_changed`.
    pub fn upsert_group(&mut self, group: &Group) -> ClientResult<()> {
        let tx = self.conn.transaction()?;
        put_group(&tx, group)?;
        tx.commit()?;
        Ok(())
    }

    /// Drops a group the account left or was removed from (its history stays).
    pub fn remove_group(&self, id: GroupId) -> ClientResult<()> {
        self.conn.execute("DELETE FROM groups WHERE id = ?1", [id])?;
        Ok(())
    }

    /// The account's groups by name.
    pub fn groups(&self) -> ClientResult<Vec<Group>> {
        let mut stmt =
            self.conn.prepare_cached(&format!("SELECT {GROUP} FROM groups ORDER BY name COLLATE NOCASE, id"))?;
        Ok(stmt.query_map([], group_from_row)?.collect::<Result<_, _>>()?)
    }

    /// One cached group.
    pub fn group(&self, id: GroupId) -> ClientResult<Option<Group>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {GROUP} FROM groups WHERE id = ?1"))?
            .query_row([id], group_from_row)
            .optional()?)
    }

    /// Replaces a group's member list (the group must be cached).
    pub fn replace_group_members(&mut self, group_id: GroupId, members: &[GroupMember]) -> ClientResult<()> {
        let tx = self.conn.transaction()?;
        put_users(&tx, members.iter().map(|m| &m.user))?;
        tx.execute("DELETE FROM group_members WHERE group_id = ?1", [group_id])?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO group_members (group_id, user_id, role, nickname, joined_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for m in members {
                stmt.execute(params![group_id, m.user.id, m.role.as_str(), m.nickname, m.joined_at])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// A group's members: owner, admins, then members, each by join time.
    pub fn group_members(&self, group_id: GroupId) -> ClientResult<Vec<GroupMember>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT u.id, u.username, u.display_name, u.avatar, u.signature, m.role, m.nickname, m.joined_at
             FROM group_members m JOIN users u ON u.id = m.user_id WHERE m.group_id = ?1
             ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, m.joined_at, u.id",
        )?;
        let rows = stmt.query_map([group_id], |r| {
            let role: String = r.get(5)?;
            Ok(GroupMember {
                user: profile_at(r, 0)?,
                role: Role::parse(&role).unwrap_or(Role::Member),
                nickname: r.get(6)?,
                joined_at: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::testing::*;
    use ling_proto::users::UserProfile;

    fn group(id: i64, name: &str) -> Group {
        Group {
            id,
            name: name.into(),
            avatar: None,
            announcement: String::new(),
            owner_id: 1,
            join_policy: JoinPolicy::Open,
            member_count: 2,
            conversation_id: id * 100,
            dissolved: false,
            created_at: 1,
        }
    }

    fn member(id: i64, role: Role, joined_at: i64) -> GroupMember {
        let user = UserProfile {
            id,
            username: format!("u{id}"),
            display_name: format!("U{id}"),
            avatar: None,
            signature: String::new(),
        };
        GroupMember { user, role, nickname: None, joined_at }
    }

    #[test]
    fn test_groups_and_members_round_trip_and_a_removed_group_takes_its_members() {
        let (_d, mut cache) = open();
        cache.replace_groups(&[group(1, "Team"), group(2, "Alpha")]).unwrap();
        assert_eq!(cache.groups().unwrap(), vec![group(2, "Alpha"), group(1, "Team")]);
        let members = vec![member(1, Role::Owner, 5), member(3, Role::Admin, 7), member(2, Role::Member, 6)];
        cache.replace_group_members(1, &[members[2].clone(), members[0].clone(), members[1].clone()]).unwrap();
        assert_eq!(cache.group_members(1).unwrap(), members, "owner, admins, then members");
        cache.upsert_group(&Group { name: "Team 2".into(), ..group(1, "") }).unwrap();
        assert_eq!(cache.group(1).unwrap().unwrap().name, "Team 2");
        cache.replace_groups(&[group(2, "Alpha")]).unwrap();
        assert_eq!(cache.group(1).unwrap(), None);
        assert!(cache.group_members(1).unwrap().is_empty(), "members go with their group");
        cache.remove_group(2).unwrap();
        assert!(cache.groups().unwrap().is_empty());
    }
}
