//! Contacts in the cache: profiles, friends, friend groups, pending friend
//! requests, the block list. Each list is replaced whole when refetched.

use ling_proto::UserId;
use ling_proto::contacts::{BlockedUser, Friend, FriendGroup, FriendRequest, FriendRequestList, FriendRequestStatus};
use ling_proto::users::UserProfile;
use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::Cache;
use crate::error::ClientResult;

const PROFILE: &str = "u.id, u.username, u.display_name, u.avatar, u.signature";

/// Reads the five profile columns starting at `at`.
pub(super) fn profile_at(r: &Row<'_>, at: usize) -> rusqlite::Result<UserProfile> {
    Ok(UserProfile {
        id: r.get(at)?,
        username: r.get(at + 1)?,
        display_name: r.get(at + 2)?,
        avatar: r.get(at + 3)?,
        signature: r.get(at + 4)?,
    })
}

/// Stores (or refreshes) profiles inside a transaction.
pub(super) fn put_users<'a>(
    tx: &Transaction<'_>,
    users: impl IntoIterator<Item = &'a UserProfile>,
) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO users (id, username, display_name, avatar, signature) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET username = excluded.username, display_name = excluded.display_name,
           avatar = excluded.avatar, signature = excluded.signature",
    )?;
    for u in users {
        stmt.execute(params![u.id, u.username, u.display_name, u.avatar, u.signature])?;
    }
    Ok(())
}

impl Cache {
    /// Stores profiles as last seen (a `profile_changed` push, a search).
    pub fn upsert_users(&mut self, users: &[UserProfile]) -> ClientResult<()> {
        let tx = self.conn.transaction()?;
        put_users(&tx, users)?;
        tx.commit()?;
        Ok(())
    }

