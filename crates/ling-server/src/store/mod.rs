//! Storage behind traits, so another backend (PostgreSQL) can come later
//! without touching the feature modules.
//!
//! The traits deal in `ling_proto` types where those fit and in small row
//! types here otherwise. They hold facts and keep them consistent (sequence
//! numbers, uniqueness, cascades); the *rules* — who may do what — live in the
//! feature modules, which ask the store for facts (e.g.
//! [`MessageStore::send_context`]) and decide.

use async_trait::async_trait;
use ling_proto::auth::SessionInfo;
use ling_proto::contacts::{BlockedUser, Friend, FriendGroup, FriendRequest, FriendRequestList};
use ling_proto::files::FileInfo;
use ling_proto::groups::{Group, GroupJoinRequest, GroupMember, GroupSummary, JoinPolicy, Role};
use ling_proto::messages::{Conversation, ConversationKind, HistoryPage, Message, MessageContent, ReadCursor};
use ling_proto::users::{Me, UserProfile};
use ling_proto::{ConversationId, ErrorCode, FileId, FriendGroupId, GroupId, Millis, Patch, Seq, SessionId, UserId};

pub mod sqlite;

/// What went wrong in storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A uniqueness rule was broken: the thing exists already.
    #[error("already exists: {0}")]
    Conflict(String),
    /// The named row does not exist.
    #[error("not found")]
    NotFound,
    /// The store refused for a rule it keeps itself (e.g. a message's recall window).
    #[error("{1}")]
    Rejected(ErrorCode, String),
    /// Stored data could not be decoded.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// The storage worker has stopped (the server is shutting down).
    #[error("storage is closed")]
    Closed,
    /// The backend failed.
    #[error("storage backend: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Result of store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// What to do with a queued write's outcome once it is known: called exactly
/// once, after the transaction holding the write committed (or failed), and
/// *in commit order*: the callbacks of writes committed one after another are
/// called one after another, on one thread, before any later write's. So a
/// conversation's messages reach whatever the callback hands them to in seq
/// order. It runs on the store's commit path: it must be quick and must not
/// block (hand the work on; see `hub::Fanout`).
pub type OnCommit<T> = Box<dyn FnOnce(StoreResult<T>) + Send>;

/// An [`OnCommit`] that runs `first` on the outcome (in commit order), then
/// hands the outcome to the returned future, for callers that wait for it.
pub fn awaited<T: Send + 'static>(
    first: impl FnOnce(&StoreResult<T>) + Send + 'static,
) -> (OnCommit<T>, impl std::future::Future<Output = StoreResult<T>> + Send) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let on_commit: OnCommit<T> = Box::new(move |outcome| {
        first(&outcome);
        let _ = tx.send(outcome);
    });
    (on_commit, async move { rx.await.map_err(|_| StoreError::Closed)? })
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Lower-case, validated.
    pub username: String,
    /// Validated.
    pub display_name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// argon2id PHC string of the recovery code.
    pub recovery_hash: String,
    /// Now.
    pub now: Millis,
}

/// What authenticating a request needs.
#[derive(Debug, Clone, Copy)]
pub struct SessionRow {
    /// The session.
    pub id: SessionId,
    /// Its user.
    pub user_id: UserId,
    /// Last request, to update at most once a minute.
    pub last_seen_at: Millis,
}

/// A validated profile change.
#[derive(Debug, Clone, Default)]
pub struct ProfileChange {
    /// New display name.
    pub display_name: Option<String>,
    /// New avatar (the file is checked by the caller).
    pub avatar: Patch<FileId>,
    /// New signature.
    pub signature: Option<String>,
    /// New phone.
    pub phone: Patch<String>,
}

