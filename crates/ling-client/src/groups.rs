//! [`Groups`]: the account's groups and what their members do to them.
//! Reads answer from the cache; each change asks the server first (which
//! checks that the caller may: admins, the owner), then brings the cache up
//! to date and reports it as an `Event`.

use std::sync::Arc;

use ling_proto::groups::{CreateGroupRequest, Group, GroupMember, JoinPolicy, Role, UpdateGroupRequest};
use ling_proto::{GroupId, UserId};
use tracing::warn;

use crate::error::ClientResult;
use crate::events::Event;
use crate::inner::Inner;

/// The account's groups ([`crate::Client::groups`]).
#[derive(Clone)]
pub struct Groups {
    inner: Arc<Inner>,
}

impl Groups {
    pub(crate) fn new(inner: Arc<Inner>) -> Groups {
        Groups { inner }
    }

    /// The account's groups from the cache.
    pub async fn list(&self) -> ClientResult<Vec<Group>> {
        self.inner.db(|c| c.groups()).await
    }

    /// A group's members from the cache; a refetch runs behind and reports
    /// `GroupChanged` when the cache has the server's list.
    pub async fn group_members(&self, group_id: GroupId) -> ClientResult<Vec<GroupMember>> {
        let inner = self.inner.clone();
        tokio::spawn(async move {
            if let Err(e) = inner.refresh_group(group_id).await {
                warn!(error = %e, group_id, "could not refresh a group's members");
            }
        });
        self.inner.db(move |c| c.group_members(group_id)).await
    }

    /// Makes a group with friends in it; its conversation is listed.
    pub async fn create_group(&self, name: &str, member_ids: Vec<UserId>) -> ClientResult<Group> {
        let req = CreateGroupRequest {
            name: name.trim().to_owned(),
            member_ids,
            avatar: None,
            announcement: String::new(),
            join_policy: JoinPolicy::default(),
        };
        let group = self.inner.api().create_group(&req).await?;
        self.inner.refresh_group(group.id).await?;
        self.inner.refresh_conversations().await?;
        Ok(group)
    }

    /// Renames a group, changes its announcement or avatar (admins and the owner).
    pub async fn update_group(&self, id: GroupId, req: &UpdateGroupRequest) -> ClientResult<Group> {
        let group = self.inner.api().update_group(id, req).await?;
        self.inner.refresh_group(id).await?;
        // The conversation shows the group's name and avatar.
        self.inner.refresh_conversations().await?;
        Ok(group)
    }

    /// Adds friends to a group; returns who was added.
    pub async fn invite(&self, id: GroupId, user_ids: &[UserId]) -> ClientResult<Vec<UserId>> {
        let added = self.inner.api().invite(id, user_ids).await?;
        self.inner.refresh_group(id).await?;
        Ok(added)
    }

    /// Removes a member (admins remove members; the owner removes anyone).
    pub async fn kick(&self, id: GroupId, user_id: UserId) -> ClientResult<()> {
        self.inner.api().kick(id, user_id).await?;
        self.inner.refresh_group(id).await
    }

    /// Makes a member an admin or an admin a member (the owner only).
    pub async fn set_member_role(&self, id: GroupId, user_id: UserId, role: Role) -> ClientResult<()> {
        self.inner.api().set_role(id, user_id, role).await?;
        self.inner.refresh_group(id).await
    }

    /// Hands the group to another member; the caller becomes an admin.
    pub async fn transfer_group(&self, id: GroupId, user_id: UserId) -> ClientResult<()> {
        self.inner.api().transfer_group(id, user_id).await?;
        self.inner.refresh_group(id).await
    }

    /// Leaves a group (its owner must hand it over or dissolve it instead).
    /// Its history stays in the cache, readable.
    pub async fn leave_group(&self, id: GroupId) -> ClientResult<()> {
        self.inner.api().leave_group(id).await?;
        self.inner.db(move |c| c.remove_group(id)).await?;
        self.inner.emit(Event::GroupRemoved { group_id: id });
        self.inner.refresh_conversations().await
    }

    /// Ends a group for everyone (the owner only). It stays listed, marked
    /// `dissolved`: readable, taking no more messages or changes.
    pub async fn dissolve_group(&self, id: GroupId) -> ClientResult<()> {
        self.inner.api().dissolve_group(id).await?;
        self.inner.refresh_group(id).await
    }
}
