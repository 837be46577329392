//! Typed calls to the server's HTTP API (`/v1/...`, see `docs/protocol.md`).
//! One [`Api`] per server; [`Api::with_token`] makes the logged-in one. A
//! refused request is [`ClientError::Server`] with the server's code; no
//! answer at all is [`ClientError::Unreachable`] (or `tls_failure`).

use std::sync::Arc;
use std::time::Duration;

use ling_proto::auth::{
    ChangePasswordRequest, LoginRequest, LoginResponse, RecoveryCodeResponse, RegisterRequest, RegisterResponse,
    ResetPasswordRequest, SessionInfo,
};
use ling_proto::contacts::{
    BlockedUser, Friend, FriendGroup, FriendGroupRequest, FriendRequest, FriendRequestList, SendFriendRequest,
    UpdateFriendRequest,
};
use ling_proto::groups::{
    CreateGroupRequest, Group, GroupMember, InviteRequest, Role, SetRoleRequest, TransferOwnershipRequest,
    UpdateGroupRequest,
};
use ling_proto::info::ServerInfo;
use ling_proto::messages::{
    ConversationList, EditRequest, HistoryPage, HistoryQuery, MarkReadRequest, Message, PinRequest, ReactRequest,
    ReadCursor, SendAck, SendMessageRequest,
};
use ling_proto::users::{Me, UpdateProfileRequest, UserProfile, UserSearchResponse};
use ling_proto::{ConversationId, ErrorBody, ErrorCode, FriendGroupId, GroupId, Seq, SessionId, UserId};
use reqwest::{Method, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::address::endpoint;
use crate::error::{ClientError, ClientResult};

/// How long an API call may take before it counts as no answer (file
/// transfers set their own, longer, limits).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP side of one server, logged in or not.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: Url,
    token: Option<Arc<str>>,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("Api").field("base", &self.base.as_str()).field("logged_in", &self.token.is_some()).finish()
    }
}

