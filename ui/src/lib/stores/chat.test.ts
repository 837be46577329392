import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { CachedMessage } from '../bindings';
import { ChatStore, PAGE } from './chat.svelte';

function msg(seq: number): CachedMessage {
  return {
    conversation_id: 1, seq, client_msg_id: null, sender_id: 2, send_time: seq * 1000, status: 'sent',
    error_code: null, content: { kind: 'text', text: `m${seq}` }, reply_to: null,
  };
}

/** A cache holding messages 1..`newest` (it can grow), answering `history`. */
function cache(newest: { n: number }) {
  const calls: Array<number | null> = [];
  mockIPC((cmd, args) => {
    if (cmd !== 'history') return null;
    const { before, count } = args as { before: number | null; count: number };
    calls.push(before);
    const end = before === null ? newest.n : before - 1;
    const out: CachedMessage[] = [];
    for (let s = Math.max(1, end - count + 1); s <= end; s++) out.push(msg(s));
    return out;
  });
  return calls;
}

afterEach(() => clearMocks());

describe('the open chat', () => {
  it('loads back to the first unread message, within a limit', async () => {
    const newest = { n: 200 };
    cache(newest);
    const chat = new ChatStore(1);
    await chat.loadNewest();
    expect(chat.firstSeq()).toBe(200 - PAGE + 1);
    expect(await chat.loadBackTo(61, 500)).toBe(true);
    expect(chat.firstSeq()).toBeLessThanOrEqual(61);
    expect(chat.firstSeq()).toBeGreaterThan(61 - PAGE);

    const far = new ChatStore(1);
    await far.loadNewest();
    expect(await far.loadBackTo(1, 120)).toBe(false);
    expect(far.messages.length).toBeGreaterThanOrEqual(120);
    expect(far.messages.length).toBeLessThan(120 + PAGE);
    expect(far.firstSeq()).toBeGreaterThan(1);
  });

  it('keeps the older pages on a resync when the newest page joins them', async () => {
    const newest = { n: 200 };
    cache(newest);
    const chat = new ChatStore(1);
    await chat.loadNewest();
    await chat.loadOlder();
    const first = chat.firstSeq();
    newest.n = 210;
    await chat.refreshNewest();
    expect(chat.firstSeq()).toBe(first);
    expect(chat.newestSeq()).toBe(210);
    expect(chat.messages.map((m) => m.seq)).toEqual(Array.from({ length: 210 - first! + 1 }, (_, i) => first! + i));

    // Past a gap, the newest page stands alone (no hole in the middle).
    newest.n = 400;
    await chat.refreshNewest();
    expect(chat.firstSeq()).toBe(400 - PAGE + 1);
    expect(chat.reachedStart).toBe(false);
  });
});
