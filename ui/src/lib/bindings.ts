// Generated from the Rust types by `src-tauri/src/bindings.rs` (ts-rs). Do not edit:
// run `LING_UPDATE_BINDINGS=1 cargo test -p ling-desktop bindings` after changing them.

/**
 * Every code a command can fail with: the server's or the client core's
 * ([`Code`]), or the shell's own. The UI's type check makes sure each has a
 * sentence in both languages (`ui/src/lib/errors.ts`).
 */
export type AppCode = Code | ShellCode;

/**
 * A failed command.
 */
export type AppError = { 
/**
 * Stable, machine-readable: a server or `ling-client` error code, or one
 * of the shell's own (`not_logged_in`, `io_failed`).
 */
code: AppCode, 
/**
 * A sentence in English.
 */
message: string, 
/**
 * For `tls_failure`: the certificate's SHA-256 fingerprint.
 */
fingerprint: string | null, 
/**
 * For errors about a server address (`unreachable`, `tls_failure`, ...): the address.
 */
address: string | null, };

/**
 * The server's AI assistant: an account people chat with (`POST /v1/assistant/chat`).
 */
export type AssistantInfo = { 
/**
 * Its account.
 */
user_id: number, 
/**
 * The name its operator gave it; without one, clients name it in the person's language.
 */
name?: string | null, };

/**
 * A newer version.
 */
export type AvailableUpdate = { version: string, 
/**
 * The release notes, if the endpoint gave any.
 */
notes: string | null, 
/**
 * Whether this copy of Ling can install it itself (one installed from
 * a package or installer; not one built from source).
 */
installable: boolean, };

/**
 * One blocked user, as `GET /v1/blocks` lists them.
 */
export type BlockedUser = { 
/**
 * Their profile.
 */
user: UserProfile, 
/**
 * When the caller blocked them.
 */
since: number, };

/**
 * A message as the cache holds it.
 */
export type CachedMessage = { 
/**
 * Its conversation.
 */
conversation_id: number, 
/**
 * Its seq; `None` while sending.
 */
seq: number | null, 
/**
 * The sender's id for it (`None` for server-written messages).
 */
client_msg_id: string | null, 
/**
 * Who sent it.
 */
sender_id: number, 
/**
 * Server time once sent; local time while sending.
 */
send_time: number, 
/**
 * Uploading, sending, sent or failed.
 */
status: SendStatus, 
/**
 * The server's error code for a failed send.
 */
error_code: string | null, 
/**
 * What it says.
 */
content: MessageContent, 
/**
 * The seq it answers.
 */
reply_to: number | null, 
/**
 * What later relations changed (its edit, its reactions).
 */
changes: Changes, 
/**
 * Forwarded from another conversation.
 */
forwarded: boolean, 
/**
 * Deleted on this device ("delete for me"): kept, never shown.
 */
hidden: boolean, 
/**
 * Who its text mentions.
 */
mentions: Mentions, };

/**
 * What the settings offer.
 */
export type CallDeviceList = { microphones: Array<DeviceView>, speakers: Array<DeviceView>, cameras: Array<DeviceView>, chosen: DeviceChoice, };

/**
 * Why a call ended, as this device saw it.
 */
export type CallEnd = "completed" | "declined" | "busy" | "no_answer" | "cancelled" | "answered_elsewhere" | "declined_elsewhere" | "failed";

/**
 * Voice or video.
 */
export type CallMedia = "audio" | "video";

/**
 * Someone else in the call.
 */
export type CallMember = { user_id: number, state: MemberState, 
/**
 * Their connection, once connected.
 */
quality: CallQuality | null, 
/**
 * A picture from them arrived in the last second.
 */
video: boolean, };

/**
 * How a call ended.
 */
export type CallOutcome = "completed" | "missed" | "declined" | "cancelled" | "busy";

/**
 * Where this device stands in a call.
 */
export type CallPhase = "calling" | "incoming" | "active" | "ended";

/**
 * How someone's connection is doing.
 */
