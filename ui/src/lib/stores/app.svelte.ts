// The app's state: which screen, who is logged in, the conversation list,
// the open conversation, contacts. Fed by commands and by the shell's events.
import type {
  AssistantInfo,
  BlockedUser,
  ConnectionState,
  ConversationSummary,
  Event,
  Friend,
  FriendGroup,
  FriendRequestList,
  Group,
  Me,
  ServerView,
  UserProfile,
} from '../bindings';
import { api, onConversations, onEvent, onOpenConversation, onResync } from '../ipc';
import { totalUnread } from './conversations';
import { ViewCopy } from './rows.svelte';
import { t } from '../i18n/index.svelte';
import { callStore } from './call.svelte';
import { settings } from './settings.svelte';

export type Stage = 'loading' | 'choose_server' | 'login' | 'ready';
export type Tab = 'chats' | 'contacts' | 'settings';
/** What the contacts tab shows on its right. */
export type ContactsView =
  | { kind: 'requests' }
  | { kind: 'friend'; userId: number }
  | { kind: 'group'; groupId: number }
  | { kind: 'new_group' };

const TYPING_SHOWN_MS = 6000;

class AppStore {
  stage = $state<Stage>('loading');
  server = $state<ServerView | null>(null);
  lastUsername = $state<string | null>(null);
  me = $state<Me | null>(null);
  connection = $state<ConnectionState>({ state: 'offline' });
  synced = $state(false);
  tab = $state<Tab>('chats');
  /** The conversation list, in list order, as the shell keeps it. */
  private list = $state.raw(new ViewCopy<ConversationSummary>());
  openId = $state<number | null>(null);
  friends = $state<Friend[]>([]);
  requests = $state<FriendRequestList>({ incoming: [], outgoing: [] });
  friendGroups = $state<FriendGroup[]>([]);
  blocks = $state<BlockedUser[]>([]);
  groups = $state<Group[]>([]);
  /** Whether `groups` has been read since login (until then, nothing is known). */
  groupsLoaded = $state(false);
  /** The server's AI assistant, if it has one. */
  assistant = $state<AssistantInfo | null>(null);
  contactsView = $state<ContactsView>({ kind: 'requests' });
  users = $state<Record<number, UserProfile>>({});
  online = $state<Record<number, boolean>>({});
  /** conversation id → user id → until (ms) */
  typing = $state<Record<number, Record<number, number>>>({});
  /** Files being uploaded: message client id → [sent, total] bytes (the
   * core's send queue reports each whole percent). */
  uploads = $state<Record<string, [number, number]>>({});
  /** Event listeners for the open chat (the chat store registers one). */
  private chatListeners = new Set<(e: Event) => void>();
  private unlisten: Array<() => void> = [];

  unread = $derived(totalUnread(this.conversations));
  open = $derived(this.conversations.find((c) => c.id === this.openId) ?? null);

  /** The conversations, in list order (pinned, then the most recently
   * active): the shell sorts them and sends the changes. */
  get conversations(): ConversationSummary[] {
    return this.list.rows;
  }

  async start() {
    if (this.unlisten.length === 0) {
      this.unlisten.push(
        await onEvent((e) => this.apply(e)),
        await onConversations((d) => void this.list.receive(d)),
        await onResync(() => void this.reload()),
        await onOpenConversation((id) => void this.openFromNotification(id)),
      );
    }
    const s = await api.startup();
    switch (s.stage) {
      case 'choose_server':
        this.stage = 'choose_server';
        break;
      case 'login':
        this.server = s.server;
        this.lastUsername = s.username;
        this.stage = 'login';
        break;
      case 'ready':
        this.server = s.server;
        await this.enter(s.me, s.connection);
        break;
    }
  }

  /** Logged in: show the chat list from the cache at once. */
  async enter(me: Me, connection?: ConnectionState) {
    this.me = me;
    if (connection) this.connection = connection;
    await Promise.all([this.openList(), settings.load()]);
    this.stage = 'ready';
    void this.loadContacts();
    void this.loadGroups();
    void this.loadAssistant();
    void callStore.restore();
  }