/// Accounts, profiles and device sessions.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an account; `Conflict` if the username is taken.
    async fn create_user(&self, user: NewUser) -> StoreResult<Me>;
    /// `(id, password_hash, recovery_hash)` by lower-case username.
    async fn credentials_by_username(&self, username: &str) -> StoreResult<Option<(UserId, String, String)>>;
    /// `(password_hash, recovery_hash)` by id.
    async fn credentials_by_id(&self, user: UserId) -> StoreResult<(String, String)>;
    /// Replaces the password hash.
    async fn set_password_hash(&self, user: UserId, hash: String) -> StoreResult<()>;
    /// Replaces the recovery code hash.
    async fn set_recovery_hash(&self, user: UserId, hash: String) -> StoreResult<()>;
    /// The account itself.
    async fn me(&self, user: UserId) -> StoreResult<Me>;
    /// Public profiles of existing users among `ids`, in no set order.
    async fn profiles(&self, ids: Vec<UserId>) -> StoreResult<Vec<UserProfile>>;
    /// Applies a validated change.
    async fn update_profile(&self, user: UserId, change: ProfileChange) -> StoreResult<Me>;
    /// Username prefix or display-name substring, case-insensitive; users who blocked `viewer` left out.
    async fn search_users(&self, viewer: UserId, query: String, limit: u32) -> StoreResult<Vec<UserProfile>>;

    /// Stores a new session by its token's hash.
    async fn create_session(
        &self,
        user: UserId,
        token_hash: Vec<u8>,
        device_name: String,
        now: Millis,
    ) -> StoreResult<SessionId>;
    /// Looks a session up by its token's hash.
    async fn session_by_token(&self, token_hash: Vec<u8>) -> StoreResult<Option<SessionRow>>;
    /// Records activity.
    async fn touch_session(&self, session: SessionId, now: Millis) -> StoreResult<()>;
    /// The user's sessions (`current` left false).
    async fn sessions(&self, user: UserId) -> StoreResult<Vec<SessionInfo>>;
    /// Revokes one of the user's sessions; false if it was not theirs.
    async fn delete_session(&self, user: UserId, session: SessionId) -> StoreResult<bool>;
    /// Revokes all of the user's sessions but `keep`; returns the revoked ids.
    async fn delete_sessions_except(&self, user: UserId, keep: Option<SessionId>) -> StoreResult<Vec<SessionId>>;
}

/// How two users stand with each other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relation {
    /// Both have each other as friends.
    pub friends: bool,
    /// The first blocked the second.
    pub blocks: bool,
    /// The second blocked the first.
    pub blocked_by: bool,
}

impl Relation {
    /// Either blocked the other.
    pub fn any_block(&self) -> bool {
        self.blocks || self.blocked_by
    }
}

/// The stored fields of a friend request.
#[derive(Debug, Clone, Copy)]
pub struct FriendRequestRow {
    /// Its id.
    pub id: i64,
    /// Who asked.
    pub from_id: UserId,
    /// Who was asked.
    pub to_id: UserId,
    /// Still open.
    pub pending: bool,
}

/// What accepting a friend request made.
#[derive(Debug, Clone)]
pub struct Befriended {
    /// The request, now accepted.
    pub request: FriendRequest,
    /// Their direct conversation.
    pub conversation_id: ConversationId,
    /// Whether the conversation is new (no earlier friendship).
    pub new_conversation: bool,
}

/// Friends, friend requests, friend groups and blocks.
#[async_trait]
pub trait ContactStore: Send + Sync {
    /// How `a` and `b` stand.
    async fn relation(&self, a: UserId, b: UserId) -> StoreResult<Relation>;
    /// A new pending request; `Conflict` if one from `from` to `to` is pending.
    async fn create_friend_request(
        &self,
        from: UserId,
        to: UserId,
        message: String,
        now: Millis,
    ) -> StoreResult<FriendRequest>;
    /// The pending request from `from` to `to`, if any.
    async fn pending_request(&self, from: UserId, to: UserId) -> StoreResult<Option<i64>>;
    /// A request's stored fields.
    async fn friend_request(&self, id: i64) -> StoreResult<Option<FriendRequestRow>>;
    /// Accepts a pending request: both friend rows, the direct conversation (made if missing).
    async fn accept_friend_request(&self, id: i64, now: Millis) -> StoreResult<Befriended>;
    /// Makes `a` and `b` friends without a request (the assistant): both
    /// friend rows, the direct conversation (made if missing); whether it is new.
    async fn befriend(&self, a: UserId, b: UserId, now: Millis) -> StoreResult<(ConversationId, bool)>;
    /// Declines a pending request.
    async fn decline_friend_request(&self, id: i64, now: Millis) -> StoreResult<FriendRequest>;
    /// Pending requests both ways.
    async fn friend_requests(&self, user: UserId) -> StoreResult<FriendRequestList>;
    /// The user's friends (`online` left false).
    async fn friends(&self, user: UserId) -> StoreResult<Vec<Friend>>;
    /// The user's friends' ids.
    async fn friend_ids(&self, user: UserId) -> StoreResult<Vec<UserId>>;
    /// Changes remark or category; `NotFound` if not a friend, `Rejected` if the category is not the owner's.
    async fn update_friend(
        &self,
        owner: UserId,
        friend: UserId,
        remark: Patch<String>,
        group: Patch<FriendGroupId>,
    ) -> StoreResult<()>;
    /// Ends a friendship both ways; false if there was none.
    async fn delete_friend(&self, a: UserId, b: UserId) -> StoreResult<bool>;
    /// The user's categories, by position.
    async fn friend_groups(&self, user: UserId) -> StoreResult<Vec<FriendGroup>>;
    /// A new category at the end; `Conflict` on a duplicate name.
    async fn create_friend_group(&self, user: UserId, name: String) -> StoreResult<FriendGroup>;
    /// Renames; `NotFound` if not the user's.
    async fn rename_friend_group(&self, user: UserId, id: FriendGroupId, name: String) -> StoreResult<FriendGroup>;
    /// Deletes; friends in it become uncategorized. False if not the user's.
    async fn delete_friend_group(&self, user: UserId, id: FriendGroupId) -> StoreResult<bool>;
    /// Blocks (idempotent).
    async fn block(&self, blocker: UserId, blocked: UserId, now: Millis) -> StoreResult<()>;
    /// Unblocks; false if there was no block.
    async fn unblock(&self, blocker: UserId, blocked: UserId) -> StoreResult<bool>;
    /// Whom the user blocked.
    async fn blocks(&self, user: UserId) -> StoreResult<Vec<BlockedUser>>;
    /// Users who blocked `user` or whom `user` blocked.
    async fn block_peers(&self, user: UserId) -> StoreResult<Vec<UserId>>;
}

