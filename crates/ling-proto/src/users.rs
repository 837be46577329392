//! Profiles: `/v1/me`, `/v1/users`.

use serde::{Deserialize, Serialize};

use crate::{FileId, Millis, Patch, UserId};

/// The logged-in user's own account, with private fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Me {
    /// The account id.
    pub id: UserId,
    /// Unique, lower-case.
    pub username: String,
    /// Shown to others.
    pub display_name: String,
    /// An uploaded image, readable by any logged-in user.
    pub avatar: Option<FileId>,
    /// A short line about oneself.
    pub signature: String,
    /// Private: never shown to others.
    pub phone: Option<String>,
    /// When the account was made.
    pub created_at: Millis,
}

/// Another user, as anyone logged in may see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserProfile {
    /// The account id.
    pub id: UserId,
    /// Unique, lower-case.
    pub username: String,
    /// Shown to others.
    pub display_name: String,
    /// An uploaded image.
    pub avatar: Option<FileId>,
    /// A short line about themselves.
    pub signature: String,
}

/// `PATCH /v1/me`. Absent fields are kept; `null` clears `avatar` and `phone`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateProfileRequest {
    /// 1–64 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// A file this user uploaded that is an image.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub avatar: Patch<FileId>,
    /// Up to 200 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Up to 32 characters of digits, spaces, `+`, `-`, `(`, `)`.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub phone: Patch<String>,
}

/// `GET /v1/users?q=...`: users whose username starts with, or whose display
/// name contains, the query (at most 20, people who blocked the caller left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserSearchResponse {
    /// Matches, best first.
    pub users: Vec<UserProfile>,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::test_util::pin;
    use serde_json::json;

    pub fn sample_me() -> Me {
        Me {
            id: 1,
            username: "alice".into(),
            display_name: "Alice".into(),
            avatar: None,
            signature: "".into(),
            phone: Some("+86 10 1234".into()),
            created_at: 1_700_000_000_000,
        }
    }

    pub fn sample_me_json() -> serde_json::Value {
        json!({
            "id": 1, "username": "alice", "display_name": "Alice", "avatar": null,
            "signature": "", "phone": "+86 10 1234", "created_at": 1_700_000_000_000_i64
        })
    }

    #[test]
    fn test_me_shape() {
        pin(&sample_me(), sample_me_json());
    }

    #[test]
    fn test_user_profile_shape() {
        pin(
            &UserProfile {
                id: 2,
                username: "bob".into(),
                display_name: "鲍勃".into(),
                avatar: Some("f1".into()),
                signature: "hi".into(),
            },
            json!({"id": 2, "username": "bob", "display_name": "鲍勃", "avatar": "f1", "signature": "hi"}),
        );
    }

    #[test]
    fn test_update_profile_absent_null_and_value_mean_keep_clear_and_set() {
        let r: UpdateProfileRequest =
            serde_json::from_value(json!({"display_name": "A", "avatar": null, "phone": "123"})).unwrap();
        assert_eq!(r.display_name.as_deref(), Some("A"));
        assert_eq!(r.avatar, Patch::Clear);
        assert_eq!(r.phone, Patch::Set("123".into()));
        assert_eq!(r.signature, None);
        let empty: UpdateProfileRequest = serde_json::from_value(json!({})).unwrap();
        assert_eq!(empty.avatar, Patch::Keep);
        assert_eq!(serde_json::to_value(&empty).unwrap(), json!({}));
    }
}
