use ling_proto::ErrorCode;
use ling_proto::auth::{RecoveryCodeResponse, RegisterRequest, RegisterResponse, SessionInfo};
use ling_proto::users::{Me, UserProfile, UserSearchResponse};

use crate::common::*;

fn register_body(username: &str, password: &str) -> RegisterRequest {
    RegisterRequest {
        username: username.into(),
        password: password.into(),
        display_name: Some("Alice 爱丽丝".into()),
        device_name: "laptop".into(),
    }
}

#[tokio::test]
async fn test_register_returns_a_session_and_a_recovery_code_once() {
    let server = TestServer::start().await;
    let r: RegisterResponse =
        server.anon().post("/v1/auth/register", &register_body("Alice", "password1")).await.unwrap();
    assert_eq!(r.user.username, "alice", "usernames are lower-cased");
    assert_eq!(r.user.display_name, "Alice 爱丽丝");
    assert_eq!(r.recovery_code.len(), 23);
    assert!(!r.session.token.is_empty());
    let mut c = server.anon();
    c.token = Some(r.session.token);
    let me: Me = c.get("/v1/me").await.unwrap();
    assert_eq!(me.id, r.user.id);
}

#[tokio::test]
async fn test_register_refuses_bad_usernames_short_passwords_and_duplicates() {
    let server = TestServer::start().await;
    let anon = server.anon();
    let e = anon.post::<RegisterResponse>("/v1/auth/register", &register_body("a b", "password1")).await.unwrap_err();
    assert_eq!((e.status.as_u16(), e.code()), (400, ErrorCode::InvalidUsername));
    let e = anon.post::<RegisterResponse>("/v1/auth/register", &register_body("alice", "short")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::WeakPassword);
    anon.post::<RegisterResponse>("/v1/auth/register", &register_body("alice", "password1")).await.unwrap();
    let e = anon.post::<RegisterResponse>("/v1/auth/register", &register_body("ALICE", "password2")).await.unwrap_err();
    assert_eq!((e.status.as_u16(), e.code()), (409, ErrorCode::UsernameTaken));
}

#[tokio::test]
async fn test_registration_can_be_closed() {
    let server = TestServer::start_with(|c| c.registration_closed = true).await;
    let e = server
        .anon()
        .post::<RegisterResponse>("/v1/auth/register", &register_body("alice", "password1"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::RegistrationClosed);
}

#[tokio::test]
async fn test_login_with_wrong_password_or_unknown_user_is_the_same_error() {
    let server = TestServer::start().await;
    server.user("alice").await;
    let wrong = server.login("alice", "nope-nope").await.unwrap_err();
    let unknown = server.login("nobody", "password1").await.unwrap_err();
    assert_eq!(wrong.code(), ErrorCode::InvalidCredentials);
    assert_eq!(unknown.code(), ErrorCode::InvalidCredentials);
    assert_eq!(wrong.body.message, unknown.body.message);
    assert!(server.login("ALICE", "password1").await.is_ok(), "usernames are case-insensitive");
}

#[tokio::test]
async fn test_requests_without_a_valid_token_are_unauthorized() {
    let server = TestServer::start().await;
    let e = server.anon().get::<Me>("/v1/me").await.unwrap_err();
    assert_eq!((e.status.as_u16(), e.code()), (401, ErrorCode::Unauthorized));
    let mut forged = server.anon();
    forged.token = Some("forged-token".into());
    assert_eq!(forged.get::<Me>("/v1/me").await.unwrap_err().code(), ErrorCode::Unauthorized);
}

#[tokio::test]
async fn test_sessions_are_listed_and_logout_revokes_only_this_one() {
    let server = TestServer::start().await;
    let laptop = server.user("alice").await;
    let phone = server.login("alice", "password1").await.unwrap();
    let list: Vec<SessionInfo> = laptop.get("/v1/sessions").await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|s| s.current).count(), 1);
    assert_eq!(list.iter().find(|s| s.current).unwrap().id, laptop.session_id);

    let _: Empty = phone.post("/v1/auth/logout", &serde_json::json!({})).await.unwrap();
    assert_eq!(phone.get::<Me>("/v1/me").await.unwrap_err().code(), ErrorCode::Unauthorized);
    assert!(laptop.get::<Me>("/v1/me").await.is_ok());
}