/// A new group.
#[derive(Debug, Clone)]
pub struct NewGroup {
    /// Validated.
    pub name: String,
    /// Checked by the caller.
    pub avatar: Option<FileId>,
    /// Validated.
    pub announcement: String,
    /// Who may join.
    pub join_policy: JoinPolicy,
    /// The creator.
    pub owner: UserId,
    /// Others to add as members.
    pub members: Vec<UserId>,
    /// Now.
    pub now: Millis,
}

/// A validated group change.
#[derive(Debug, Clone, Default)]
pub struct GroupChange {
    /// New name.
    pub name: Option<String>,
    /// New image.
    pub avatar: Patch<FileId>,
    /// New announcement.
    pub announcement: Option<String>,
    /// New policy.
    pub join_policy: Option<JoinPolicy>,
}

/// Groups and their members.
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Makes the group, its conversation and its members.
    async fn create_group(&self, group: NewGroup) -> StoreResult<Group>;
    /// A group by id.
    async fn group(&self, id: GroupId) -> StoreResult<Option<Group>>;
    /// The groups the user is in.
    async fn groups_of(&self, user: UserId) -> StoreResult<Vec<Group>>;
    /// Name substring or exact id; dissolved groups left out.
    async fn search_groups(&self, query: String, limit: u32) -> StoreResult<Vec<GroupSummary>>;
    /// The user's role, if a member.
    async fn role(&self, group: GroupId, user: UserId) -> StoreResult<Option<Role>>;
    /// All members.
    async fn members(&self, group: GroupId) -> StoreResult<Vec<GroupMember>>;
    /// All members' ids.
    async fn member_ids(&self, group: GroupId) -> StoreResult<Vec<UserId>>;
    /// Adds members (skipping those in already); returns who was added.
    async fn add_members(&self, group: GroupId, users: Vec<UserId>, now: Millis) -> StoreResult<Vec<UserId>>;
    /// Removes a member; false if not one.
    async fn remove_member(&self, group: GroupId, user: UserId) -> StoreResult<bool>;
    /// Applies a validated change.
    async fn update_group(&self, group: GroupId, change: GroupChange) -> StoreResult<Group>;
    /// Sets a member's role (not to or from owner).
    async fn set_role(&self, group: GroupId, user: UserId, role: Role) -> StoreResult<()>;
    /// Makes `to` the owner and `from` an admin.
    async fn transfer_ownership(&self, group: GroupId, from: UserId, to: UserId) -> StoreResult<()>;
    /// Sets a member's nickname.
    async fn set_nickname(&self, group: GroupId, user: UserId, nickname: Option<String>) -> StoreResult<()>;
    /// Marks the group dissolved and drops pending join requests.
    async fn dissolve(&self, group: GroupId) -> StoreResult<()>;
    /// Records (or refreshes) a join request.
    async fn create_join_request(&self, group: GroupId, user: UserId, message: String, now: Millis) -> StoreResult<()>;
    /// Pending join requests.
    async fn join_requests(&self, group: GroupId) -> StoreResult<Vec<GroupJoinRequest>>;
    /// Removes a join request and returns whose it was.
    async fn take_join_request(&self, group: GroupId, id: i64) -> StoreResult<Option<UserId>>;
}