impl Api {
    /// An API for the server at `base` (as probed and saved).
    pub fn new(base: Url) -> ClientResult<Api> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(8))
            .user_agent(concat!("ling-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Unreachable { address: base.to_string(), detail: e.to_string() })?;
        Ok(Api { http, base, token: None })
    }

    /// The same server, presenting `token`.
    pub fn with_token(&self, token: &str) -> Api {
        Api { token: Some(token.into()), ..self.clone() }
    }

    /// The server's base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The session token, if logged in.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// A request to `path` with the token, for callers that stream (files).
    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let req = self.http.request(method, endpoint(&self.base, path));
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    /// Sends a request and checks its status: a refusal becomes the server's error.
    pub(crate) async fn send(&self, req: RequestBuilder) -> ClientResult<Response> {
        let resp = req.send().await.map_err(|e| transport_error(self.base.as_str(), &e))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| transport_error(self.base.as_str(), &e))?;
        Err(match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(e) => ClientError::Server { code: e.code, message: e.message },
            Err(_) => {
                ClientError::Server { code: ErrorCode::Unknown, message: format!("the server answered {status}") }
            }
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> ClientResult<T> {
        let mut req = self.request(method, path).timeout(REQUEST_TIMEOUT);
        if let Some(body) = body {
            req = req.json(body);
        }
        self.fetch(req).await
    }

    /// Sends a request and decodes its JSON answer.
    pub(crate) async fn fetch<T: DeserializeOwned>(&self, req: RequestBuilder) -> ClientResult<T> {
        let resp = self.send(req).await?;
        let bytes = resp.bytes().await.map_err(|e| transport_error(self.base.as_str(), &e))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ClientError::Server { code: ErrorCode::Unknown, message: format!("unexpected answer: {e}") })
    }

    async fn call_empty(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> ClientResult<()> {
        let mut req = self.request(method, path).timeout(REQUEST_TIMEOUT);
        if let Some(body) = body {
            req = req.json(body);
        }
        self.send(req).await.map(drop)
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> ClientResult<T> {
        self.call(Method::GET, path, None::<&()>).await
    }

    async fn post<T: DeserializeOwned>(&self, path: &str, body: &(impl Serialize + ?Sized)) -> ClientResult<T> {
        self.call(Method::POST, path, Some(body)).await
    }

    // --- server and accounts -------------------------------------------------

    /// `GET /v1/info`.
    pub async fn info(&self) -> ClientResult<ServerInfo> {
        self.get("/v1/info").await
    }

    /// `POST /v1/auth/register`: the new account, its first session and the recovery code.
    pub async fn register(&self, req: &RegisterRequest) -> ClientResult<RegisterResponse> {
        self.post("/v1/auth/register", req).await
    }

    /// `POST /v1/auth/login`.
    pub async fn login(&self, req: &LoginRequest) -> ClientResult<LoginResponse> {
        self.post("/v1/auth/login", req).await
    }

    /// `POST /v1/auth/logout`: revokes this session.
    pub async fn logout(&self) -> ClientResult<()> {
        self.call_empty(Method::POST, "/v1/auth/logout", None::<&()>).await
    }

    /// `POST /v1/auth/reset-password`: returns the new recovery code.
    pub async fn reset_password(&self, req: &ResetPasswordRequest) -> ClientResult<RecoveryCodeResponse> {
        self.post("/v1/auth/reset-password", req).await
    }

    /// `POST /v1/me/password` (other sessions are revoked).
    pub async fn change_password(&self, req: &ChangePasswordRequest) -> ClientResult<()> {
        self.call_empty(Method::POST, "/v1/me/password", Some(req)).await
    }

    /// `GET /v1/me`.
    pub async fn me(&self) -> ClientResult<Me> {
        self.get("/v1/me").await
    }

    /// `PATCH /v1/me`.
    pub async fn update_me(&self, req: &UpdateProfileRequest) -> ClientResult<Me> {
        self.call(Method::PATCH, "/v1/me", Some(req)).await
    }

    /// `GET /v1/sessions`: this account's signed-in devices.
    pub async fn sessions(&self) -> ClientResult<Vec<SessionInfo>> {
        self.get("/v1/sessions").await
    }

    /// `DELETE /v1/sessions/{id}`.
    pub async fn revoke_session(&self, id: SessionId) -> ClientResult<()> {
        self.call_empty(Method::DELETE, &format!("/v1/sessions/{id}"), None::<&()>).await
    }

    // --- people and contacts -------------------------------------------------

    /// `GET /v1/users?q=`.
    pub async fn search_users(&self, q: &str) -> ClientResult<Vec<UserProfile>> {
        let req = self.request(Method::GET, "/v1/users").query(&[("q", q)]).timeout(REQUEST_TIMEOUT);
        let found: UserSearchResponse = self.fetch(req).await?;
        Ok(found.users)
    }

    /// `GET /v1/users/{id}`.
    pub async fn user(&self, id: UserId) -> ClientResult<UserProfile> {
        self.get(&format!("/v1/users/{id}")).await
    }

    /// `GET /v1/friend-requests`.
    pub async fn friend_requests(&self) -> ClientResult<FriendRequestList> {
        self.get("/v1/friend-requests").await
    }

    /// `POST /v1/friend-requests`.
    pub async fn send_friend_request(&self, user_id: UserId, message: &str) -> ClientResult<FriendRequest> {
        self.post("/v1/friend-requests", &SendFriendRequest { user_id, message: message.to_owned() }).await
    }

    /// `POST /v1/friend-requests/{id}/accept`.
    pub async fn accept_friend_request(&self, id: i64) -> ClientResult<FriendRequest> {
        self.post(&format!("/v1/friend-requests/{id}/accept"), &()).await
    }

    /// `POST /v1/friend-requests/{id}/decline`.
    pub async fn decline_friend_request(&self, id: i64) -> ClientResult<FriendRequest> {
        self.post(&format!("/v1/friend-requests/{id}/decline"), &()).await
    }

    /// `GET /v1/friends`.
    pub async fn friends(&self) -> ClientResult<Vec<Friend>> {
        self.get("/v1/friends").await
    }

    /// `PATCH /v1/friends/{id}`: remark and friend group.
    pub async fn update_friend(&self, user_id: UserId, req: &UpdateFriendRequest) -> ClientResult<()> {
        self.call_empty(Method::PATCH, &format!("/v1/friends/{user_id}"), Some(req)).await
    }

    /// `DELETE /v1/friends/{id}`.
    pub async fn remove_friend(&self, user_id: UserId) -> ClientResult<()> {
        self.call_empty(Method::DELETE, &format!("/v1/friends/{user_id}"), None::<&()>).await
    }

    /// `GET /v1/friend-groups`.
    pub async fn friend_groups(&self) -> ClientResult<Vec<FriendGroup>> {
        self.get("/v1/friend-groups").await
    }

    /// `POST /v1/friend-groups`.
    pub async fn create_friend_group(&self, name: &str) -> ClientResult<FriendGroup> {
        self.post("/v1/friend-groups", &FriendGroupRequest { name: name.to_owned() }).await
    }

    /// `PATCH /v1/friend-groups/{id}`.
    pub async fn rename_friend_group(&self, id: FriendGroupId, name: &str) -> ClientResult<FriendGroup> {
        self.call(
            Method::PATCH,
            &format!("/v1/friend-groups/{id}"),
            Some(&FriendGroupRequest { name: name.to_owned() }),
        )
        .await
    }

    /// `DELETE /v1/friend-groups/{id}`.
    pub async fn delete_friend_group(&self, id: FriendGroupId) -> ClientResult<()> {
        self.call_empty(Method::DELETE, &format!("/v1/friend-groups/{id}"), None::<&()>).await
    }

    /// `GET /v1/blocks`.
    pub async fn blocks(&self) -> ClientResult<Vec<BlockedUser>> {
        self.get("/v1/blocks").await
    }

    /// `PUT /v1/blocks/{id}` or `DELETE /v1/blocks/{id}`.
    pub async fn set_blocked(&self, user_id: UserId, blocked: bool) -> ClientResult<()> {
        let method = if blocked { Method::PUT } else { Method::DELETE };
        self.call_empty(method, &format!("/v1/blocks/{user_id}"), None::<&()>).await
    }

    // --- groups ----------------------------------------------------------------

    /// `GET /v1/groups`: the account's groups.
    pub async fn groups(&self) -> ClientResult<Vec<Group>> {
        self.get("/v1/groups").await
    }

    /// `GET /v1/groups/{id}`.
    pub async fn group(&self, id: GroupId) -> ClientResult<Group> {
        self.get(&format!("/v1/groups/{id}")).await
    }

    /// `POST /v1/groups`.
    pub async fn create_group(&self, req: &CreateGroupRequest) -> ClientResult<Group> {
        self.post("/v1/groups", req).await
    }

    /// `PATCH /v1/groups/{id}`.
    pub async fn update_group(&self, id: GroupId, req: &UpdateGroupRequest) -> ClientResult<Group> {
        self.call(Method::PATCH, &format!("/v1/groups/{id}"), Some(req)).await
    }

    /// `GET /v1/groups/{id}/members`.
    pub async fn group_members(&self, id: GroupId) -> ClientResult<Vec<GroupMember>> {
        self.get(&format!("/v1/groups/{id}/members")).await
    }

    /// `POST /v1/groups/{id}/members`: returns the ids added.
    pub async fn invite(&self, id: GroupId, user_ids: &[UserId]) -> ClientResult<Vec<UserId>> {
        self.post(&format!("/v1/groups/{id}/members"), &InviteRequest { user_ids: user_ids.to_vec() }).await
    }

    /// `DELETE /v1/groups/{id}/members/{user}`.
    pub async fn kick(&self, id: GroupId, user_id: UserId) -> ClientResult<()> {
        self.call_empty(Method::DELETE, &format!("/v1/groups/{id}/members/{user_id}"), None::<&()>).await
    }

    /// `PUT /v1/groups/{id}/members/{user}/role`: `admin` or `member` (owner only).
    pub async fn set_role(&self, id: GroupId, user_id: UserId, role: Role) -> ClientResult<()> {
        self.call_empty(Method::PUT, &format!("/v1/groups/{id}/members/{user_id}/role"), Some(&SetRoleRequest { role }))
            .await
    }

    /// `POST /v1/groups/{id}/transfer`: the caller becomes an admin.
    pub async fn transfer_group(&self, id: GroupId, user_id: UserId) -> ClientResult<()> {
        self.call_empty(Method::POST, &format!("/v1/groups/{id}/transfer"), Some(&TransferOwnershipRequest { user_id }))
            .await
    }

    /// `POST /v1/groups/{id}/leave`.
    pub async fn leave_group(&self, id: GroupId) -> ClientResult<()> {
        self.call_empty(Method::POST, &format!("/v1/groups/{id}/leave"), None::<&()>).await
    }

    /// `POST /v1/groups/{id}/dissolve`.
    pub async fn dissolve_group(&self, id: GroupId) -> ClientResult<()> {
        self.call_empty(Method::POST, &format!("/v1/groups/{id}/dissolve"), None::<&()>).await
    }

    // --- messages --------------------------------------------------------------

    /// `GET /v1/conversations`.
    pub async fn conversations(&self) -> ClientResult<ConversationList> {
        self.get("/v1/conversations").await
    }

    /// `GET /v1/conversations/{id}/messages`: a page, ascending by seq.
    pub async fn history(&self, id: ConversationId, query: &HistoryQuery) -> ClientResult<HistoryPage> {
        let req = self
            .request(Method::GET, &format!("/v1/conversations/{id}/messages"))
            .query(query)
            .timeout(REQUEST_TIMEOUT);
        self.fetch(req).await
    }

    /// `POST /v1/conversations/{id}/messages` (the WebSocket is the usual way).
    pub async fn send_message(&self, id: ConversationId, req: &SendMessageRequest) -> ClientResult<SendAck> {
        self.post(&format!("/v1/conversations/{id}/messages"), req).await
    }

    /// `POST /v1/conversations/{id}/read`: the cursor now.
    pub async fn mark_read(&self, id: ConversationId, seq: Seq) -> ClientResult<Seq> {
        let got: MarkReadRequest = self.post(&format!("/v1/conversations/{id}/read"), &MarkReadRequest { seq }).await?;
        Ok(got.seq)
    }

    /// `GET /v1/conversations/{id}/read-cursors`.
    pub async fn read_cursors(&self, id: ConversationId) -> ClientResult<Vec<ReadCursor>> {
        self.get(&format!("/v1/conversations/{id}/read-cursors")).await
    }

    /// `POST /v1/conversations/{id}/messages/{seq}/recall`: the recall notice.
    pub async fn recall(&self, id: ConversationId, seq: Seq) -> ClientResult<Message> {
        self.post(&format!("/v1/conversations/{id}/messages/{seq}/recall"), &()).await
    }

    /// `POST /v1/conversations/{id}/messages/{seq}/edit`: the edit relation.
    pub async fn edit(&self, id: ConversationId, seq: Seq, text: &str) -> ClientResult<Message> {
        self.post(&format!("/v1/conversations/{id}/messages/{seq}/edit"), &EditRequest { text: text.to_owned() }).await
    }

    /// `POST /v1/conversations/{id}/messages/{seq}/reactions`: the reaction
    /// relation, or `None` when it changed nothing.
    pub async fn react(&self, id: ConversationId, seq: Seq, emoji: &str, on: bool) -> ClientResult<Option<Message>> {
        self.post(
            &format!("/v1/conversations/{id}/messages/{seq}/reactions"),
            &ReactRequest { emoji: emoji.to_owned(), on },
        )
        .await
    }

    /// `POST /v1/conversations/{id}/pins`: the note, or `None` when nothing changed.
    pub async fn pin(&self, id: ConversationId, seq: Seq, pinned: bool) -> ClientResult<Option<Message>> {
        self.post(&format!("/v1/conversations/{id}/pins"), &PinRequest { seq, pinned }).await
    }

    // --- the assistant ---------------------------------------------------------

    /// `POST /v1/assistant/chat`: the account's conversation with the assistant.
    pub async fn assistant_chat(&self) -> ClientResult<ling_proto::assistant::AssistantChat> {
        self.post("/v1/assistant/chat", &serde_json::json!({})).await
    }

    /// `POST /v1/conversations/{id}/assistant/stop`.
    pub async fn assistant_stop(&self, id: ConversationId, question: Seq) -> ClientResult<()> {
        let body = ling_proto::assistant::AssistantQuestion { question };
        self.call_empty(Method::POST, &format!("/v1/conversations/{id}/assistant/stop"), Some(&body)).await
    }

    /// `POST /v1/conversations/{id}/assistant/regenerate`.
    pub async fn assistant_regenerate(&self, id: ConversationId, question: Seq) -> ClientResult<()> {
        let body = ling_proto::assistant::AssistantQuestion { question };
        self.call_empty(Method::POST, &format!("/v1/conversations/{id}/assistant/regenerate"), Some(&body)).await
    }

    /// `POST /v1/conversations/{id}/assistant/new-topic`: the `new_topic` note.
    pub async fn assistant_new_topic(&self, id: ConversationId) -> ClientResult<Message> {
        self.post(&format!("/v1/conversations/{id}/assistant/new-topic"), &serde_json::json!({})).await
    }
}

/// A transport failure: TLS trouble, or no answer.
pub(crate) fn transport_error(address: &str, e: &reqwest::Error) -> ClientError {
    // reqwest does not type TLS failures; the causes' texts name them.
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    let detail = chain.join(": ");
    let lower = detail.to_ascii_lowercase();
    let tls =
        ["certificate", "tls", "handshake", "invalidcertificate", "unknownissuer"].iter().any(|w| lower.contains(w));
    if tls && !e.is_timeout() {
        ClientError::Tls { address: address.to_owned(), detail, fingerprint: None }
    } else {
        ClientError::Unreachable { address: address.to_owned(), detail }
    }
}
