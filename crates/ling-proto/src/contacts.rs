//! Friends, friend requests, friend groups and the block list: `/v1/friends`,
//! `/v1/friend-requests`, `/v1/friend-groups`, `/v1/blocks`.

use serde::{Deserialize, Serialize};

use crate::users::UserProfile;
use crate::{ConversationId, FriendGroupId, Millis, Patch, UserId};

/// `POST /v1/friend-requests`. If the other person already asked the caller,
/// this accepts their request instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SendFriendRequest {
    /// Whom to ask.
    pub user_id: UserId,
    /// Up to 200 characters ("Hi, it's Alice from work").
    #[serde(default)]
    pub message: String,
}

/// Where a friend request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FriendRequestStatus {
    /// Waiting for an answer.
    Pending,
    /// The two are friends now.
    Accepted,
    /// Turned down.
    Declined,
}

/// A friend request, as `GET /v1/friend-requests` lists it and as pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FriendRequest {
    /// Pass to `/v1/friend-requests/{id}/accept` or `/decline`.
    pub id: i64,
    /// Who asked.
    pub from: UserProfile,
    /// Who was asked.
    pub to: UserProfile,
    /// What they wrote.
    pub message: String,
    /// Where it stands.
    pub status: FriendRequestStatus,
    /// When it was sent.
    pub created_at: Millis,
}

/// `GET /v1/friend-requests`: pending requests both ways.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FriendRequestList {
    /// Others asking the caller.
    pub incoming: Vec<FriendRequest>,
    /// The caller asking others.
    pub outgoing: Vec<FriendRequest>,
}

/// One friend, as `GET /v1/friends` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Friend {
    /// Their profile.
    pub user: UserProfile,
    /// The caller's private name for them.
    pub remark: Option<String>,
    /// The caller's category for them.
    pub group_id: Option<FriendGroupId>,
    /// The one-to-one conversation.
    pub conversation_id: ConversationId,
    /// Whether they have a live connection (false if either blocked the other).
    pub online: bool,
    /// When they became friends.
    pub since: Millis,
}

/// `PATCH /v1/friends/{user_id}`: remark and category. `null` clears.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateFriendRequest {
    /// Up to 64 characters.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub remark: Patch<String>,
    /// One of the caller's friend groups.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub group_id: Patch<FriendGroupId>,
}

/// A category of friends ("Family", "Work").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FriendGroup {
    /// The group's id.
    pub id: FriendGroupId,
    /// 1–32 characters, unique per user.
    pub name: String,
    /// Display order, ascending.
    pub position: i64,
}

/// `POST /v1/friend-groups` and `PATCH /v1/friend-groups/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FriendGroupRequest {
    /// 1–32 characters, unique per user.
    pub name: String,
}

/// One blocked user, as `GET /v1/blocks` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BlockedUser {
    /// Their profile.
    pub user: UserProfile,
    /// When the caller blocked them.
    pub since: Millis,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::pin;
    use serde_json::json;

    fn profile(id: i64, name: &str) -> UserProfile {
        UserProfile { id, username: name.into(), display_name: name.into(), avatar: None, signature: "".into() }
    }

    fn profile_json(id: i64, name: &str) -> serde_json::Value {
        json!({"id": id, "username": name, "display_name": name, "avatar": null, "signature": ""})
    }

    #[test]
    fn test_friend_request_shape() {
        pin(
            &FriendRequest {
                id: 5,
                from: profile(1, "a"),
                to: profile(2, "b"),
                message: "hi".into(),
                status: FriendRequestStatus::Pending,
                created_at: 10,
            },
            json!({
                "id": 5, "from": profile_json(1, "a"), "to": profile_json(2, "b"),
                "message": "hi", "status": "pending", "created_at": 10
            }),
        );
        pin(&SendFriendRequest { user_id: 2, message: "".into() }, json!({"user_id": 2, "message": ""}));
    }

    #[test]
    fn test_friend_shape() {
        pin(
            &Friend {
                user: profile(2, "b"),
                remark: Some("老王".into()),
                group_id: None,
                conversation_id: 7,
                online: true,
                since: 3,
            },
            json!({
                "user": profile_json(2, "b"), "remark": "老王", "group_id": null,
                "conversation_id": 7, "online": true, "since": 3
            }),
        );
    }

    #[test]
    fn test_update_friend_and_groups_and_blocks_shapes() {
        pin(&UpdateFriendRequest { remark: Patch::Set("x".into()), group_id: Patch::Keep }, json!({"remark": "x"}));
        pin(&FriendGroup { id: 1, name: "Work".into(), position: 0 }, json!({"id": 1, "name": "Work", "position": 0}));
        pin(&FriendGroupRequest { name: "Work".into() }, json!({"name": "Work"}));
        pin(&BlockedUser { user: profile(3, "c"), since: 4 }, json!({"user": profile_json(3, "c"), "since": 4}));
        pin(&FriendRequestList { incoming: vec![], outgoing: vec![] }, json!({"incoming": [], "outgoing": []}));
    }
}
