// The one door to the Rust side: typed wrappers over the shell's commands and
// events. Every type here comes from bindings.ts, generated from Rust.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  AppError,
  AssistantInfo,
  BlockedUser,
  CachedMessage,
  CallDeviceList,
  CallView,
  ConnectionState,
  ConversationSummary,
  Event,
  FileRef,
  Friend,
  FriendRequest,
  FriendGroup,
  FriendRequestList,
  Group,
  GroupMember,
  Me,
  LinkPreview,
  Mentions,
  RegisteredView,
  Role,
  ServerView,
  SessionInfo,
  Startup,
  TimelineItem,
  TimelineSnapshot,
  TrayLabels,
  Playback,
  Prefs,
  RecordedVoice,
  RecordingLevel,
  NoticeLabels,
  UpdateStatus,
  UserProfile,
  ViewDiffs,
  ViewsChanged,
} from './bindings';

/** Any failure as `{code, message}`: the shell's errors already are; others are wrapped. */
export function toAppError(e: unknown): AppError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const x = e as AppError;
    return { code: x.code, message: String(x.message), fingerprint: x.fingerprint ?? null, address: x.address ?? null };
  }
  return { code: 'shell_failed', message: e instanceof Error ? e.message : String(e), fingerprint: null, address: null };
}

/** What crossed the seam since the window opened: commands invoked and
 * events handled, by name. The window tests read it (`window.__lingSeam`)
 * to hold what a message costs in round trips and events. */
export const seam = {
  invokes: {} as Record<string, number>,
  events: {} as Record<string, number>,
  /** `ling://event`s by type. */
  kinds: {} as Record<string, number>,
  /** Each `ling://views` as what it carried: the timeline's and the list's
   * diffs by kind ("t:set,set c:remove,insert"), to tell why there were more. */
  views: [] as string[],
  /** Chats opened: how long from asking to the first page painted, to the
   * core's answer (`timeline_open`) and to the start of the frame that
   * draws it, in ms, and its rows. */
  opens: [] as { conversation: number; ms: number; ipc: number; frame: number; rows: number }[],
};
(globalThis as { __lingSeam?: typeof seam }).__lingSeam = seam;

function count(into: Record<string, number>, name: string) {
  into[name] = (into[name] ?? 0) + 1;
}

/** Listens to the shell's event `name`, counted in `seam`. */
function on<T>(name: string, handler: (payload: T) => void): Promise<UnlistenFn> {
  return listen<T>(name, (m) => {
    count(seam.events, name);
    handler(m.payload);
  });
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  count(seam.invokes, cmd);
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toAppError(e);
  }
}

