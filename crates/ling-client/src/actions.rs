//! What the account changes on the server: its contacts, its groups, its own
//! profile and its sessions. Each call asks the server first (which checks
//! that the caller may), then brings the cache up to date and reports the
//! change as an [`Event`], so every view refreshes the same way whether the
//! change was made here, on another device, or by someone else.

use ling_proto::auth::{ChangePasswordRequest, SessionInfo};
use ling_proto::contacts::{FriendGroup, UpdateFriendRequest};
use ling_proto::groups::{CreateGroupRequest, Group, JoinPolicy, Role, UpdateGroupRequest};
use ling_proto::users::{Me, UpdateProfileRequest, UserProfile};
use ling_proto::{FriendGroupId, GroupId, Patch, SessionId, UserId};

use crate::client::Client;
use crate::error::ClientResult;
use crate::events::Event;
use crate::prefs::Prefs;

/// `Some("")` and `None` both clear an optional text.
fn text_patch(value: Option<String>) -> Patch<String> {
    match value.map(|v| v.trim().to_owned()) {
        Some(v) if !v.is_empty() => Patch::Set(v),
        _ => Patch::Clear,
    }
}

impl Client {
    // --- contacts ---------------------------------------------------------------

    /// Sets (or with `None` / blank, clears) the private name shown for a friend.
    pub async fn set_remark(&self, user_id: UserId, remark: Option<String>) -> ClientResult<()> {
        let req = UpdateFriendRequest { remark: text_patch(remark), ..Default::default() };
        self.inner.api.update_friend(user_id, &req).await?;
        self.inner.refresh_contacts().await?;
        // The one-to-one conversation is titled by the remark.
        self.inner.refresh_conversations().await
    }

    /// Files a friend under one of the account's friend groups (`None`: none).
    pub async fn set_friend_group(&self, user_id: UserId, group: Option<FriendGroupId>) -> ClientResult<()> {
        let group_id = group.map_or(Patch::Clear, Patch::Set);
        let req = UpdateFriendRequest { group_id, ..Default::default() };
        self.inner.api.update_friend(user_id, &req).await?;
        self.inner.refresh_contacts().await
    }

    /// Ends a friendship; the conversation's history stays readable.
    pub async fn remove_friend(&self, user_id: UserId) -> ClientResult<()> {
        self.inner.api.remove_friend(user_id).await?;
        self.inner.refresh_contacts().await?;
        self.inner.refresh_conversations().await
    }

    /// Makes a friend group.
    pub async fn create_friend_group(&self, name: &str) -> ClientResult<FriendGroup> {
        let group = self.inner.api.create_friend_group(name.trim()).await?;
        self.inner.refresh_contacts().await?;
        Ok(group)
    }

    /// Renames a friend group.
    pub async fn rename_friend_group(&self, id: FriendGroupId, name: &str) -> ClientResult<FriendGroup> {
        let group = self.inner.api.rename_friend_group(id, name.trim()).await?;
        self.inner.refresh_contacts().await?;
        Ok(group)
    }

    /// Deletes a friend group; its friends stay friends, ungrouped.
    pub async fn delete_friend_group(&self, id: FriendGroupId) -> ClientResult<()> {
        self.inner.api.delete_friend_group(id).await?;
        self.inner.refresh_contacts().await
    }

    /// Blocks or unblocks someone.
    pub async fn set_blocked(&self, user_id: UserId, blocked: bool) -> ClientResult<()> {
        self.inner.api.set_blocked(user_id, blocked).await?;
        self.inner.refresh_contacts().await
    }

    // --- groups -----------------------------------------------------------------

    /// Makes a group with friends in it; its conversation is listed.
    pub async fn create_group(&self, name: &str, member_ids: Vec<UserId>) -> ClientResult<Group> {
        let req = CreateGroupRequest {
            name: name.trim().to_owned(),
            member_ids,
            avatar: None,
            announcement: String::new(),
            join_policy: JoinPolicy::default(),
        };
        let group = self.inner.api.create_group(&req).await?;
        self.inner.refresh_group(group.id).await?;
        self.inner.refresh_conversations().await?;
        Ok(group)
    }