  async reload() {
    if (this.stage !== 'ready') return;
    await Promise.all([this.loadContacts(), this.loadGroups(), this.loadAssistant()]);
  }

  async loadAssistant() {
    this.assistant = await api.assistantInfo().catch(() => this.assistant);
  }

  /** Whether `id` is the server's assistant. */
  isAssistant(id: number | null | undefined): boolean {
    return id != null && this.assistant?.user_id === id;
  }

  /** Opens the person's chat with the assistant (made on first use). */
  async openAssistant() {
    this.select(await api.assistantChat());
  }

  async loadContacts() {
    const [friends, requests, friendGroups, blocks] = await Promise.all([
      api.friends(),
      api.friendRequests(),
      api.friendGroups(),
      api.blocks(),
    ]);
    this.friends = friends;
    this.requests = requests;
    this.friendGroups = friendGroups;
    this.blocks = blocks;
    const users = { ...this.users };
    for (const f of friends) {
      users[f.user.id] = f.user;
      this.online[f.user.id] = f.online;
    }
    for (const r of [...requests.incoming, ...requests.outgoing]) {
      users[r.from.id] = r.from;
      users[r.to.id] = r.to;
    }
    this.users = users;
  }

  async loadGroups() {
    this.groups = await api.groups();
    this.groupsLoaded = true;
  }

  /** The group behind a group conversation, if the account is still in it. */
  groupOf(c: ConversationSummary): Group | null {
    return c.group_id === null ? null : (this.groups.find((g) => g.id === c.group_id) ?? null);
  }

  /** Shows a friend's or a group's card in the contacts tab. */
  showContact(view: ContactsView) {
    this.contactsView = view;
    this.tab = 'contacts';
  }

  /** Opens the shell's conversation list: its rows now, its changes as
   * they come. */
  private async openList() {
    const list = new ViewCopy<ConversationSummary>();
    this.list = list;
    list.start(await api.conversationListOpen(list.view));
  }

  /** The name to show for a user: remark, display name, username. (A
   * bound function: components pass it on as `app.nameOf`.) */
  nameOf = (id: number): string => {
    if (this.me && id === this.me.id) return this.me.display_name || this.me.username;
    if (this.assistant && id === this.assistant.user_id) return this.assistant.name ?? t('assistant.name');
    const f = this.friends.find((x) => x.user.id === id);
    if (f?.remark) return f.remark;
    const u = this.users[id] ?? f?.user;
    if (u) return u.display_name || u.username;
    void this.lookupUser(id);
    return `#${id}`;
  };

  /** Every name someone may be written as (`@` them): the remark, their
   * name, their username, as far as known. */
  namesOf = (id: number): string[] => {
    const f = this.friends.find((x) => x.user.id === id);
    const u = this.users[id] ?? f?.user;
    return [f?.remark, u?.display_name, u?.username, this.nameOf(id)].filter((n): n is string => !!n);
  };

  /** A conversation's name: the friend's remark or name, or the group's. */
  titleOf(c: ConversationSummary): string {
    if (this.isAssistant(c.peer_id)) return this.nameOf(c.peer_id!);
    if (c.title) return c.title;
    return c.peer_id !== null ? this.nameOf(c.peer_id) : `#${c.id}`;
  }

  private pendingLookups = new Set<number>();
  private async lookupUser(id: number) {
    if (this.pendingLookups.has(id)) return;
    this.pendingLookups.add(id);
    const u = await api.user(id).catch(() => null);
    if (u) this.users = { ...this.users, [id]: u };
  }

  onChatEvent(listener: (e: Event) => void): () => void {
    this.chatListeners.add(listener);
    return () => this.chatListeners.delete(listener);
  }

  /** A message from `userId` arrived in the open chat: not typing now. */
  stoppedTyping(conversationId: number, userId: number) {
    if (!this.typing[conversationId]?.[userId]) return;
    const m = { ...this.typing[conversationId] };
    delete m[userId];
    this.typing = { ...this.typing, [conversationId]: m };
  }