/// Everything deciding a send (or a typing, a read, a call) needs, in one read.
#[derive(Debug, Clone)]
pub struct SendContext {
    /// Direct or group.
    pub kind: ConversationKind,
    /// Whether the caller is a member.
    pub is_member: bool,
    /// For direct: the other member.
    pub peer: Option<UserId>,
    /// For group: the group and whether it is dissolved.
    pub group: Option<(GroupId, bool)>,
    /// Everyone who receives the conversation's messages.
    pub member_ids: Vec<UserId>,
    /// The newest seq.
    pub last_seq: Seq,
}

/// The facts a send is decided on, read in the transaction that appends it.
#[derive(Debug, Clone)]
pub struct SendFacts {
    /// The sender's standing in the conversation.
    pub context: SendContext,
    /// For direct conversations: how the sender and the peer stand.
    pub relation: Option<Relation>,
}

/// Decides a send from its facts; a refusal is `StoreError::Rejected`.
pub type SendRule = Box<dyn FnOnce(&SendFacts) -> StoreResult<()> + Send>;

/// Decides a relation (an edit, a reaction) from the caller's facts and its
/// target as stored: whether it changes anything (`false`: nothing to
/// store); a refusal is `StoreError::Rejected`.
pub type RelationRule = Box<dyn FnOnce(&SendFacts, &Message) -> StoreResult<bool> + Send>;

/// A relation to store: `content` is an `Edit` or a `Reaction`, naming its
/// target.
#[derive(Debug, Clone)]
pub struct Relate {
    /// Where.
    pub conversation: ConversationId,
    /// Who.
    pub by: UserId,
    /// The relation.
    pub content: MessageContent,
    /// Now.
    pub now: Millis,
}

/// Pinning or unpinning a message.
#[derive(Debug, Clone)]
pub struct Pin {
    /// Where.
    pub conversation: ConversationId,
    /// Which message.
    pub seq: Seq,
    /// Who (allowed by the caller).
    pub by: UserId,
    /// Pin, or unpin.
    pub pinned: bool,
    /// Now.
    pub now: Millis,
    /// Pins a conversation may have.
    pub max: usize,
}

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Who sent (or caused) it.
    pub sender: UserId,
    /// The sender's id for it; empty for server-written messages.
    pub client_msg_id: String,
    /// Validated.
    pub content: MessageContent,
    /// Checked by the caller to be an existing seq.
    pub reply_to: Option<Seq>,
    /// Now; the stored time never goes below the conversation's last.
    pub now: Millis,
    /// Forwarded from another conversation.
    pub forwarded: bool,
    /// Who it mentions (checked by the caller's rule).
    pub mentions: ling_proto::messages::Mentions,
}

/// What appending did.
#[derive(Debug, Clone)]
pub struct Appended {
    /// The stored message (the original one for a duplicate).
    pub message: Message,
    /// Whether `(sender, client_msg_id)` was stored before: nothing new was written.
    pub duplicate: bool,
}

/// Where a history page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryBound {
    /// The newest messages.
    Latest,
    /// `seq > n`, oldest first.
    AfterSeq(Seq),
    /// `seq < n`, the newest of them.
    BeforeSeq(Seq),
    /// `send_time > t`, oldest first.
    AfterTime(Millis),
    /// `send_time < t`, the newest of them.
    BeforeTime(Millis),
}

/// Recalling a message.
#[derive(Debug, Clone)]
pub struct Recall {
    /// Where.
    pub conversation: ConversationId,
    /// Which.
    pub seq: Seq,
    /// Must be the sender.
    pub by: UserId,
    /// Now.
    pub now: Millis,
    /// How long after sending a recall is allowed.
    pub window_ms: Millis,
}

