// Pure helpers for the conversation list (tested in conversations.test.ts).
import type { CachedMessage, ConversationSummary, MessageContent } from '../bindings';
import { t } from '../i18n/index.svelte';

/** Pinned first, then by last activity (newest first), then by id for a stable order. */
export function sortConversations(list: ConversationSummary[]): ConversationSummary[] {
  return [...list].sort(
    (a, b) =>
      Number(b.pinned) - Number(a.pinned) || b.last_activity - a.last_activity || b.id - a.id,
  );
}

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

/** A one-line preview of a message's content. */
export function previewText(content: MessageContent): string {
  switch (content.kind) {
    case 'text':
      return content.text.replace(/\s+/g, ' ');
    case 'image':
      return t('chat.image');
    case 'file':
      return t('chat.file', { name: content.file.name });
    case 'call_record':
      return t('chat.call');
    case 'recalled':
      return t('chat.recalledBy', { name: '' }).trim();
    case 'system':
      return t('system.other');
  }
}

/** Sum of unread messages in conversations that are not muted. */
export function totalUnread(list: ConversationSummary[]): number {
  return list.reduce((n, c) => n + (c.muted ? 0 : c.unread), 0);
}

/** The list with one row replaced (or added). */
export function upsertConversation(list: ConversationSummary[], row: ConversationSummary): ConversationSummary[] {
  const i = list.findIndex((c) => c.id === row.id);
  if (i < 0) return [...list, row];
  const next = [...list];
  next[i] = row;
  return next;
}

/** Preview of the last message for the list, with the sender's name in groups. */
export function lastMessageLine(c: ConversationSummary, senderName: (id: number) => string, me: number): string {
  const m: CachedMessage | null = c.last_message;
  if (!m) return '';
  const text = previewText(m.content);
  if (c.kind === 'group' && m.content.kind !== 'system' && m.sender_id !== me && m.sender_id !== 0) {
    return `${senderName(m.sender_id)}: ${text}`;
  }
  return text;
}