  typingIn(conversationId: number, now = Date.now()): number[] {
    const m = this.typing[conversationId] ?? {};
    return Object.entries(m)
      .filter(([, until]) => until > now)
      .map(([id]) => Number(id));
  }

  apply(e: Event) {
    switch (e.type) {
      case 'connection':
        this.connection = e.state;
        if (e.state.state === 'logged_out') void this.loggedOut();
        break;
      case 'synced':
        this.synced = true;
        void this.reload();
        break;
      case 'contacts_changed':
      case 'friend_request':
        void this.loadContacts();
        break;
      case 'group_changed':
      case 'group_removed':
        void this.loadGroups();
        break;
      case 'profile_changed':
        this.users = { ...this.users, [e.user.id]: e.user };
        if (this.me && e.user.id === this.me.id) {
          this.me = { ...this.me, display_name: e.user.display_name, avatar: e.user.avatar, signature: e.user.signature };
        }
        break;
      case 'call_changed':
        callStore.apply(e.call);
        break;
      case 'presence':
        this.online = { ...this.online, [e.user_id]: e.online };
        break;
      case 'upload_progress':
        this.applyUpload(e.client_msg_id, e.sent, e.total);
        break;
      case 'typing': {
        const until = Date.now() + TYPING_SHOWN_MS;
        this.typing = { ...this.typing, [e.conversation_id]: { ...(this.typing[e.conversation_id] ?? {}), [e.user_id]: until } };
        setTimeout(() => (this.typing = { ...this.typing }), TYPING_SHOWN_MS + 50);
        break;
      }
      default:
        break;
    }
    for (const l of this.chatListeners) l(e);
  }

  /** Removes a message not sent (failed, or its file uploading). */
  async discard(clientMsgId: string) {
    await api.discard(clientMsgId);
    this.forgetUpload(clientMsgId);
  }

  private applyUpload(clientMsgId: string, sent: number, total: number) {
    if (sent >= total) this.forgetUpload(clientMsgId);
    else this.uploads = { ...this.uploads, [clientMsgId]: [sent, total] };
  }

  private forgetUpload(clientMsgId: string) {
    const { [clientMsgId]: _, ...rest } = this.uploads;
    this.uploads = rest;
  }

  /** A notification was clicked: show its conversation (read first if the
   * list does not have it yet). */
  async openFromNotification(id: number) {
    if (this.stage !== 'ready') return;
    // Not in the list yet: shown once it is, if the account can read it.
    const known = this.conversations.some((c) => c.id === id) || (await api.conversation(id)) !== null;
    if (known) this.select(id);
  }

  select(id: number | null) {
    this.openId = id;
    this.tab = 'chats';
  }

  async logout() {
    await api.logout();
    this.reset();
    this.stage = 'login';
  }

  async switchServer() {
    await api.switchServer();
    this.reset();
    this.server = null;
    this.stage = 'choose_server';
  }

  private async loggedOut() {
    this.reset();
    this.stage = this.server ? 'login' : 'choose_server';
  }

  private reset() {
    this.me = null;
    this.list = new ViewCopy<ConversationSummary>();
    this.openId = null;
    this.friends = [];
    this.requests = { incoming: [], outgoing: [] };
    this.friendGroups = [];
    this.blocks = [];
    this.groups = [];
    this.groupsLoaded = false;
    this.contactsView = { kind: 'requests' };
    this.synced = false;
    this.uploads = {};
    this.connection = { state: 'offline' };
  }

  trayLabels() {
    return { open: t('tray.open'), quit: t('tray.quit'), idle: t('app.name'), unread: t('tray.unread') };
  }

  /** The words of notifications (`{name}` stays for the shell to fill). */
  noticeLabels() {
    return {
      app_name: t('app.name'),
      image: t('notice.image'),
      voice: t('notice.voice'),
      file: t('notice.file'),
      call: t('notice.call'),
      incoming_voice_call: t('notice.incomingVoiceCall'),
      incoming_video_call: t('notice.incomingVideoCall'),
      assistant_failed: t('notice.assistantFailed'),
      reacted: t('notice.reacted'),
    };
  }
}

export const app = new AppStore();