export type CallQuality = "good" | "fair" | "poor";

/**
 * The call as the window shows it.
 */
export type CallView = { call_id: string, conversation_id: number, 
/**
 * Who placed it.
 */
caller: number, media: CallMedia, phase: CallPhase, end: CallEnd | null, members: Array<CallMember>, muted: boolean, camera_on: boolean, 
/**
 * When the first answer came (ms since the epoch).
 */
answered_at: number | null, 
/**
 * A device that failed during the call (said for people).
 */
device_problem: string | null, 
/**
 * Counts the call's changes: of two views of one call, the one with
 * the higher revision is newer (a command's answer can reach the
 * window after a later `CallChanged`).
 */
revision: number, };

/**
 * What later relations changed about a message, folded (by the
 * `relations` module, which builds on these types): both the server and a
 * client keep this beside the message, and folding the same relations in
 * any order gives the same result.
 */
export type Changes = { 
/**
 * The newest edit: the message's content holds its text.
 */
edited?: Edited | null, 
/**
 * Each person's reaction with each emoji, including ones taken back
 * (`on: false`, kept so that an older relation folded later cannot
 * bring them back).
 */
reactions?: Array<ReactionMark>, };

/**
 * The client core's own error codes, beside the server's
 * [`ErrorCode`] (the two never share a spelling).
 */
export type ClientCode = "invalid_address" | "insecure_address" | "unreachable" | "not_a_ling_server" | "tls_failure" | "incompatible_version" | "message_not_found" | "invalid_input" | "logged_out" | "cancelled" | "file_unreadable" | "storage_failed" | "no_call" | "call_too_large" | "device_unavailable" | "media_file" | "unsupported_media" | "codec_failed" | "connection_failed" | "unknown_peer" | "source_ended" | "previews_off" | "link_blocked" | "link_timeout" | "link_failed" | "link_unsupported";

/**
 * Any code a client error carries: the server's or the core's own.
 */
export type Code = ErrorCode | ClientCode;

/**
 * Where the realtime session stands.
 */
export type ConnectionState = { "state": "offline" } | { "state": "connecting" } | { "state": "connected" } | { "state": "waiting", 
/**
 * Milliseconds until the next attempt.
 */
retry_in_ms: number, } | { "state": "logged_out" };

/**
 * Direct (a friend pair) or group.
 */
export type ConversationKind = "direct" | "group";

/**
 * One row of the conversation list, as the UI shows it.
 */
export type ConversationSummary = { 
/**
 * The conversation.
 */
id: number, 
/**
 * Direct or group.
 */
kind: ConversationKind, 
/**
 * The other person, in a direct conversation.
 */
peer_id: number | null, 
/**
 * The group, in a group conversation.
 */
group_id: number | null, 
/**
 * The friend's remark or name, or the group's name ("" until known).
 */
title: string, 
/**
 * The friend's or group's avatar.
 */
avatar: string | null, 
/**
 * The newest seq known.
 */
last_seq: number, 
/**
 * This account's read cursor.
 */
read_seq: number, 
/**
 * The peer's read cursor (direct only): drives read receipts.
 */
peer_read_seq: number | null, 
/**
 * Messages from others past the read cursor (capped at 9999).
 */
unread: number, 
/**
 * When something last happened (ms).
 */
last_activity: number, 
/**
 * Pinned to the top (local).
 */
pinned: boolean, 
/**
 * No notifications (local).
 */
muted: boolean, 
/**
 * Unsent text typed into the composer (local).
 */
draft: string, 
/**
 * The newest message, cached or as the server last reported it.
 */
last_message: CachedMessage | null, 
/**
 * Its pinned messages, oldest pinned first.
 */
pins: Array<number>, 
/**
 * Unread messages that mention this account (by name or `@all`),
 * oldest first (at most 99): the "@" badge, and where "next mention" jumps.
 */
unread_mentions: Array<number>, };

/**
 * The devices chosen for calls (`None`: the system's default).
 */
