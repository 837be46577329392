// Pure helpers for the conversation list (tested in conversations.test.ts).
import type { CachedMessage, ConversationSummary, MessageContent, SystemEvent } from '../bindings';
import { formatDuration, t } from '../i18n/index.svelte';

/** Conversations whose title or last message contains `query` (case-insensitive). */
export function filterConversations(list: ConversationSummary[], query: string): ConversationSummary[] {
  const q = query.trim().toLowerCase();
  if (!q) return list;
  return list.filter(
    (c) =>
      c.title.toLowerCase().includes(q) ||
      (c.last_message ? previewText(c.last_message.content).toLowerCase().includes(q) : false),
  );
}

/** Names a user by id (the app's contacts and members). */
export type NameOf = (id: number) => string;

const unnamed: NameOf = (id) => `#${id}`;

/** A system event as a sentence ("Amy created the group"; "You created the
 * group" when `me` did it). */
export function systemLine(e: SystemEvent, nameOf: NameOf = unnamed, me: number | null = null): string {
  const actor = (id: number) => (id === me ? t('system.you') : nameOf(id));
  switch (e.event) {
    case 'friends_connected':
      return t('system.friends_connected');
    case 'group_created':
      return t('system.group_created', { name: actor(e.by) });
    case 'members_joined':
      return t('system.members_joined', { names: e.user_ids.map(nameOf).join(', ') });
    case 'member_left':
      return t('system.member_left', { name: nameOf(e.user_id) });
    case 'member_kicked':
      return t('system.member_kicked', { name: nameOf(e.user_id) });
    case 'group_renamed':
      return t('system.group_renamed', { name: actor(e.by), title: e.name });
    case 'announcement_changed':
      return t('system.announcement_changed', { name: actor(e.by) });
    case 'group_avatar_changed':
      return t('system.group_avatar_changed', { name: actor(e.by) });
    case 'join_policy_changed':
      return t(e.join_policy === 'open' ? 'system.join_policy_open' : 'system.join_policy_approval', {
        name: actor(e.by),
      });
    case 'role_changed':
      return t(e.role === 'admin' ? 'system.made_admin' : 'system.made_member', { name: nameOf(e.user_id) });
    case 'ownership_transferred':
      return t('system.ownership_transferred', { name: nameOf(e.to) });
    case 'group_dissolved':
      return t('system.group_dissolved', { name: actor(e.by) });
    case 'message_recalled':
      return t('chat.recalledBy', { name: actor(e.by) });
    case 'new_topic':
      return t('assistant.newTopic');
    case 'message_pinned':
      return t('system.message_pinned', { name: actor(e.by) });
    case 'message_unpinned':
      return t('system.message_unpinned', { name: actor(e.by) });
    default:
      return t('system.other');
  }
}

/** Markdown as one line of its words: no marks of emphasis, headings,
 * list bullets, quotes or code fences (links keep their text). */
export function markdownLine(text: string): string {
  return text
    .replace(/```[^\n]*\n?/g, ' ')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^\s{0,3}(?:#{1,6}|>|[-*+]|\d+[.)])\s+/gm, '')
    .replace(/[*_`~]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A one-line preview of a message's content. */
export function previewText(content: MessageContent, nameOf: NameOf = unnamed, me: number | null = null): string {
  switch (content.kind) {
    case 'text':
      return content.text.replace(/\s+/g, ' ');
    case 'image':
      return t('chat.image');
    case 'file':
      return t('chat.file', { name: content.file.name });
    case 'voice':
      return t('chat.voice', { duration: formatDuration(Number(content.duration_ms)) });
    case 'call_record':
      return t(content.media === 'video' ? 'call.preview.video' : 'call.preview.voice');
    case 'recalled':
      return t('chat.recalledBy', { name: '' }).trim();
    case 'system':
      return systemLine(content.event, nameOf, me);
    case 'assistant':
      if (content.text.trim() !== '') return markdownLine(content.text);
      return content.code ? t(`error.${content.code}`) : '';
    case 'edit':
    case 'reaction':
      // Relations are folded into the message they change, never shown.
      return '';
  }
}

/** Sum of unread messages in conversations that are not muted. */
export function totalUnread(list: ConversationSummary[]): number {
  return list.reduce((n, c) => n + (c.muted ? 0 : c.unread), 0);
}

/** Preview of the last message for the list, with the sender's name in groups. */
export function lastMessageLine(c: ConversationSummary, senderName: (id: number) => string, me: number): string {
  const m: CachedMessage | null = c.last_message;
  if (!m) return '';
  const text = previewText(m.content, senderName, me);
  if (c.kind === 'group' && m.content.kind !== 'system' && m.sender_id !== me && m.sender_id !== 0) {
    return `${senderName(m.sender_id)}: ${text}`;
  }
  return text;
}