    /// Renames a group, changes its announcement or avatar (admins and the owner).
    pub async fn update_group(&self, id: GroupId, req: &UpdateGroupRequest) -> ClientResult<Group> {
        let group = self.inner.api.update_group(id, req).await?;
        self.inner.refresh_group(id).await?;
        // The conversation shows the group's name and avatar.
        self.inner.refresh_conversations().await?;
        Ok(group)
    }

    /// Adds friends to a group; returns who was added.
    pub async fn invite(&self, id: GroupId, user_ids: &[UserId]) -> ClientResult<Vec<UserId>> {
        let added = self.inner.api.invite(id, user_ids).await?;
        self.inner.refresh_group(id).await?;
        Ok(added)
    }

    /// Removes a member (admins remove members; the owner removes anyone).
    pub async fn kick(&self, id: GroupId, user_id: UserId) -> ClientResult<()> {
        self.inner.api.kick(id, user_id).await?;
        self.inner.refresh_group(id).await
    }

    /// Makes a member an admin or an admin a member (the owner only).
    pub async fn set_member_role(&self, id: GroupId, user_id: UserId, role: Role) -> ClientResult<()> {
        self.inner.api.set_role(id, user_id, role).await?;
        self.inner.refresh_group(id).await
    }

    /// Hands the group to another member; the caller becomes an admin.
    pub async fn transfer_group(&self, id: GroupId, user_id: UserId) -> ClientResult<()> {
        self.inner.api.transfer_group(id, user_id).await?;
        self.inner.refresh_group(id).await
    }

    /// Leaves a group (its owner must hand it over or dissolve it instead).
    /// Its history stays in the cache, readable.
    pub async fn leave_group(&self, id: GroupId) -> ClientResult<()> {
        self.inner.api.leave_group(id).await?;
        self.inner.db(move |c| c.remove_group(id)).await?;
        self.inner.emit(Event::GroupRemoved { group_id: id });
        self.inner.refresh_conversations().await
    }

    /// Ends a group for everyone (the owner only). It stays listed, marked
    /// `dissolved`: readable, taking no more messages or changes.
    pub async fn dissolve_group(&self, id: GroupId) -> ClientResult<()> {
        self.inner.api.dissolve_group(id).await?;
        self.inner.refresh_group(id).await
    }

    // --- the account ------------------------------------------------------------

    /// Changes the account's name, signature, phone or avatar.
    pub async fn update_profile(&self, req: &UpdateProfileRequest) -> ClientResult<Me> {
        let me = self.inner.api.update_me(req).await?;
        self.inner.set_me(me.clone()).await?;
        let user = UserProfile {
            id: me.id,
            username: me.username.clone(),
            display_name: me.display_name.clone(),
            avatar: me.avatar.clone(),
            signature: me.signature.clone(),
        };
        let cached = user.clone();
        self.inner.db(move |c| c.upsert_users(std::slice::from_ref(&cached))).await?;
        self.inner.emit(Event::ProfileChanged { user });
        Ok(me)
    }

    /// Changes the password; the server signs out every other device.
    pub async fn change_password(&self, old_password: &str, new_password: &str) -> ClientResult<()> {
        let req =
            ChangePasswordRequest { old_password: old_password.to_owned(), new_password: new_password.to_owned() };
        self.inner.api.change_password(&req).await
    }

    /// The devices signed in to the account (this one marked `current`).
    pub async fn sessions(&self) -> ClientResult<Vec<SessionInfo>> {
        self.inner.api.sessions().await
    }

    /// Signs a device out.
    pub async fn revoke_session(&self, id: SessionId) -> ClientResult<()> {
        self.inner.api.revoke_session(id).await
    }

    // --- this device's preferences for the account ------------------------------

    /// This device's preferences for the account (`prefs`).
    pub async fn prefs(&self) -> ClientResult<Prefs> {
        let dir = self.inner.account_dir.clone();
        self.inner.db(move |c| crate::prefs::load(c, &dir)).await
    }

    /// Keeps `prefs` as this device's preferences for the account.
    pub async fn set_prefs(&self, prefs: Prefs) -> ClientResult<()> {
        self.inner.db(move |c| crate::prefs::store(c, &prefs)).await
    }
}