export type DeviceChoice = { microphone: string | null, speaker: string | null, camera: string | null, };

/**
 * One device in a list.
 */
export type DeviceView = { id: string, name: string, is_default: boolean, };

/**
 * The newest edit of a message.
 */
export type Edited = { 
/**
 * The edit's seq.
 */
seq: number, 
/**
 * When it was made.
 */
time: number, };

/**
 * A stable, machine-readable error code.
 */
export type ErrorCode = "invalid_json" | "invalid_request" | "payload_too_large" | "not_found" | "method_not_allowed" | "rate_limited" | "unauthorized" | "invalid_credentials" | "invalid_username" | "weak_password" | "username_taken" | "invalid_recovery_code" | "registration_closed" | "forbidden" | "not_a_member" | "not_friends" | "blocked" | "insufficient_role" | "already_friends" | "request_pending" | "request_closed" | "invalid_target" | "already_member" | "group_dissolved" | "owner_cannot_leave" | "group_full" | "text_too_long" | "invalid_content" | "invalid_preview" | "invalid_client_msg_id" | "recall_window_passed" | "not_own_message" | "already_recalled" | "not_editable" | "edit_unchanged" | "invalid_reaction" | "too_many_reactions" | "too_many_pins" | "file_too_large" | "invalid_file_name" | "empty_file" | "not_an_image" | "too_many_connections" | "request_timeout" | "frame_too_large" | "unknown_frame" | "unsupported_frame" | "invalid_call_signal" | "assistant_off" | "assistant_unavailable" | "assistant_rate_limited" | "assistant_timeout" | "assistant_interrupted" | "assistant_busy" | "assistant_request_limit" | "internal" | "shutting_down" | "unknown";

/**
 * Something the UI may want to redraw.
 */
export type Event = { "type": "message_new", 
/**
 * As cached.
 */
message: CachedMessage, } | { "type": "message_updated", 
/**
 * As cached now.
 */
message: CachedMessage, } | { "type": "message_removed", 
/**
 * Its conversation.
 */
conversation_id: number, 
/**
 * Its client id.
 */
client_msg_id: string, } | { "type": "upload_progress", 
/**
 * Its conversation.
 */
conversation_id: number, 
/**
 * The message's client id.
 */
client_msg_id: string, 
/**
 * Bytes uploaded.
 */
sent: number, 
/**
 * Bytes in all.
 */
total: number, } | { "type": "message_recalled", 
/**
 * Its conversation.
 */
conversation_id: number, 
/**
 * Its seq.
 */
seq: number, } | { "type": "conversation_updated", 
/**
 * Which.
 */
conversation_id: number, } | { "type": "conversations_changed" } | { "type": "contacts_changed" } | { "type": "friend_request", 
/**
 * The request.
 */
request: FriendRequest, } | { "type": "group_changed", 
/**
 * Which.
 */
group_id: number, } | { "type": "group_removed", 
/**
 * Which.
 */
group_id: number, } | { "type": "group_join_request", 
/**
 * Which.
 */
group_id: number, } | { "type": "profile_changed", 
/**
 * As now.
 */
user: UserProfile, } | { "type": "presence", 
/**
 * Who.
 */
user_id: number, 
/**
 * Now.
 */
online: boolean, } | { "type": "assistant_stream", 
/**
 * Where.
 */
conversation_id: number, 
/**
 * The assistant's account.
 */
user_id: number, 
/**
 * The seq of the message it answers.
 */
question: number, 
/**
 * Characters before `text`.
 */
offset: number, 
/**
 * What was added.
 */
text: string, } | { "type": "typing", 
/**
 * Where.
 */
conversation_id: number, 
/**
 * Who.
 */
user_id: number, } | { "type": "read", 
/**
 * Where.
 */
conversation_id: number, 
/**
 * Whose.
 */
user_id: number, 
/**
 * Up to which seq.
 */
seq: number, } | { "type": "connection", 
/**
 * Now.
 */
state: ConnectionState, } | { "type": "synced" } | { "type": "call_changed", 
/**
 * Now.
 */
call: CallView, };

