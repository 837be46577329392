// Pure helpers for the message list (tested in messages.test.ts).
import type { CachedMessage } from '../bindings';

/** A message's identity in the list: its seq once sent, its client id before. */
export function messageKey(m: CachedMessage): string {
  return m.client_msg_id ? `c:${m.client_msg_id}` : `s:${m.seq}`;
}

/**
 * Merges messages into a sorted list: a message with a known key replaces
 * the old copy (sent replaces sending), new ones are added. Sent messages
 * are ordered by seq; unsent ones come last, by local time.
 */
export function mergeMessages(list: CachedMessage[], incoming: CachedMessage[]): CachedMessage[] {
  const byKey = new Map<string, CachedMessage>();
  for (const m of list) byKey.set(messageKey(m), m);
  for (const m of incoming) {
    byKey.set(messageKey(m), m);
    // A server copy without our client id but with a seq we hold under a client id.
    if (m.seq !== null && !m.client_msg_id) {
      for (const [k, old] of byKey) {
        if (old.seq === m.seq && k !== messageKey(m)) byKey.delete(k);
      }
    }
  }
  return [...byKey.values()].sort(compareMessages);
}

export function compareMessages(a: CachedMessage, b: CachedMessage): number {
  if (a.seq !== null && b.seq !== null) return a.seq - b.seq;
  if (a.seq !== null) return -1;
  if (b.seq !== null) return 1;
  return a.send_time - b.send_time;
}

/** One row of the rendered list. */
export type Row =
  | { kind: 'day'; key: string; time: number }
  | { kind: 'unread'; key: string; count: number }
  | { kind: 'message'; key: string; message: CachedMessage; firstOfGroup: boolean; lastOfGroup: boolean };

const GROUP_GAP_MS = 60_000;

function dayOf(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

function groupable(m: CachedMessage): boolean {
  return m.content.kind !== 'system' && m.content.kind !== 'recalled' && m.content.kind !== 'call_record';
}

/**
 * The rows to draw: a separator at each new day, an "N new messages" marker
 * before the first unread message (`readSeq`), and bubbles grouped by sender
 * and minute.
 */
export function buildRows(messages: CachedMessage[], readSeq: number | null, me: number): Row[] {
  const rows: Row[] = [];
  let lastDay = '';
  const unreadCount =
    readSeq === null ? 0 : messages.filter((m) => m.seq !== null && m.seq > readSeq && m.sender_id !== me).length;
  let markerPlaced = false;
  messages.forEach((m, i) => {
    const day = dayOf(m.send_time);
    if (day !== lastDay) {
      rows.push({ kind: 'day', key: `d:${day}`, time: m.send_time });
      lastDay = day;
    }
    if (!markerPlaced && unreadCount > 0 && m.seq !== null && readSeq !== null && m.seq > readSeq && m.sender_id !== me) {
      rows.push({ kind: 'unread', key: 'unread', count: unreadCount });
      markerPlaced = true;
    }
    const prev = messages[i - 1];
    const next = messages[i + 1];
    const joins = (a: CachedMessage | undefined, b: CachedMessage | undefined) =>
      !!a &&
      !!b &&
      a.sender_id === b.sender_id &&
      groupable(a) &&
      groupable(b) &&
      Math.abs(b.send_time - a.send_time) < GROUP_GAP_MS &&
      dayOf(a.send_time) === dayOf(b.send_time);
    rows.push({
      kind: 'message',
      key: messageKey(m),
      message: m,
      firstOfGroup: !joins(prev, m),
      lastOfGroup: !joins(m, next),
    });
  });
  return rows;
}

/** True when a text is only emoji (shown larger), up to a few of them. */
export function isEmojiOnly(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed || trimmed.length > 24) return false;
  return /^(?:\p{Extended_Pictographic}|\p{Emoji_Component}|\u200d|\ufe0f|\s)+$/u.test(trimmed) &&
    /\p{Extended_Pictographic}/u.test(trimmed);
}