#[tokio::test]
async fn test_revoking_a_session_logs_that_device_out_and_closes_its_websocket() {
    let server = TestServer::start().await;
    let laptop = server.user("alice").await;
    let phone = server.login("alice", "password1").await.unwrap();
    let mut phone_ws = phone.ws().await;
    laptop.delete(&format!("/v1/sessions/{}", phone.session_id)).await.unwrap();
    let close = phone_ws.closed().await.expect("a close frame");
    assert_eq!(u16::from(close.code), ling_proto::ws::close::SESSION_REVOKED);
    assert_eq!(phone.get::<Me>("/v1/me").await.unwrap_err().code(), ErrorCode::Unauthorized);
    // Someone else's session id is not found, not revoked.
    let bob = server.user("bob").await;
    assert_eq!(
        bob.delete(&format!("/v1/sessions/{}", laptop.session_id)).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert!(laptop.get::<Me>("/v1/me").await.is_ok());
}

#[tokio::test]
async fn test_change_password_revokes_the_other_sessions() {
    let server = TestServer::start().await;
    let laptop = server.user("alice").await;
    let phone = server.login("alice", "password1").await.unwrap();
    let e = laptop
        .post::<Empty>(
            "/v1/me/password",
            &serde_json::json!({"old_password": "wrong-one", "new_password": "password2"}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCredentials);
    let _: Empty = laptop
        .post("/v1/me/password", &serde_json::json!({"old_password": "password1", "new_password": "password2"}))
        .await
        .unwrap();
    assert!(laptop.get::<Me>("/v1/me").await.is_ok(), "this session stays");
    assert_eq!(phone.get::<Me>("/v1/me").await.unwrap_err().code(), ErrorCode::Unauthorized);
    assert!(server.login("alice", "password1").await.is_err());
    assert!(server.login("alice", "password2").await.is_ok());
}

#[tokio::test]
async fn test_a_forgotten_password_is_reset_with_the_recovery_code_which_is_then_replaced() {
    let server = TestServer::start().await;
    let r: RegisterResponse =
        server.anon().post("/v1/auth/register", &register_body("alice", "password1")).await.unwrap();
    let typed = r.recovery_code.to_lowercase().replace('-', " ");
    let wrong = server
        .anon()
        .post::<RecoveryCodeResponse>("/v1/auth/reset-password", &serde_json::json!({"username": "alice", "recovery_code": "00000-00000-00000-00000", "new_password": "password9"}))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), ErrorCode::InvalidRecoveryCode);
    let next: RecoveryCodeResponse = server
        .anon()
        .post(
            "/v1/auth/reset-password",
            &serde_json::json!({"username": "alice", "recovery_code": typed, "new_password": "password9"}),
        )
        .await
        .unwrap();
    assert_ne!(next.recovery_code, r.recovery_code);
    assert!(server.login("alice", "password9").await.is_ok());
    // Every old session is gone, and the used code no longer works.
    let mut old = server.anon();
    old.token = Some(r.session.token);
    assert_eq!(old.get::<Me>("/v1/me").await.unwrap_err().code(), ErrorCode::Unauthorized);
    let reused = server
        .anon()
        .post::<RecoveryCodeResponse>(
            "/v1/auth/reset-password",
            &serde_json::json!({"username": "alice", "recovery_code": r.recovery_code, "new_password": "password8"}),
        )
        .await
        .unwrap_err();
    assert_eq!(reused.code(), ErrorCode::InvalidRecoveryCode);
}

#[tokio::test]
async fn test_the_recovery_code_can_be_regenerated_with_the_password() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let e = alice
        .post::<RecoveryCodeResponse>("/v1/me/recovery-code", &serde_json::json!({"password": "wrong-one"}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCredentials);
    let fresh: RecoveryCodeResponse =
        alice.post("/v1/me/recovery-code", &serde_json::json!({"password": "password1"})).await.unwrap();
    let _: RecoveryCodeResponse = server
        .anon()
        .post("/v1/auth/reset-password", &serde_json::json!({"username": "alice", "recovery_code": fresh.recovery_code, "new_password": "password7"}))
        .await
        .unwrap();
}