/**
 * A file as a message refers to it. The server fills `name`, `size` and
 * `mime` from the upload; a client sends only `id`.
 */
export type FileRef = { 
/**
 * From the upload response.
 */
id: string, 
/**
 * The uploaded name.
 */
name: string, 
/**
 * Bytes.
 */
size: number, 
/**
 * As detected from the content.
 */
mime: string, };

/**
 * One friend, as `GET /v1/friends` lists them.
 */
export type Friend = { 
/**
 * Their profile.
 */
user: UserProfile, 
/**
 * The caller's private name for them.
 */
remark: string | null, 
/**
 * The caller's category for them.
 */
group_id: number | null, 
/**
 * The one-to-one conversation.
 */
conversation_id: number, 
/**
 * Whether they have a live connection (false if either blocked the other).
 */
online: boolean, 
/**
 * When they became friends.
 */
since: number, };

/**
 * A category of friends ("Family", "Work").
 */
export type FriendGroup = { 
/**
 * The group's id.
 */
id: number, 
/**
 * 1–32 characters, unique per user.
 */
name: string, 
/**
 * Display order, ascending.
 */
position: number, };

/**
 * A friend request, as `GET /v1/friend-requests` lists it and as pushed.
 */
export type FriendRequest = { 
/**
 * Pass to `/v1/friend-requests/{id}/accept` or `/decline`.
 */
id: number, 
/**
 * Who asked.
 */
from: UserProfile, 
/**
 * Who was asked.
 */
to: UserProfile, 
/**
 * What they wrote.
 */
message: string, 
/**
 * Where it stands.
 */
status: FriendRequestStatus, 
/**
 * When it was sent.
 */
created_at: number, };

/**
 * `GET /v1/friend-requests`: pending requests both ways.
 */
export type FriendRequestList = { 
/**
 * Others asking the caller.
 */
incoming: Array<FriendRequest>, 
/**
 * The caller asking others.
 */
outgoing: Array<FriendRequest>, };

/**
 * Where a friend request stands.
 */
export type FriendRequestStatus = "pending" | "accepted" | "declined";

/**
 * A group, as a member sees it.
 */
export type Group = { 
/**
 * The group's id (what "search by id" matches).
 */
id: number, 
/**
 * 1–64 characters.
 */
name: string, 
/**
 * An uploaded image.
 */
avatar: string | null, 
/**
 * Up to 2000 characters.
 */
announcement: string, 
/**
 * The one owner.
 */
owner_id: number, 
/**
 * Who may join.
 */
join_policy: JoinPolicy, 
/**
 * Members now.
 */
member_count: number, 
/**
 * The group's conversation.
 */
conversation_id: number, 
/**
 * Dissolved groups stay readable but cannot change or take messages.
 */
dissolved: boolean, 
/**
 * When it was made.
 */
created_at: number, };

/**
 * One member of a group.
 */
export type GroupMember = { 
/**
 * Their profile.
 */
user: UserProfile, 
/**
 * Their role.
 */
role: Role, 
/**
 * Their name in this group, if they set one.
 */
nickname: string | null, 
/**
 * When they joined.
 */
joined_at: number, };

/**
 * Who may join a group without an invitation.
 */
export type JoinPolicy = "open" | "approval";

/**
 * What a link leads to: made by the sender's client, which fetched the page
 * (with strict limits: see `docs/protocol.md`), and sent with the text. The
 * server checks its shape (`invalid_preview`); its image is an uploaded file
 * like any other.
 */
export type LinkPreview = { 
/**
 * The link as the text has it (http or https, at most 2,048 bytes).
 */
url: string, 
/**
 * The page's title (at most 200 characters).
 */
title?: string, 
/**
 * Its description (at most 500 characters).
 */
description?: string, 
/**
 * The site's name (at most 100 characters).
 */
site?: string, 
/**
 * Its picture, uploaded by the sender.
 */
image?: PreviewImage | null, };

