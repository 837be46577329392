import { describe, expect, it } from 'vitest';
import type { CachedMessage } from '../bindings';
import { buildRows, isEmojiOnly, mergeMessages } from './messages';

const day = new Date(2026, 10, 20, 12, 0).getTime();

function msg(seq: number | null, over: Partial<CachedMessage> = {}): CachedMessage {
  return {
    conversation_id: 1, seq, client_msg_id: null, sender_id: 2, send_time: day + (seq ?? 100) * 1000,
    status: seq === null ? 'sending' : 'sent', error_code: null, content: { kind: 'text', text: `m${seq}` },
    reply_to: null, ...over,
  };
}

describe('merging messages', () => {
  it('orders by seq and puts unsent messages last', () => {
    const list = mergeMessages([], [msg(3), msg(null, { client_msg_id: 'a' }), msg(1), msg(2)]);
    expect(list.map((m) => m.seq)).toEqual([1, 2, 3, null]);
  });

  it('replaces the sending copy with the sent one (same client id), once', () => {
    const sending = msg(null, { client_msg_id: 'a', sender_id: 1 });
    const sent = msg(4, { client_msg_id: 'a', sender_id: 1 });
    const list = mergeMessages([msg(3), sending], [sent]);
    expect(list.map((m) => [m.seq, m.status])).toEqual([[3, 'sent'], [4, 'sent']]);
  });

  it('does not duplicate a page fetched twice', () => {
    const page = [msg(1), msg(2)];
    expect(mergeMessages(page, page)).toHaveLength(2);
  });
});

describe('rows', () => {
  it('puts a day separator before the first message of each day', () => {
    const next = msg(3, { send_time: day + 86_400_000 });
    const rows = buildRows([msg(1), msg(2), next], null, 1);
    expect(rows.map((r) => r.kind)).toEqual(['day', 'message', 'message', 'day', 'message']);
  });

  it('groups bubbles by sender within a minute', () => {
    const rows = buildRows([msg(1), msg(2), msg(3, { sender_id: 1 }), msg(200)], null, 1).filter(
      (r) => r.kind === 'message',
    );
    expect(rows.map((r) => r.kind === 'message' && [r.firstOfGroup, r.lastOfGroup])).toEqual([
      [true, false],
      [false, true],
      [true, true],
      [true, true],
    ]);
  });

  it('marks the first unread message from others with the count', () => {
    const rows = buildRows([msg(1), msg(2), msg(3), msg(4, { sender_id: 1 })], 1, 1);
    const i = rows.findIndex((r) => r.kind === 'unread');
    expect(rows[i]).toMatchObject({ kind: 'unread', count: 2 });
    expect(rows[i + 1]).toMatchObject({ kind: 'message', message: { seq: 2 } });
  });
});

describe('emoji-only text', () => {
  it('is shown larger only when it is just a few emoji', () => {
    expect(isEmojiOnly('👋')).toBe(true);
    expect(isEmojiOnly('👍🏽 🎉')).toBe(true);
    expect(isEmojiOnly('hi 👋')).toBe(false);
    expect(isEmojiOnly('123')).toBe(false);
  });
});