export const api = {
  startup: () => call<Startup>('startup'),
  setServer: (address: string, allowInsecure: boolean) =>
    call<ServerView>('set_server', { address, allowInsecure }),
  login: (username: string, password: string, remember: boolean) =>
    call<Me>('login', { username, password, remember }),
  register: (username: string, password: string, displayName: string | null) =>
    call<RegisteredView>('register', { username, password, displayName }),
  resetPassword: (username: string, recoveryCode: string, newPassword: string) =>
    call<string>('reset_password', { username, recoveryCode, newPassword }),
  logout: () => call<void>('logout'),
  switchServer: () => call<void>('switch_server'),
  me: () => call<Me>('me'),
  connection: () => call<ConnectionState>('connection'),
  reconnectNow: () => call<void>('reconnect_now'),

  conversationListOpen: (view: number) => call<ConversationSummary[]>('conversation_list_open', { view }),
  conversation: (id: number) => call<ConversationSummary | null>('conversation', { id }),
  timelineOpen: (view: number, conversationId: number) =>
    call<TimelineSnapshot>('timeline_open', { view, conversationId }),
  timelinePaginateBack: (view: number) => call<boolean>('timeline_paginate_back', { view }),
  timelinePaginateBackTo: (view: number, seq: number) => call<boolean>('timeline_paginate_back_to', { view, seq }),
  timelineClose: (view: number) => call<void>('timeline_close', { view }),
  sendText: (
    conversationId: number,
    text: string,
    replyTo: number | null,
    mentions: Mentions | null = null,
    preview: LinkPreview | null = null,
  ) => call<CachedMessage>('send_text', { conversationId, text, replyTo, mentions, preview }),
  linkPreview: (url: string) => call<LinkPreview>('link_preview', { url }),
  sendFiles: (conversationId: number, paths: string[]) =>
    call<CachedMessage[]>('send_files', { conversationId, paths }),
  discard: (clientMsgId: string) => call<void>('discard', { clientMsgId }),
  retry: (clientMsgId: string) => call<void>('retry', { clientMsgId }),
  markRead: (conversationId: number, seq: number) => call<void>('mark_read', { conversationId, seq }),
  setReading: (conversationId: number | null) => call<void>('set_reading', { conversationId }),
  typing: (conversationId: number) => call<void>('typing', { conversationId }),
  recall: (conversationId: number, seq: number) => call<void>('recall', { conversationId, seq }),
  editMessage: (conversationId: number, seq: number, text: string) =>
    call<void>('edit_message', { conversationId, seq, text }),
  react: (conversationId: number, seq: number, emoji: string, on: boolean) =>
    call<void>('react', { conversationId, seq, emoji, on }),
  forward: (messages: [number, number][], to: number[]) => call<void>('forward', { messages, to }),
  deleteForMe: (conversationId: number, seq: number) => call<void>('delete_for_me', { conversationId, seq }),
  pinMessage: (conversationId: number, seq: number, pinned: boolean) =>
    call<void>('pin_message', { conversationId, seq, pinned }),
  setPinned: (conversationId: number, pinned: boolean) => call<void>('set_pinned', { conversationId, pinned }),
  setMuted: (conversationId: number, muted: boolean) => call<void>('set_muted', { conversationId, muted }),
  setDraft: (conversationId: number, draft: string) => call<void>('set_draft', { conversationId, draft }),
  searchMessages: (query: string, conversationId: number | null) =>
    call<CachedMessage[]>('search_messages', { query, conversationId }),

  assistantInfo: () => call<AssistantInfo | null>('assistant_info'),
  assistantChat: () => call<number>('assistant_chat'),
  assistantStop: (conversationId: number, question: number) =>
    call<void>('assistant_stop', { conversationId, question }),
  assistantRegenerate: (conversationId: number, question: number) =>
    call<void>('assistant_regenerate', { conversationId, question }),
  assistantNewTopic: (conversationId: number) => call<void>('assistant_new_topic', { conversationId }),

  downloadFile: (file: FileRef) => call<string>('download_file', { file }),
  openFile: (file: FileRef) => call<void>('open_file', { file }),
  showInFolder: (file: FileRef) => call<void>('show_in_folder', { file }),
  saveFileAs: (file: FileRef) => call<boolean>('save_file_as', { file }),
  pickFiles: () => call<string[]>('pick_files'),
  stageBytes: (name: string, bytes: number[]) => call<string>('stage_bytes', { name, bytes }),
  openUrl: (url: string) => call<void>('open_url', { url }),

  friends: () => call<Friend[]>('friends'),
  friendRequests: () => call<FriendRequestList>('friend_requests'),
  searchUsers: (query: string) => call<UserProfile[]>('search_users', { query }),
  sendFriendRequest: (userId: number, message: string) =>
    call<FriendRequest>('send_friend_request', { userId, message }),
  acceptFriendRequest: (id: number) => call<FriendRequest>('accept_friend_request', { id }),
  declineFriendRequest: (id: number) => call<FriendRequest>('decline_friend_request', { id }),
  user: (id: number) => call<UserProfile | null>('user', { id }),
  groups: () => call<Group[]>('groups'),
  groupMembers: (groupId: number) => call<GroupMember[]>('group_members', { groupId }),

  setRemark: (userId: number, remark: string | null) => call<void>('set_remark', { userId, remark }),
  setFriendGroup: (userId: number, groupId: number | null) => call<void>('set_friend_group', { userId, groupId }),
  removeFriend: (userId: number) => call<void>('remove_friend', { userId }),
  friendGroups: () => call<FriendGroup[]>('friend_groups'),
  createFriendGroup: (name: string) => call<FriendGroup>('create_friend_group', { name }),
  renameFriendGroup: (id: number, name: string) => call<FriendGroup>('rename_friend_group', { id, name }),
  deleteFriendGroup: (id: number) => call<void>('delete_friend_group', { id }),
  blocks: () => call<BlockedUser[]>('blocks'),
  setBlocked: (userId: number, blocked: boolean) => call<void>('set_blocked', { userId, blocked }),

  createGroup: (name: string, memberIds: number[]) => call<Group>('create_group', { name, memberIds }),
  updateGroup: (groupId: number, change: { name?: string; announcement?: string; clearAvatar?: boolean }) =>
    call<Group>('update_group', {
      groupId,
      name: change.name ?? null,
      announcement: change.announcement ?? null,
      clearAvatar: change.clearAvatar ?? false,
    }),
  setGroupAvatar: (groupId: number, path: string) => call<Group>('set_group_avatar', { groupId, path }),
  invite: (groupId: number, userIds: number[]) => call<number[]>('invite', { groupId, userIds }),
  kick: (groupId: number, userId: number) => call<void>('kick', { groupId, userId }),
  setMemberRole: (groupId: number, userId: number, role: Role) =>
    call<void>('set_member_role', { groupId, userId, role }),
  transferGroup: (groupId: number, userId: number) => call<void>('transfer_group', { groupId, userId }),
  leaveGroup: (groupId: number) => call<void>('leave_group', { groupId }),
  dissolveGroup: (groupId: number) => call<void>('dissolve_group', { groupId }),

  updateProfile: (change: { displayName?: string; signature?: string; clearAvatar?: boolean }) =>
    call<Me>('update_profile', {
      displayName: change.displayName ?? null,
      signature: change.signature ?? null,
      clearAvatar: change.clearAvatar ?? false,
    }),
  setAvatar: (path: string) => call<Me>('set_avatar', { path }),
  changePassword: (oldPassword: string, newPassword: string) =>
    call<void>('change_password', { oldPassword, newPassword }),
  sessions: () => call<SessionInfo[]>('sessions'),
  revokeSession: (id: number) => call<void>('revoke_session', { id }),
  pickImage: () => call<string | null>('pick_image'),
  prefs: () => call<Prefs>('prefs'),
  setPrefs: (prefs: Prefs) => call<void>('set_prefs', { prefs }),
  launchAtLogin: () => call<boolean>('launch_at_login'),
  setLaunchAtLogin: (enabled: boolean) => call<void>('set_launch_at_login', { enabled }),

  voiceRecordStart: () => call<void>('voice_record_start'),
  voiceRecordLevel: () => call<RecordingLevel>('voice_record_level'),
  voiceRecordStop: () => call<RecordedVoice>('voice_record_stop'),
  voiceDiscard: (path: string | null) => call<void>('voice_discard', { path }),
  sendVoice: (conversationId: number, note: RecordedVoice) => call<CachedMessage>('send_voice', { conversationId, note }),
  voicePlay: (key: string, file: FileRef | null, path: string | null, fromMs: number) =>
    call<void>('voice_play', { key, file, path, fromMs }),
  voiceSetPlaying: (playing: boolean) => call<void>('voice_set_playing', { playing }),
  voiceSeek: (ms: number) => call<void>('voice_seek', { ms }),
  voiceSetSpeed: (speed: number) => call<void>('voice_set_speed', { speed }),

  micTestStart: () => call<void>('mic_test_start'),
  micTestLevel: () => call<number>('mic_test_level'),
  micTestStop: () => call<void>('mic_test_stop'),
  speakerTest: () => call<void>('speaker_test'),

  callStart: (conversationId: number, video: boolean) => call<CallView>('call_start', { conversationId, video }),
  callAccept: (callId: string) => call<CallView>('call_accept', { callId }),
  callDecline: (callId: string) => call<void>('call_decline', { callId }),
  callHangUp: () => call<void>('call_hang_up'),
  callInvite: (userId: number) => call<CallView>('call_invite', { userId }),
  callSetMuted: (muted: boolean) => call<CallView>('call_set_muted', { muted }),
  callSetCamera: (on: boolean) => call<CallView>('call_set_camera', { on }),
  callCurrent: () => call<CallView | null>('call_current'),
  callDevices: () => call<CallDeviceList>('call_devices'),

  setTrayLabels: (labels: TrayLabels) => call<void>('set_tray_labels', { labels }),
  setNoticeLabels: (labels: NoticeLabels) => call<void>('set_notice_labels', { labels }),
  closeWindow: () => call<void>('close_window'),
  uiReady: () => call<void>('ui_ready'),

  updateStatus: () => call<UpdateStatus>('update_status'),
  checkForUpdate: () => call<UpdateStatus>('check_for_update'),
  installUpdate: () => call<void>('install_update'),
};