/**
 * The logged-in user's own account, with private fields.
 */
export type Me = { 
/**
 * The account id.
 */
id: number, 
/**
 * Unique, lower-case.
 */
username: string, 
/**
 * Shown to others.
 */
display_name: string, 
/**
 * An uploaded image, readable by any logged-in user.
 */
avatar: string | null, 
/**
 * A short line about oneself.
 */
signature: string, 
/**
 * Private: never shown to others.
 */
phone: string | null, 
/**
 * When the account was made.
 */
created_at: number, };

/**
 * Where someone else stands in the call.
 */
export type MemberState = "invited" | "ringing" | "joining" | "connected" | "left";

/**
 * Who a text message mentions: people by id (its text says `@` and their
 * name), or everyone in the group (`@all`, owners and admins only). A
 * mention notifies even in a muted conversation.
 */
export type Mentions = { 
/**
 * People mentioned, each once.
 */
user_ids?: Array<number>, 
/**
 * `@all`: everyone in the group.
 */
all?: boolean, };

/**
 * What a message says. Tagged by `"kind"`.
 */
export type MessageContent = { "kind": "text", 
/**
 * 1 to `max_text_chars` characters.
 */
text: string, 
/**
 * What the first link in `text` leads to, as the sender's client
 * read it (readers never fetch it themselves).
 */
preview?: LinkPreview | null, } | { "kind": "image", 
/**
 * The uploaded file (must be an image).
 */
file: FileRef, 
/**
 * Pixels, as the server measured them at upload. A client may leave
 * both out when sending: the server fills them in.
 */
width: number, 
/**
 * Pixels.
 */
height: number, } | { "kind": "file", 
/**
 * The uploaded file.
 */
file: FileRef, } | { "kind": "voice", 
/**
 * The uploaded recording.
 */
file: FileRef, 
/**
 * How long it plays, 1 to [`VOICE_MAX_MS`].
 */
duration_ms: number, 
/**
 * Its loudness over time, at most [`WAVEFORM_BARS`] values from 0
 * (silence) to 255, drawn as bars.
 */
waveform: Array<number>, } | { "kind": "call_record", 
/**
 * Voice or video.
 */
media: CallMedia, 
/**
 * How it ended.
 */
outcome: CallOutcome, 
/**
 * Talk time, zero unless the call was answered.
 */
duration_ms: number, } | { "kind": "system", 
/**
 * What happened.
 */
event: SystemEvent, } | { "kind": "recalled" } | { "kind": "assistant", 
/**
 * Markdown, as the model wrote it; what was written before a stop or
 * a failure is kept (possibly nothing).
 */
text: string, 
/**
 * How it ended.
 */
end: ReplyEnd, 
/**
 * Why it failed, with `end` = `failed`.
 */
code?: ErrorCode | null, } | { "kind": "edit", 
/**
 * The edited message.
 */
target: number, 
/**
 * Its new text.
 */
text: string, } | { "kind": "reaction", 
/**
 * The message reacted to.
 */
target: number, 
/**
 * One emoji.
 */
emoji: string, 
/**
 * Added, or taken back.
 */
on: boolean, };

/**
 * A message row.
 */
export type MessageItem = { 
/**
 * `c:<client id>` (kept from local echo to sent), `s:<seq>` for a
 * message written by the server, `a:<question>` for the assistant's
 * reply to `question` while it streams.
 */
key: string, 
/**
 * As cached.
 */
message: CachedMessage, 
/**
 * Whether it opens a group of one sender's messages (draw the name).
 */
first_of_group: boolean, 
/**
 * Whether it closes one (draw the avatar, the tail).
 */
last_of_group: boolean, 
/**
 * Its reactions, by emoji in the order first used, with who reacted.
 */
reactions: Array<ReactionCount>, };

/**
 * The words of notifications, in the UI's language: one per
 * `NoticeText` key (`{name}`: the file's name).
 */