#[tokio::test]
async fn test_profile_updates_keep_clear_and_set_fields() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let me: Me = alice
        .patch(
            "/v1/me",
            &serde_json::json!({"display_name": "  Alice  ", "signature": "hi 👋", "phone": "+86 10 1234"}),
        )
        .await
        .unwrap();
    assert_eq!(
        (me.display_name.as_str(), me.signature.as_str(), me.phone.as_deref()),
        ("Alice", "hi 👋", Some("+86 10 1234"))
    );
    let me: Me = alice.patch("/v1/me", &serde_json::json!({"phone": null})).await.unwrap();
    assert_eq!(me.phone, None);
    assert_eq!(me.signature, "hi 👋", "absent fields are kept");
    let e = alice.patch::<Me>("/v1/me", &serde_json::json!({"display_name": ""})).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRequest);
    let e = alice.patch::<Me>("/v1/me", &serde_json::json!({"avatar": "no-such-file"})).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRequest);
    // Others see the public profile, without the phone number.
    let bob = server.user("bob").await;
    let p: serde_json::Value = bob.get(&format!("/v1/users/{}", alice.id())).await.unwrap();
    assert_eq!(p["display_name"], "Alice");
    assert!(p.get("phone").is_none());
}

#[tokio::test]
async fn test_user_search_by_username_prefix_and_display_name() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bobby").await;
    let _: Me = bob.patch("/v1/me", &serde_json::json!({"display_name": "王小明"})).await.unwrap();
    let r: UserSearchResponse = alice.get("/v1/users?q=bob").await.unwrap();
    assert_eq!(r.users.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), vec!["bobby"]);
    let r: UserSearchResponse = alice.get(&format!("/v1/users?q={}", "小明")).await.unwrap();
    assert_eq!(r.users.len(), 1);
    let r: UserSearchResponse = alice.get("/v1/users?q=%25").await.unwrap();
    assert!(r.users.is_empty(), "LIKE wildcards are literal");
    let e = alice.get::<UserSearchResponse>("/v1/users?q=").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRequest);
    let _unused: Option<UserProfile> = None;
}

#[tokio::test]
async fn test_password_guessing_is_rate_limited_per_account() {
    let server = TestServer::start_with(|c| c.auth_attempts_per_minute = 5).await;
    server.user("alice").await;
    server.user("bob").await;
    for _ in 0..5 {
        assert_eq!(server.login("alice", "guess-guess").await.unwrap_err().code(), ErrorCode::InvalidCredentials);
    }
    let e = server.login("alice", "password1").await.unwrap_err();
    assert_eq!((e.status.as_u16(), e.code()), (429, ErrorCode::RateLimited), "even the right password waits");
    let e = server
        .anon()
        .post::<RecoveryCodeResponse>(
            "/v1/auth/reset-password",
            &serde_json::json!({"username": "alice", "recovery_code": "x", "new_password": "password9"}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::RateLimited);
    assert!(server.login("bob", "password1").await.is_ok(), "other accounts are not affected");
}

#[tokio::test]
async fn test_the_database_holds_no_token_and_no_password_only_their_hashes() {
    let mut server = TestServer::start().await;
    let r: RegisterResponse =
        server.anon().post("/v1/auth/register", &register_body("alice", "password1")).await.unwrap();
    server.stop().await;
    let db = rusqlite::Connection::open(server.data_dir().join("ling.db")).unwrap();
    let (stored_token, password, recovery): (Vec<u8>, String, String) = db
        .query_row(
            "SELECT s.token_hash, u.password_hash, u.recovery_hash FROM sessions s JOIN users u ON u.id = s.user_id",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert_eq!(stored_token, ling_server::credentials::token_hash(&r.session.token), "the token's SHA-256");
    assert_ne!(stored_token, r.session.token.as_bytes());
    assert!(password.starts_with("$argon2id$") && !password.contains("password1"));
    assert!(recovery.starts_with("$argon2id$"));
    let dump: Vec<String> = db
        .prepare("SELECT coalesce(password_hash, '') || recovery_hash FROM users")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(dump.iter().all(|d| !d.contains(&r.recovery_code)), "the recovery code is not stored");
}