    /// A cached profile.
    pub fn user(&self, id: UserId) -> ClientResult<Option<UserProfile>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {PROFILE} FROM users u WHERE u.id = ?1"))?
            .query_row([id], |r| profile_at(r, 0))
            .optional()?)
    }

    /// Replaces the friend list.
    pub fn replace_friends(&mut self, friends: &[Friend]) -> ClientResult<()> {
        let tx = self.conn.transaction()?;
        put_users(&tx, friends.iter().map(|f| &f.user))?;
        tx.execute("DELETE FROM friends", [])?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO friends (user_id, remark, group_id, conversation_id, online, since) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for f in friends {
                stmt.execute(params![f.user.id, f.remark, f.group_id, f.conversation_id, f.online, f.since])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Friends by remark or name, as the contact list shows them.
    pub fn friends(&self) -> ClientResult<Vec<Friend>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {PROFILE}, f.remark, f.group_id, f.conversation_id, f.online, f.since
             FROM friends f JOIN users u ON u.id = f.user_id
             ORDER BY coalesce(f.remark, u.display_name) COLLATE NOCASE, u.id"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok(Friend {
                user: profile_at(r, 0)?,
                remark: r.get(5)?,
                group_id: r.get(6)?,
                conversation_id: r.get(7)?,
                online: r.get(8)?,
                since: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A friend's presence changed; returns whether they are a cached friend.
    pub fn set_online(&self, user_id: UserId, online: bool) -> ClientResult<bool> {
        let n = self
            .conn
            .prepare_cached("UPDATE friends SET online = ?2 WHERE user_id = ?1")?
            .execute(params![user_id, online])?;
        Ok(n > 0)
    }

    /// Replaces the friend groups.
    pub fn replace_friend_groups(&mut self, groups: &[FriendGroup]) -> ClientResult<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM friend_groups", [])?;
        {
            let mut stmt = tx.prepare_cached("INSERT INTO friend_groups (id, name, position) VALUES (?1, ?2, ?3)")?;
            for g in groups {
                stmt.execute(params![g.id, g.name, g.position])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Friend groups by position.
    pub fn friend_groups(&self) -> ClientResult<Vec<FriendGroup>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT id, name, position FROM friend_groups ORDER BY position, id")?;
        let rows = stmt.query_map([], |r| Ok(FriendGroup { id: r.get(0)?, name: r.get(1)?, position: r.get(2)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Replaces the block list.
    pub fn replace_blocks(&mut self, blocks: &[BlockedUser]) -> ClientResult<()> {
        let tx = self.conn.transaction()?;
        put_users(&tx, blocks.iter().map(|b| &b.user))?;
        tx.execute("DELETE FROM blocks", [])?;
        {
            let mut stmt = tx.prepare_cached("INSERT INTO blocks (user_id, since) VALUES (?1, ?2)")?;
            for b in blocks {
                stmt.execute(params![b.user.id, b.since])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The block list, most recent first.
    pub fn blocks(&self) -> ClientResult<Vec<BlockedUser>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {PROFILE}, b.since FROM blocks b JOIN users u ON u.id = b.user_id ORDER BY b.since DESC, u.id"
        ))?;
        let rows = stmt.query_map([], |r| Ok(BlockedUser { user: profile_at(r, 0)?, since: r.get(5)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Replaces the pending friend requests.
    pub fn replace_friend_requests(&mut self, list: &FriendRequestList) -> ClientResult<()> {
        let tx = self.conn.transaction()?;
        let all = list.incoming.iter().chain(&list.outgoing);
        put_users(&tx, all.clone().flat_map(|r| [&r.from, &r.to]))?;
        tx.execute("DELETE FROM friend_requests", [])?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO friend_requests (id, from_id, to_id, message, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for r in all.filter(|r| r.status == FriendRequestStatus::Pending) {
                stmt.execute(params![r.id, r.from.id, r.to.id, r.message, r.created_at])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Pending friend requests: to this account (incoming) and from it.
    pub fn friend_requests(&self) -> ClientResult<FriendRequestList> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id, r.message, r.created_at,
                    f.id, f.username, f.display_name, f.avatar, f.signature,
                    t.id, t.username, t.display_name, t.avatar, t.signature
             FROM friend_requests r JOIN users f ON f.id = r.from_id JOIN users t ON t.id = r.to_id
             ORDER BY r.created_at DESC, r.id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(FriendRequest {
                id: r.get(0)?,
                message: r.get(1)?,
                created_at: r.get(2)?,
                from: profile_at(r, 3)?,
                to: profile_at(r, 8)?,
                status: FriendRequestStatus::Pending,
            })
        })?;
        let all: Vec<FriendRequest> = rows.collect::<Result<_, _>>()?;
        let (outgoing, incoming) = all.into_iter().partition(|r| Some(r.from.id) == self.own_id);
        Ok(FriendRequestList { incoming, outgoing })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::testing::*;

    fn profile(id: i64, name: &str) -> UserProfile {
        UserProfile { id, username: name.into(), display_name: name.into(), avatar: None, signature: String::new() }
    }

    fn friend(id: i64, name: &str, remark: Option<&str>) -> Friend {
        Friend {
            user: profile(id, name),
            remark: remark.map(Into::into),
            group_id: None,
            conversation_id: id * 10,
            online: false,
            since: 1,
        }
    }

    #[test]
    fn test_friends_are_replaced_whole_and_listed_by_remark_or_name() {
        let (_d, mut cache) = open();
        cache
            .replace_friends(&[friend(2, "zoe", None), friend(3, "bob", Some("Aunt B")), friend(4, "carl", None)])
            .unwrap();
        let names: Vec<_> = cache.friends().unwrap().into_iter().map(|f| f.user.username).collect();
        assert_eq!(names, ["bob", "carl", "zoe"]);
        cache.replace_friends(&[friend(4, "carl", None)]).unwrap();
        assert_eq!(cache.friends().unwrap().len(), 1, "an unfriended person leaves the list");
        assert_eq!(cache.user(2).unwrap().unwrap().username, "zoe", "their profile stays for old messages");
        assert!(cache.set_online(4, true).unwrap());
        assert!(cache.friends().unwrap()[0].online);
        assert!(!cache.set_online(2, true).unwrap(), "not a friend");
    }

    #[test]
    fn test_friend_groups_blocks_and_requests_round_trip() {
        let (_d, mut cache) = open();
        cache.set_own_id(1).unwrap();
        let groups = [
            FriendGroup { id: 2, name: "Work".into(), position: 1 },
            FriendGroup { id: 1, name: "家人".into(), position: 0 },
        ];
        cache.replace_friend_groups(&groups).unwrap();
        assert_eq!(cache.friend_groups().unwrap().iter().map(|g| g.id).collect::<Vec<_>>(), [1, 2]);
        cache.replace_blocks(&[BlockedUser { user: profile(9, "spam"), since: 5 }]).unwrap();
        assert_eq!(cache.blocks().unwrap()[0].user.username, "spam");
        let request = |id, from: i64, to: i64| FriendRequest {
            id,
            from: profile(from, &format!("u{from}")),
            to: profile(to, &format!("u{to}")),
            message: "hi".into(),
            status: FriendRequestStatus::Pending,
            created_at: id,
        };
        let list = FriendRequestList { incoming: vec![request(1, 5, 1)], outgoing: vec![request(2, 1, 6)] };
        cache.replace_friend_requests(&list).unwrap();
        assert_eq!(cache.friend_requests().unwrap(), list);
        cache.replace_friend_requests(&FriendRequestList { incoming: vec![], outgoing: vec![] }).unwrap();
        assert!(cache.friend_requests().unwrap().incoming.is_empty());
    }
}