export type NoticeLabels = { 
/**
 * `app.name`
 */
app_name: string, 
/**
 * `notice.image`
 */
image: string, 
/**
 * `notice.voice`
 */
voice: string, 
/**
 * `notice.file`
 */
file: string, 
/**
 * `notice.call`
 */
call: string, 
/**
 * `notice.incomingVoiceCall`
 */
incoming_voice_call: string, 
/**
 * `notice.incomingVideoCall`
 */
incoming_video_call: string, 
/**
 * `notice.assistantFailed`
 */
assistant_failed: string, 
/**
 * `notice.reacted` (`{name}`, `{emoji}`)
 */
reacted: string, };

/**
 * What a player is doing.
 */
export type Playback = { 
/**
 * What is loaded (the app's name for it: a file id, or a staged path).
 */
key: string, 
/**
 * Where it is, in the note's own time.
 */
position_ms: number, 
/**
 * How long the note is.
 */
duration_ms: number, 
/**
 * Playing, or paused (or ended: paused at its end, which is then
 * position 0 again).
 */
playing: boolean, 
/**
 * 1, 1.5 or 2 (0.5 to 2 taken).
 */
speed: number, };

/**
 * This device's preferences for the account.
 */
export type Prefs = { 
/**
 * New messages raise desktop notifications.
 */
notifications: boolean, 
/**
 * Enter sends a message (Shift+Enter starts a new line); otherwise
 * Ctrl+Enter sends.
 */
enter_sends: boolean, 
/**
 * The microphone, speaker and camera for calls.
 */
devices: DeviceChoice, 
/**
 * The emoji offered first for a reaction, most recently used first.
 */
recent_reactions: Array<string>, 
/**
 * Someone's reaction to one's own message raises a notification.
 */
notify_reactions: boolean, 
/**
 * Links in what one sends get a preview, fetched by this device.
 */
link_previews: boolean, 
/**
 * Echo cancellation, noise suppression and gain on the microphone.
 */
sound: SoundProcessing, };

/**
 * A link preview's picture.
 */
export type PreviewImage = { 
/**
 * The uploaded image (the server fills the details, as for an image
 * message).
 */
file: FileRef, 
/**
 * Pixels, as the server measured them.
 */
width: number, 
/**
 * Pixels.
 */
height: number, };

/**
 * One emoji's reactions to a message, as drawn.
 */
export type ReactionCount = { 
/**
 * The emoji.
 */
emoji: string, 
/**
 * Who reacted with it, earliest first.
 */
user_ids: Array<number>, };

/**
 * One person's reaction with one emoji, as its newest relation left it.
 */
export type ReactionMark = { 
/**
 * The emoji.
 */
emoji: string, 
/**
 * Who.
 */
user_id: number, 
/**
 * The seq of the relation that set it.
 */
seq: number, 
/**
 * On, or taken back.
 */
on: boolean, };

/**
 * A voice note recorded and staged, ready to send or to throw away.
 */
export type RecordedVoice = { 
/**
 * The Ogg Opus file, in the account's `outgoing/` (removed once sent).
 */
path: string, 
/**
 * How long it plays.
 */
duration_ms: number, 
/**
 * Its loudness over time.
 */
waveform: Array<number>, };

/**
 * Where a recording stands.
 */
export type RecordingLevel = { 
/**
 * Recorded so far.
 */
elapsed_ms: number, 
/**
 * The latest loudness, 0 to 255.
 */
level: number, 
/**
 * It stopped by itself: the longest a note may be, or the microphone
 * failed. Stop it to keep what it has.
 */
done: boolean, };

/**
 * A new account.
 */
export type RegisteredView = { 
/**
 * Logged in as.
 */
me: Me, 
/**
 * Shown once, to keep: it resets a forgotten password.
 */
recovery_code: string, };

/**
 * How an assistant's reply ended.
 */
export type ReplyEnd = "finished" | "stopped" | "cut" | "failed";

