import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import type { ConversationSummary, Startup } from '../bindings';
import { app } from './app.svelte';

function conv(id: number): ConversationSummary {
  return {
    id, kind: 'direct', peer_id: id + 100, group_id: null, title: `Friend ${id}`, avatar: null, last_seq: 1,
    read_seq: 0, peer_read_seq: null, unread: 1, last_activity: id * 1000, pinned: false, muted: false, draft: '',
    last_message: null, pins: [], unread_mentions: [],
  };
}

const ready: Startup = {
  stage: 'ready',
  server: { url: 'https://chat.example.com/', name: 'ACME chat', registration_open: true },
  me: { id: 1, username: 'amy', display_name: 'Amy', avatar: null, signature: '', phone: null, created_at: 0 },
  connection: { state: 'connected' },
};

afterEach(() => clearMocks());

describe('a clicked notification', () => {
  it('opens its conversation, reading it first when the list does not have it yet', async () => {
    const listed = [conv(2), conv(1)];
    const unlisted = conv(3);
    let view = 0;
    mockIPC(
      (cmd, args) => {
        switch (cmd) {
          case 'startup':
            return ready;
          case 'conversation_list_open':
            view = (args as { view: number }).view;
            return listed;
          case 'conversation':
            return (args as { id: number }).id === 3 ? unlisted : null;
          case 'friend_requests':
            return { incoming: [], outgoing: [] };
          default:
            return [];
        }
      },
      { shouldMockEvents: true },
    );
    await app.start();
    expect(app.stage).toBe('ready');
    app.tab = 'settings';

    await emit('ling://open-conversation', 2);
    await waitFor(() => expect(app.openId).toBe(2));
    expect(app.tab).toBe('chats');

    await emit('ling://open-conversation', 3);
    await waitFor(() => expect(app.openId).toBe(3));
    // The list learns of it as the shell's list changes.
    await emit('ling://views', { timeline: null, conversations: { view, diffs: [{ op: 'push_front', value: unlisted }] } });
    await waitFor(() => expect(app.conversations.map((c) => c.id)).toEqual([3, 2, 1]));
    expect(app.open?.id).toBe(3);

    // One the account cannot read (gone since) changes nothing.
    await emit('ling://open-conversation', 99);
    await new Promise((r) => setTimeout(r, 20));
    expect(app.openId).toBe(3);
  });
});

describe('typing', () => {
  it('shows who is typing in a conversation for a few seconds', () => {
    const now = Date.now();
    app.apply({ type: 'typing', conversation_id: 7, user_id: 42 });
    expect(app.typingIn(7, now)).toEqual([42]);
    expect(app.typingIn(8, now)).toEqual([]);
    expect(app.typingIn(7, now + 60_000), 'gone after a while').toEqual([]);
    // Or at once, when their message arrives.
    app.stoppedTyping(7, 42);
    expect(app.typingIn(7, now)).toEqual([]);
  });
});
