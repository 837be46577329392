//! Groups: `/v1/groups`.

use serde::{Deserialize, Serialize};

use crate::users::UserProfile;
use crate::{ConversationId, FileId, GroupId, Millis, Patch, UserId};

/// Who may join a group without an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum JoinPolicy {
    /// Anyone who finds it joins at once.
    Open,
    /// A join request waits for the owner or an admin.
    #[default]
    Approval,
}

/// A member's role; each can do what the ones below it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads, writes, invites friends (open groups).
    Member,
    /// Also invites into approval groups, approves join requests, kicks members,
    /// edits name, avatar and announcement.
    Admin,
    /// Also appoints admins, kicks admins, transfers ownership, dissolves. Exactly one per group.
    Owner,
}

wire_names!(JoinPolicy { Open = "open", Approval = "approval" });
wire_names!(Role { Member = "member", Admin = "admin", Owner = "owner" });

/// A group, as a member sees it.

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Group {
    /// The group's id (what "search by id" matches).
    pub id: GroupId,
    /// 1–64 characters.
    pub name: String,
    /// An uploaded image.
    pub avatar: Option<FileId>,
    /// Up to 2000 characters.
    pub announcement: String,
    /// The one owner.
    pub owner_id: UserId,
    /// Who may join.
    pub join_policy: JoinPolicy,
    /// Members now.
    pub member_count: u32,
    /// The group's conversation.
    pub conversation_id: ConversationId,
    /// Dissolved groups stay readable but cannot change or take messages.
    pub dissolved: bool,
    /// When it was made.
    pub created_at: Millis,
}

/// A group as anyone may see it in search results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GroupSummary {
    /// The group's id.
    pub id: GroupId,
    /// Its name.
    pub name: String,
    /// Its image.
    pub avatar: Option<FileId>,
    /// Members now.
    pub member_count: u32,
    /// Who may join.
    pub join_policy: JoinPolicy,
}

/// One member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GroupMember {
    /// Their profile.
    pub user: UserProfile,
    /// Their role.
    pub role: Role,
    /// Their name in this group, if they set one.
    pub nickname: Option<String>,
    /// When they joined.
    pub joined_at: Millis,
}

/// `POST /v1/groups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CreateGroupRequest {
    /// 1–64 characters.
    pub name: String,
    /// Friends to add at once (the creator is added as owner).
    #[serde(default)]
    pub member_ids: Vec<UserId>,
    /// An image the creator uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<FileId>,
    /// Up to 2000 characters.
    #[serde(default)]
    pub announcement: String,
    /// Defaults to `approval`.
    #[serde(default)]
    pub join_policy: JoinPolicy,
}

/// `PATCH /v1/groups/{id}` (owner or admin; `join_policy` owner only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateGroupRequest {
    /// 1–64 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `null` clears.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub avatar: Patch<FileId>,
    /// Up to 2000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announcement: Option<String>,
    /// Owner only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_policy: Option<JoinPolicy>,
}

/// `POST /v1/groups/{id}/join`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JoinGroupRequest {
    /// For the approvers; up to 200 characters.
    #[serde(default)]
    pub message: String,
}

/// What a join or an invitation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum JoinOutcome {
    /// The user is a member now.
    Joined,
    /// A request waits for the owner or an admin.
    Pending,
}

/// Answer to a join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JoinGroupResponse {
    /// Joined or pending.
    pub outcome: JoinOutcome,
}

/// A request to join, as the owner and admins see it in `GET /v1/groups/{id}/join-requests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GroupJoinRequest {
    /// Pass to `/v1/groups/{gid}/join-requests/{id}/approve` or `/reject`.
    pub id: i64,
    /// The group.
    pub group_id: GroupId,
    /// Who wants in.
    pub user: UserProfile,
    /// What they wrote.
    pub message: String,
    /// When they asked.
    pub created_at: Millis,
}

/// `POST /v1/groups/{id}/members`: invite friends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InviteRequest {
    /// Friends of the caller.
    pub user_ids: Vec<UserId>,
}

/// `PUT /v1/groups/{id}/members/{user_id}/role` (owner only; `admin` or `member`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SetRoleRequest {
    /// The new role.
    pub role: Role,
}

/// `POST /v1/groups/{id}/transfer` (owner only); the old owner becomes an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TransferOwnershipRequest {
    /// A member.
    pub user_id: UserId,
}

/// `PUT /v1/groups/{id}/nickname`: the caller's own name in the group; `null` clears.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SetNicknameRequest {
    /// Up to 64 characters.
    pub nickname: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::pin;
    use serde_json::json;

    #[test]
    fn test_stored_names_are_the_wire_names() {
        for p in [JoinPolicy::Open, JoinPolicy::Approval] {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
            assert_eq!(JoinPolicy::parse(p.as_str()), Some(p));
        }
        for r in [Role::Member, Role::Admin, Role::Owner] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        for k in [crate::messages::ConversationKind::Direct, crate::messages::ConversationKind::Group] {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
            assert_eq!(crate::messages::ConversationKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Role::parse("king"), None);
    }

    #[test]
    fn test_group_shape() {
        pin(
            &Group {
                id: 4,
                name: "Team 翎".into(),
                avatar: None,
                announcement: "".into(),
                owner_id: 1,
                join_policy: JoinPolicy::Open,
                member_count: 3,
                conversation_id: 9,
                dissolved: false,
                created_at: 5,
            },
            json!({
                "id": 4, "name": "Team 翎", "avatar": null, "announcement": "", "owner_id": 1,
                "join_policy": "open", "member_count": 3, "conversation_id": 9, "dissolved": false,
                "created_at": 5
            }),
        );
    }

    #[test]
    fn test_create_group_defaults_to_approval() {
        let r: CreateGroupRequest = serde_json::from_value(json!({"name": "g"})).unwrap();
        assert_eq!(r.join_policy, JoinPolicy::Approval);
        assert!(r.member_ids.is_empty());
    }

    #[test]
    fn test_member_and_request_shapes() {
        let user =
            UserProfile { id: 2, username: "b".into(), display_name: "B".into(), avatar: None, signature: "".into() };
        let user_json = json!({"id": 2, "username": "b", "display_name": "B", "avatar": null, "signature": ""});
        pin(
            &GroupMember { user: user.clone(), role: Role::Admin, nickname: Some("bee".into()), joined_at: 1 },
            json!({"user": user_json, "role": "admin", "nickname": "bee", "joined_at": 1}),
        );
        pin(
            &GroupJoinRequest { id: 1, group_id: 4, user, message: "pls".into(), created_at: 2 },
            json!({"id": 1, "group_id": 4, "user": user_json, "message": "pls", "created_at": 2}),
        );
        pin(&JoinGroupResponse { outcome: JoinOutcome::Pending }, json!({"outcome": "pending"}));
        pin(&SetRoleRequest { role: Role::Member }, json!({"role": "member"}));
        pin(&InviteRequest { user_ids: vec![2, 3] }, json!({"user_ids": [2, 3]}));
        pin(&TransferOwnershipRequest { user_id: 2 }, json!({"user_id": 2}));
        pin(&SetNicknameRequest { nickname: None }, json!({"nickname": null}));
        pin(
            &UpdateGroupRequest { name: Some("n".into()), avatar: Patch::Clear, ..Default::default() },
            json!({"name": "n", "avatar": null}),
        );
        assert!(Role::Owner > Role::Admin && Role::Admin > Role::Member);
    }
}
