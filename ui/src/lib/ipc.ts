// The one door to the Rust side: typed wrappers over the shell's commands and
// events. Every type here comes from bindings.ts, generated from Rust.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  AppError,
  CachedMessage,
  ConnectionState,
  ConversationSummary,
  Event,
  FileRef,
  Friend,
  FriendRequest,
  FriendRequestList,
  Group,
  GroupMember,
  Me,
  RegisteredView,
  ServerView,
  Startup,
  TrayLabels,
  UploadProgress,
  UserProfile,
} from './bindings';

/** Any failure as `{code, message}`: the shell's errors already are; others are wrapped. */
export function toAppError(e: unknown): AppError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const x = e as AppError;
    return { code: String(x.code), message: String(x.message), fingerprint: x.fingerprint ?? null, address: x.address ?? null };
  }
  return { code: 'shell_failed', message: e instanceof Error ? e.message : String(e), fingerprint: null, address: null };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
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

  conversations: () => call<ConversationSummary[]>('conversations'),
  conversation: (id: number) => call<ConversationSummary | null>('conversation', { id }),
  history: (conversationId: number, before: number | null, count: number) =>
    call<CachedMessage[]>('history', { conversationId, before, count }),
  sendText: (conversationId: number, text: string, replyTo: number | null) =>
    call<CachedMessage>('send_text', { conversationId, text, replyTo }),
  sendFiles: (conversationId: number, paths: string[]) => call<string[]>('send_files', { conversationId, paths }),
  cancelUpload: (uploadId: string) => call<void>('cancel_upload', { uploadId }),
  retry: (clientMsgId: string) => call<void>('retry', { clientMsgId }),
  markRead: (conversationId: number, seq: number) => call<void>('mark_read', { conversationId, seq }),
  typing: (conversationId: number) => call<void>('typing', { conversationId }),
  recall: (conversationId: number, seq: number) => call<void>('recall', { conversationId, seq }),
  setPinned: (conversationId: number, pinned: boolean) => call<void>('set_pinned', { conversationId, pinned }),
  setMuted: (conversationId: number, muted: boolean) => call<void>('set_muted', { conversationId, muted }),
  setDraft: (conversationId: number, draft: string) => call<void>('set_draft', { conversationId, draft }),
  searchMessages: (query: string, conversationId: number | null) =>
    call<CachedMessage[]>('search_messages', { query, conversationId }),

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
  setTrayLabels: (labels: TrayLabels) => call<void>('set_tray_labels', { labels }),
  closeWindow: () => call<void>('close_window'),
  uiReady: () => call<void>('ui_ready'),
};

/** Client events (already applied to the cache when they arrive). */
export function onEvent(handler: (e: Event) => void): Promise<UnlistenFn> {
  return listen<Event>('ling://event', (m) => handler(m.payload));
}

/** The event stream overflowed: re-read everything shown. */
export function onResync(handler: () => void): Promise<UnlistenFn> {
  return listen('ling://resync', () => handler());
}

/** Progress of files being sent. */
export function onUpload(handler: (p: UploadProgress) => void): Promise<UnlistenFn> {
  return listen<UploadProgress>('ling://upload', (m) => handler(m.payload));
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

// Custom schemes are `scheme://localhost` on Linux and macOS, `http://scheme.localhost` on Windows.
function fileBase(): string {
  return navigator.userAgent.includes('Windows') ? 'http://ling-file.localhost' : 'ling-file://localhost';
}
