//! [`Contacts`]: the account's people — friends, friend groups, the block
//! list, friend requests, finding someone. Reads answer from the cache; each
//! change asks the server first (which checks that the caller may), then
//! brings the cache up to date and reports it as an `Event`, so every view
//! refreshes the same way whether the change was made here, on another
//! device, or by someone else.

use std::sync::Arc;

use ling_proto::contacts::{BlockedUser, Friend, FriendGroup, FriendRequest, FriendRequestList, UpdateFriendRequest};
use ling_proto::users::UserProfile;
use ling_proto::{FriendGroupId, Patch, UserId};

use crate::error::ClientResult;
use crate::inner::Inner;

/// The account's people ([`crate::Client::contacts`]).
#[derive(Clone)]
pub struct Contacts {
    inner: Arc<Inner>,
}

/// `Some("")` and `None` both clear an optional text.
fn text_patch(value: Option<String>) -> Patch<String> {
    match value.map(|v| v.trim().to_owned()) {
        Some(v) if !v.is_empty() => Patch::Set(v),
        _ => Patch::Clear,
    }
}

impl Contacts {
    pub(crate) fn new(inner: Arc<Inner>) -> Contacts {
        Contacts { inner }
    }

    /// Friends from the cache.
    pub async fn friends(&self) -> ClientResult<Vec<Friend>> {
        self.inner.db(|c| c.friends()).await
    }

    /// Friend groups from the cache.
    pub async fn friend_groups(&self) -> ClientResult<Vec<FriendGroup>> {
        self.inner.db(|c| c.friend_groups()).await
    }

    /// The block list from the cache.
    pub async fn blocks(&self) -> ClientResult<Vec<BlockedUser>> {
        self.inner.db(|c| c.blocks()).await
    }

    /// Pending friend requests from the cache.
    pub async fn friend_requests(&self) -> ClientResult<FriendRequestList> {
        self.inner.db(|c| c.friend_requests()).await
    }

    /// A profile from the cache.
    pub async fn user(&self, id: UserId) -> ClientResult<Option<UserProfile>> {
        self.inner.db(move |c| c.user(id)).await
    }

    /// Finds people on the server (by username prefix or name).
    pub async fn search_users(&self, q: &str) -> ClientResult<Vec<UserProfile>> {
        let users = self.inner.api().search_users(q).await?;
        let cached = users.clone();
        self.inner.db(move |c| c.upsert_users(&cached)).await?;
        Ok(users)
    }

    /// Asks someone to be friends.
    pub async fn send_friend_request(&self, user_id: UserId, message: &str) -> ClientResult<FriendRequest> {
        let request = self.inner.api().send_friend_request(user_id, message).await?;
        self.inner.refresh_contacts().await?;
        Ok(request)
    }

    /// Accepts a friend request; the new conversation is listed.
    pub async fn accept_friend_request(&self, id: i64) -> ClientResult<FriendRequest> {
        let request = self.inner.api().accept_friend_request(id).await?;
        self.inner.refresh_contacts().await?;
        self.inner.refresh_conversations().await?;
        Ok(request)
    }

    /// Declines a friend request.
    pub async fn decline_friend_request(&self, id: i64) -> ClientResult<FriendRequest> {
        let request = self.inner.api().decline_friend_request(id).await?;
        self.inner.refresh_contacts().await?;
        Ok(request)
    }

    /// Sets (or with `None` / blank, clears) the private name shown for a friend.
    pub async fn set_remark(&self, user_id: UserId, remark: Option<String>) -> ClientResult<()> {
        let req = UpdateFriendRequest { remark: text_patch(remark), ..Default::default() };
        self.inner.api().update_friend(user_id, &req).await?;
        self.inner.refresh_contacts().await?;
        // The one-to-one conversation is titled by the remark.
        self.inner.refresh_conversations().await
    }

    /// Files a friend under one of the account's friend groups (`None`: none).
    pub async fn set_friend_group(&self, user_id: UserId, group: Option<FriendGroupId>) -> ClientResult<()> {
        let group_id = group.map_or(Patch::Clear, Patch::Set);
        let req = UpdateFriendRequest { group_id, ..Default::default() };
        self.inner.api().update_friend(user_id, &req).await?;
        self.inner.refresh_contacts().await
    }

    /// Ends a friendship; the conversation's history stays readable.
    pub async fn remove_friend(&self, user_id: UserId) -> ClientResult<()> {
        self.inner.api().remove_friend(user_id).await?;
        self.inner.refresh_contacts().await?;
        self.inner.refresh_conversations().await
    }

    /// Makes a friend group.
    pub async fn create_friend_group(&self, name: &str) -> ClientResult<FriendGroup> {
        let group = self.inner.api().create_friend_group(name.trim()).await?;
        self.inner.refresh_contacts().await?;
        Ok(group)
    }

    /// Renames a friend group.
    pub async fn rename_friend_group(&self, id: FriendGroupId, name: &str) -> ClientResult<FriendGroup> {
        let group = self.inner.api().rename_friend_group(id, name.trim()).await?;
        self.inner.refresh_contacts().await?;
        Ok(group)
    }

    /// Deletes a friend group; its friends stay friends, ungrouped.
    pub async fn delete_friend_group(&self, id: FriendGroupId) -> ClientResult<()> {
        self.inner.api().delete_friend_group(id).await?;
        self.inner.refresh_contacts().await
    }

    /// Blocks or unblocks someone.
    pub async fn set_blocked(&self, user_id: UserId, blocked: bool) -> ClientResult<()> {
        self.inner.api().set_blocked(user_id, blocked).await?;
        self.inner.refresh_contacts().await
    }
}