/**
 * A member's role; each can do what the ones below it can.
 */
export type Role = "member" | "admin" | "owner";

/**
 * A change to the rows, as it crosses to a UI: [`VectorDiff`]
 * in a shape that has a TypeScript declaration. Applied in order, a
 * snapshot's changes keep a copy of the rows equal to the view's.
 */
export type RowDiff<T> = { "op": "append", values: Array<T>, } | { "op": "clear" } | { "op": "push_front", value: T, } | { "op": "push_back", value: T, } | { "op": "pop_front" } | { "op": "pop_back" } | { "op": "insert", index: number, value: T, } | { "op": "set", index: number, value: T, } | { "op": "remove", index: number, } | { "op": "truncate", length: number, } | { "op": "reset", values: Array<T>, };

/**
 * Where a cached message stands with the server.
 */
export type SendStatus = "uploading" | "sending" | "sent" | "failed" | "streaming";

/**
 * A server as the UI shows it.
 */
export type ServerView = { 
/**
 * The address that worked.
 */
url: string, 
/**
 * The name its operator gave it.
 */
name: string, 
/**
 * Whether new accounts may register (unknown, `true`, until probed).
 */
registration_open: boolean, };

/**
 * One logged-in device, as listed by `GET /v1/sessions`.
 */
export type SessionInfo = { 
/**
 * Pass to `DELETE /v1/sessions/{id}` to revoke it.
 */
id: number, 
/**
 * The name given at login.
 */
device_name: string, 
/**
 * When it logged in.
 */
created_at: number, 
/**
 * When it last made a request (updated at most once a minute).
 */
last_seen_at: number, 
/**
 * Whether this is the session making the request.
 */
current: boolean, };

/**
 * The shell's own error codes, beside the server's and the client
 * core's.
 */
export type ShellCode = "not_logged_in" | "no_server" | "io_failed" | "open_failed" | "shell_failed" | "autostart_failed" | "view_closed" | "update_unreachable" | "update_bad_signature" | "update_invalid" | "update_install_failed" | "update_not_permitted" | "update_package_refused" | "update_misconfigured" | "update_not_installable" | "update_not_found";

/**
 * What the microphone's sound goes through in a call (and a voice note,
 * but for the echo: nothing plays then). All on by default.
 */
export type SoundProcessing = { 
/**
 * The far end does not hear itself come back from this speaker.
 */
echo_cancellation: boolean, 
/**
 * A fan, a keyboard, a street are turned down.
 */
noise_suppression: boolean, 
/**
 * A quiet voice is brought up.
 */
auto_gain: boolean, };

/**
 * Where the app stands at start-up (and after a reload of the UI).
 */
export type Startup = { "stage": "choose_server" } | { "stage": "login", 
/**
 * The server.
 */
server: ServerView, 
/**
 * The username last used here, to fill in.
 */
username: string | null, } | { "stage": "ready", 
/**
 * The server.
 */
server: ServerView, 
/**
 * Who.
 */
me: Me, 
/**
 * Where the realtime session stands.
 */
connection: ConnectionState, };

/**
 * A change the server records in a conversation. Tagged by `"event"`.
 */
