import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { CachedMessage, TimelineItem } from '../bindings';
import { ChatTimeline } from './timeline.svelte';

function msg(seq: number, sender = 2): CachedMessage {
  return {
    conversation_id: 1, seq, client_msg_id: null, sender_id: sender, send_time: seq * 1000, status: 'sent',
    error_code: null, content: { kind: 'text', text: `m${seq}` }, reply_to: null, changes: {}, forwarded: false, hidden: false, mentions: {},
  };
}

function row(seq: number, sender = 2): TimelineItem {
  return { kind: 'message', key: `s:${seq}`, message: msg(seq, sender), first_of_group: true, last_of_group: true, reactions: [] };
}

const keys = (rows: TimelineItem[]) => rows.map((r) => r.key);

/** The shell, answering `timeline_open` with `items` (and recording calls). */
function shell(items: TimelineItem[], calls: string[] = []) {
  mockIPC((cmd) => {
    calls.push(cmd);
    if (cmd === 'timeline_open') return { items, reached_start: false, at_unread: false };
    if (cmd === 'timeline_paginate_back') return true;
    return null;
  });
  return calls;
}

afterEach(() => clearMocks());

describe('the open chat', () => {
  it('counts the assistant\'s reply as one arrival, when it is stored, not while it streams', async () => {
    shell([row(1, 1)]);
    const chat = new ChatTimeline(1);
    await chat.open();
    const streaming: TimelineItem = {
      kind: 'message', key: 'a:1', first_of_group: true, last_of_group: true, reactions: [],
      message: { ...msg(0, 9), seq: null, status: 'streaming', content: { kind: 'assistant', text: 'Hel', end: 'finished' }, reply_to: 1 },
    };
    expect(chat.receive({ view: chat.view, diffs: [{ op: 'push_back', value: streaming }] })?.arrived).toEqual([]);
    const stored = { ...row(2, 9), message: { ...msg(2, 9), reply_to: 1 } };
    const applied = chat.receive({ view: chat.view, diffs: [{ op: 'set', index: 1, value: stored }] });
    expect(applied?.arrived.map((m) => m.seq)).toEqual([2]);
  });

  it('applies diffs that arrive before its snapshot on top of it', async () => {
    shell([row(1)]);
    const chat = new ChatTimeline(1);
    const opening = chat.open();
    expect(chat.receive({ view: chat.view, diffs: [{ op: 'push_back', value: row(2) }] })).toBeNull();
    await opening;
    expect(keys(chat.rows)).toEqual(['s:1', 's:2']);
  });

  it('tells arrivals at the end from an older page at the front', async () => {
    shell([row(10), row(11)]);
    const chat = new ChatTimeline(1);
    await chat.open();
    const arrival = chat.receive({ view: chat.view, diffs: [{ op: 'push_back', value: row(12, 1) }] });
    expect(arrival).toEqual({ arrived: [msg(12, 1)], prepended: false });
    const older = chat.receive({ view: chat.view, diffs: [{ op: 'append', values: [] }, { op: 'push_front', value: row(9) }] });
    expect(older).toEqual({ arrived: [], prepended: true });
    // A changed row (an ack, a recall) is neither.
    const set = chat.receive({ view: chat.view, diffs: [{ op: 'set', index: 1, value: row(10, 3) }] });
    expect(set).toEqual({ arrived: [], prepended: false });
  });

  it('loads one older page at a time, until the start', async () => {
    const calls = shell([row(10)]);
    const chat = new ChatTimeline(1);
    await chat.open();
    await Promise.all([chat.paginateBack(), chat.paginateBack()]);
    expect(calls.filter((c) => c === 'timeline_paginate_back')).toHaveLength(1);
    expect(chat.reachedStart).toBe(true);
    await chat.paginateBack();
    expect(calls.filter((c) => c === 'timeline_paginate_back')).toHaveLength(1);
    chat.close();
    expect(calls).toContain('timeline_close');
  });
});