/** Client events (already applied to the cache when they arrive). */
export function onEvent(handler: (e: Event) => void): Promise<UnlistenFn> {
  return on<Event>('ling://event', (e) => {
    count(seam.kinds, e.type);
    handler(e);
  });
}

/** The event stream overflowed: re-read everything shown. */
export function onResync(handler: () => void): Promise<UnlistenFn> {
  return on<null>('ling://resync', () => handler());
}

/** One part of `ling://views`, which carries the open views' changes of
 * the same events together (a message that arrived: its row and its chat's
 * entry). The event is counted once, by the listener of its first part. */
function onViews<K extends 'conversations' | 'timeline'>(
  part: K,
  handler: (d: NonNullable<ViewsChanged[K]>) => void,
): Promise<UnlistenFn> {
  return listen<ViewsChanged>('ling://views', (m) => {
    const changed = m.payload;
    const mine = changed[part];
    if (!mine) return;
    const first = changed.conversations ? 'conversations' : 'timeline';
    if (first === part) {
      count(seam.events, 'ling://views');
      const kinds = (d: { diffs: { op: string }[] } | null | undefined) => (d?.diffs ?? []).map((x) => x.op).join(',');
      seam.views.push(`t:${kinds(changed.timeline)} c:${kinds(changed.conversations)}`);
    }
    handler(mine as NonNullable<ViewsChanged[K]>);
  });
}