/// Conversations, messages and read cursors.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// The facts about `user` in `conversation`; `None` if it does not exist.
    async fn send_context(&self, user: UserId, conversation: ConversationId) -> StoreResult<Option<SendContext>>;
    /// Appends a message with the next seq, or finds the earlier one with the
    /// same `(sender, client_msg_id)`, applying no rule (server-written
    /// messages). `on_commit` gets it with the members to fan it out to.
    async fn append(
        &self,
        conversation: ConversationId,
        message: NewMessage,
        on_commit: OnCommit<(Appended, Vec<UserId>)>,
    ) -> StoreResult<()> {
        self.append_checked(conversation, message, Box::new(|_| Ok(())), on_commit).await
    }
    /// Like [`MessageStore::append`], but first reads the [`SendFacts`] and lets
    /// `rule` refuse, all in one transaction. A duplicate `(sender,
    /// client_msg_id)` is answered before the rule runs (a resend always gets
    /// its ack). Returns once the append is queued behind every write queued
    /// before it (so one connection's sends keep their order); `on_commit`
    /// gets the outcome, in commit order (see [`OnCommit`]).
    async fn append_checked(
        &self,
        conversation: ConversationId,
        message: NewMessage,
        rule: SendRule,
        on_commit: OnCommit<(Appended, Vec<UserId>)>,
    ) -> StoreResult<()>;
    /// One message.
    async fn message(&self, conversation: ConversationId, seq: Seq) -> StoreResult<Option<Message>>;
    /// A page of history, ascending by seq, and whether there is more beyond it.
    async fn history(&self, conversation: ConversationId, bound: HistoryBound, limit: u32) -> StoreResult<HistoryPage>;
    /// The user's conversations, newest activity first.
    async fn conversations(&self, user: UserId) -> StoreResult<Vec<Conversation>>;
    /// Moves the user's read cursor forward (clamped to the last seq); returns
    /// the cursor and whether it moved.
    async fn mark_read(&self, user: UserId, conversation: ConversationId, seq: Seq) -> StoreResult<(Seq, bool)>;
    /// Every member's read cursor.
    async fn read_cursors(&self, conversation: ConversationId) -> StoreResult<Vec<ReadCursor>>;
    /// Replaces a message's content with `Recalled` and appends a `MessageRecalled`
    /// system message, atomically; `on_commit` gets the notice, in commit
    /// order like an append. `Rejected` with `not_own_message`,
    /// `recall_window_passed` or `already_recalled`; `NotFound` if absent.
    async fn recall(&self, recall: Recall, on_commit: OnCommit<Message>) -> StoreResult<()>;
    /// Reads the caller's facts and the relation's target, applies `rule`,
    /// then (if it changes anything) appends the relation and folds it into
    /// the target (keeping an edited text's earlier version), atomically;
    /// `on_commit` gets the relation and the members to tell, or `None` when
    /// nothing changed. `NotFound` if the conversation or target is absent.
    /// Pins or unpins a shown message and appends the system note saying
    /// so, atomically; `on_commit` gets the note, or `None` when nothing
    /// changed. `Rejected` with `too_many_pins` or `invalid_request` (a
    /// message that cannot be pinned); `NotFound` if absent.
    async fn pin(&self, pin: Pin, on_commit: OnCommit<Option<Message>>) -> StoreResult<()>;
    /// See [`MessageStore::relate`].
    async fn relate(
        &self,
        relate: Relate,
        rule: RelationRule,
        on_commit: OnCommit<Option<(Message, Vec<UserId>)>>,
    ) -> StoreResult<()>;
}

/// Uploaded files' metadata (their bytes live in the blob store).
#[async_trait]
pub trait FileStore: Send + Sync {
    /// Records an upload.
    async fn insert_file(&self, uploader: UserId, info: FileInfo) -> StoreResult<()>;
    /// A file's metadata and uploader.
    async fn file(&self, id: FileId) -> StoreResult<Option<(FileInfo, UserId)>>;
    /// Whether `user` may read the file: the uploader, anyone for avatars, and
    /// the members of a conversation where it was sent.
    async fn can_read_file(&self, user: UserId, id: FileId) -> StoreResult<bool>;
    /// Makes the file readable by anyone logged in (it became an avatar).
    async fn mark_avatar(&self, id: FileId) -> StoreResult<()>;
}

/// The assistant's replies in progress (so a restart can end the ones it cut).
#[async_trait]
pub trait AssistantStore: Send + Sync {
    /// Records a reply to `question` as started; false if one is running already.
    async fn begin_reply(
        &self,
        conversation: ConversationId,
        question: Seq,
        asker: UserId,
        now: Millis,
    ) -> StoreResult<bool>;
    /// Forgets a reply (its message is stored).
    async fn end_reply(&self, conversation: ConversationId, question: Seq) -> StoreResult<()>;
    /// The replies recorded as started: `(conversation, question, started_at)`.
    async fn open_replies(&self) -> StoreResult<Vec<(ConversationId, Seq, Millis)>>;
}

/// Everything the server stores.
pub trait Store: AccountStore + ContactStore + GroupStore + MessageStore + FileStore + AssistantStore {}

impl<T: AccountStore + ContactStore + GroupStore + MessageStore + FileStore + AssistantStore> Store for T {}