export type SystemEvent = { "event": "friends_connected" } | { "event": "group_created", 
/**
 * The creator.
 */
by: number, 
/**
 * Its first name.
 */
name: string, } | { "event": "members_joined", 
/**
 * The inviter or approver.
 */
by: number | null, 
/**
 * Who joined.
 */
user_ids: Array<number>, } | { "event": "member_left", 
/**
 * Who left.
 */
user_id: number, } | { "event": "member_kicked", 
/**
 * Who removed them.
 */
by: number, 
/**
 * Who was removed.
 */
user_id: number, } | { "event": "group_renamed", 
/**
 * Who renamed it.
 */
by: number, 
/**
 * The new name.
 */
name: string, } | { "event": "announcement_changed", 
/**
 * Who changed it.
 */
by: number, 
/**
 * The new text.
 */
announcement: string, } | { "event": "group_avatar_changed", 
/**
 * Who changed it.
 */
by: number, } | { "event": "join_policy_changed", 
/**
 * The owner.
 */
by: number, 
/**
 * The new policy.
 */
join_policy: JoinPolicy, } | { "event": "role_changed", 
/**
 * The owner.
 */
by: number, 
/**
 * Whose role.
 */
user_id: number, 
/**
 * The new role.
 */
role: Role, } | { "event": "ownership_transferred", 
/**
 * The old owner.
 */
from: number, 
/**
 * The new owner.
 */
to: number, } | { "event": "group_dissolved", 
/**
 * The owner.
 */
by: number, } | { "event": "message_recalled", 
/**
 * Its sender.
 */
by: number, 
/**
 * Which message.
 */
seq: number, } | { "event": "new_topic", 
/**
 * Who.
 */
by: number, } | { "event": "message_pinned", 
/**
 * Who.
 */
by: number, 
/**
 * Which message.
 */
seq: number, } | { "event": "message_unpinned", 
/**
 * Who.
 */
by: number, 
/**
 * Which message.
 */
seq: number, };

/**
 * One row of a conversation's timeline.
 */
export type TimelineItem = { "kind": "day", 
/**
 * Stable across diffs (the day's number).
 */
key: string, 
/**
 * The first message's time that day.
 */
time: number, } | { "kind": "unread", 
/**
 * Always `unread`.
 */
key: string, 
/**
 * Messages from others past the cursor.
 */
count: number, } | { "kind": "message" } & MessageItem;

/**
 * The timeline as opened.
 */
export type TimelineSnapshot = { 
/**
 * The rows now; the view's diffs apply to them.
 */
items: Array<TimelineItem>, 
/**
 * Whether the conversation's start is loaded.
 */
reached_start: boolean, 
/**
 * Whether the first unread message is loaded (the marker stands over
 * it), so the chat opens there; false when it lies further back than
 * [`UNREAD_REACH`] messages, or nothing is unread.
 */
at_unread: boolean, };

/**
 * The tray's words, in the UI's language (`{n}`: the unread count).
 */
export type TrayLabels = { 
/**
 * The menu item that shows the window.
 */
open: string, 
/**
 * The menu item that quits.
 */
quit: string, 
/**
 * The tooltip with nothing unread.
 */
idle: string, 
/**
 * The tooltip with unread messages (`{n}` is replaced).
 */
unread: string, };

/**
 * Where the updater stands.
 */
export type UpdateState = "off" | "idle" | "checking" | "up_to_date" | "available" | "downloading" | "installing" | "failed";

/**
 * What the settings show about updates.
 */
export type UpdateStatus = { 
/**
 * This app's version.
 */
current: string, state: UpdateState, available: AvailableUpdate | null, 
/**
 * While downloading: bytes so far, and the whole if the server said.
 */
downloaded: number | null, total: number | null, 
/**
 * When it last looked (Unix ms).
 */
checked_at: number | null, error: AppError | null, };

/**
 * Another user, as anyone logged in may see them.
 */
export type UserProfile = { 
/**
 * The account id.
 */
id: number, 
/**
 * Unique, lower-case.
 */
username: string, 
/**
 * Shown to others.
 */
display_name: string, 
/**
 * An uploaded image.
 */
avatar: string | null, 
/**
 * A short line about themselves.
 */
signature: string, };

/**
 * A batch of changes to an open view's rows, in order.
 */
export type ViewDiffs<T> = { 
/**
 * Which opening they belong to (the number the UI chose).
 */
view: number, 
/**
 * Applied in order.
 */
diffs: Array<RowDiff<T>>, };

/**
 * One batch of the open views' changes, of the same events.
 */
export type ViewsChanged = { 
/**
 * The open timeline's.
 */
timeline: ViewDiffs<TimelineItem> | null, 
/**
 * The conversation list's.
 */
conversations: ViewDiffs<ConversationSummary> | null, };