/** The open timeline's changes (see `stores/timeline.svelte.ts`). */
export function onTimeline(handler: (d: ViewDiffs<TimelineItem>) => void): Promise<UnlistenFn> {
  return onViews('timeline', handler);
}

/** The conversation list's changes (see `stores/rows.svelte.ts`). */
export function onConversations(handler: (d: ViewDiffs<ConversationSummary>) => void): Promise<UnlistenFn> {
  return onViews('conversations', handler);
}

/** A notification was clicked: the shell shows the window; open this conversation. */
export function onOpenConversation(handler: (conversationId: number) => void): Promise<UnlistenFn> {
  return on<number>('ling://open-conversation', handler);
}

/** The updater's status changed. */
export function onVoice(handler: (p: Playback) => void): Promise<UnlistenFn> {
  return on<Playback>('ling://voice', handler);
}

export function onUpdate(handler: (s: UpdateStatus) => void): Promise<UnlistenFn> {
  return on<UpdateStatus>('ling://update', handler);
}

/** URL of a cached thumbnail (served by the shell's `ling-file:` scheme). */
export function thumbUrl(fileId: string): string {
  return `${fileBase()}/thumb/${encodeURIComponent(fileId)}`;
}

/** URL of a whole cached file. */
export function fileUrl(f: FileRef): string {
  const q = new URLSearchParams({ name: f.name, size: String(f.size), mime: f.mime });
  return `${fileBase()}/file/${encodeURIComponent(f.id)}?${q}`;
}

/** URL of a call tile's latest picture newer than `after` (peer 0: oneself). */
export function videoUrl(peer: number, after: number): string {
  return `${schemeBase('ling-video')}/${peer}?after=${after}`;
}

// Custom schemes are `scheme://localhost` on Linux and macOS, `http://scheme.localhost` on Windows.
function schemeBase(scheme: string): string {
  return navigator.userAgent.includes('Windows') ? `http://${scheme}.localhost` : `${scheme}://localhost`;
}

function fileBase(): string {
  return schemeBase('ling-file');
}
