//! Accounts and device sessions: `/v1/auth/*`, `/v1/me/password`, `/v1/sessions`.

use serde::{Deserialize, Serialize};

use crate::users::Me;
use crate::{Millis, SessionId};

/// `POST /v1/auth/register`. Creates the account and logs this device in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RegisterRequest {
    /// 3–32 characters: ASCII letters, digits, `_`, `.`, `-`; starts with a letter or digit. Case-insensitive.
    pub username: String,
    /// 8–256 characters.
    pub password: String,
    /// Shown to others; defaults to the username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Names this login in the session list ("Alice's laptop").
    pub device_name: String,
}

/// Answer to register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RegisterResponse {
    /// The new account.
    pub user: Me,
    /// The session of this device.
    pub session: NewSession,
    /// Resets a forgotten password. Shown once: the server keeps only a hash.
    pub recovery_code: String,
}

/// `POST /v1/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoginRequest {
    /// Case-insensitive.
    pub username: String,
    /// The account's password.
    pub password: String,
    /// Names this login in the session list.
    pub device_name: String,
}

/// Answer to login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoginResponse {
    /// The account.
    pub user: Me,
    /// The session of this device.
    pub session: NewSession,
}

/// A freshly made session and the only copy of its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewSession {
    /// The session's id (as in [`SessionInfo::id`]).
    pub id: SessionId,
    /// The bearer token: `Authorization: Bearer <token>` on every request. The server keeps only its hash.
    pub token: String,
}

/// `POST /v1/auth/reset-password`: a forgotten password, reset with the recovery code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResetPasswordRequest {
    /// Case-insensitive.
    pub username: String,
    /// The code shown at registration (or last regenerated).
    pub recovery_code: String,
    /// 8–256 characters.
    pub new_password: String,
}

/// Answer to a password reset: every session was revoked and the recovery code
/// was used up, so here is the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecoveryCodeResponse {
    /// The new recovery code, shown once.
    pub recovery_code: String,
}

/// `POST /v1/me/password`. Revokes every other session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChangePasswordRequest {
    /// The current password.
    pub old_password: String,
    /// 8–256 characters.
    pub new_password: String,
}

/// `POST /v1/me/recovery-code`: replaces the recovery code; needs the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RegenerateRecoveryCodeRequest {
    /// The current password.
    pub password: String,
}

/// One logged-in device, as listed by `GET /v1/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SessionInfo {
    /// Pass to `DELETE /v1/sessions/{id}` to revoke it.
    pub id: SessionId,
    /// The name given at login.
    pub device_name: String,
    /// When it logged in.
    pub created_at: Millis,
    /// When it last made a request (updated at most once a minute).
    pub last_seen_at: Millis,
    /// Whether this is the session making the request.
    pub current: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::pin;
    use serde_json::json;

    #[test]
    fn test_register_request_shape() {
        pin(
            &RegisterRequest {
                username: "alice".into(),
                password: "correct horse".into(),
                display_name: None,
                device_name: "laptop".into(),
            },
            json!({"username": "alice", "password": "correct horse", "device_name": "laptop"}),
        );
    }

    #[test]
    fn test_login_response_shape() {
        pin(
            &LoginResponse {
                user: crate::users::tests::sample_me(),
                session: NewSession { id: 9, token: "tok".into() },
            },
            json!({
                "user": crate::users::tests::sample_me_json(),
                "session": {"id": 9, "token": "tok"}
            }),
        );
    }

    #[test]
    fn test_session_info_shape() {
        pin(
            &SessionInfo { id: 3, device_name: "phone".into(), created_at: 1, last_seen_at: 2, current: true },
            json!({"id": 3, "device_name": "phone", "created_at": 1, "last_seen_at": 2, "current": true}),
        );
    }

    #[test]
    fn test_reset_and_change_password_shapes() {
        pin(
            &ResetPasswordRequest { username: "a".into(), recovery_code: "c".into(), new_password: "p".into() },
            json!({"username": "a", "recovery_code": "c", "new_password": "p"}),
        );
        pin(
            &ChangePasswordRequest { old_password: "o".into(), new_password: "n".into() },
            json!({"old_password": "o", "new_password": "n"}),
        );
        pin(&RecoveryCodeResponse { recovery_code: "x".into() }, json!({"recovery_code": "x"}));
        pin(&RegenerateRecoveryCodeRequest { password: "p".into() }, json!({"password": "p"}));
    }
}
