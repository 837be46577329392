import { describe, expect, it } from 'vitest';
import type { CachedMessage, ConversationSummary } from '../bindings';
import { filterConversations, lastMessageLine, markdownLine, systemLine, totalUnread } from './conversations';

function conv(id: number, over: Partial<ConversationSummary> = {}): ConversationSummary {
  return {
    id, kind: 'direct', peer_id: id + 100, group_id: null, title: `Friend ${id}`, avatar: null, last_seq: 0,
    read_seq: 0, peer_read_seq: null, unread: 0, last_activity: id * 1000, pinned: false, muted: false, draft: '',
    last_message: null, pins: [], unread_mentions: [], ...over,
  };
}

function text(sender: number, body: string): CachedMessage {
  return {
    conversation_id: 1, seq: 1, client_msg_id: null, sender_id: sender, send_time: 0, status: 'sent',
    error_code: null, content: { kind: 'text', text: body }, reply_to: null, changes: {}, forwarded: false, hidden: false, mentions: {},
  };
}

describe('conversation list', () => {
  it('previews the assistant’s Markdown as its words', () => {
    expect(markdownLine('# Steps\n\n- install **Ling**\n- run `make run`\n\n```rust\nfn main() {}\n```')).toBe(
      'Steps install Ling run make run fn main() {}',
    );
    expect(markdownLine('See [the docs](https://example.org) > 1. 2 * 3')).toBe('See the docs > 1. 2 3');
  });

  it('filters by title and by the last message, ignoring case', () => {
    const list = [conv(1, { title: 'Alice' }), conv(2, { title: 'Bob', last_message: text(102, 'see ALICE later') }), conv(3)];
    expect(filterConversations(list, 'alice').map((c) => c.id)).toEqual([1, 2]);
    expect(filterConversations(list, '  ')).toHaveLength(3);
  });

  it('counts unread messages except in muted conversations', () => {
    expect(totalUnread([conv(1, { unread: 3 }), conv(2, { unread: 5, muted: true }), conv(3, { unread: 1 })])).toBe(4);
  });

  it('names the sender of the last message in groups, not in direct chats', () => {
    const names = (id: number) => (id === 5 ? 'Bob' : '?');
    const group = conv(1, { kind: 'group', peer_id: null, group_id: 1, last_message: text(5, 'hi\nall') });
    expect(lastMessageLine(group, names, 1)).toBe('Bob: hi all');
    expect(lastMessageLine(conv(2, { last_message: text(5, 'hi') }), names, 1)).toBe('hi');
  });

  it('previews system messages as the sentence the chat shows, with names', () => {
    const names = (id: number) => ({ 5: 'Bob', 6: 'Carol' })[id] ?? '?';
    const system = (event: Extract<CachedMessage['content'], { kind: 'system' }>['event']): CachedMessage => ({
      ...text(0, ''), content: { kind: 'system', event },
    });
    const friends = conv(1, { last_message: system({ event: 'friends_connected' }) });
    expect(lastMessageLine(friends, names, 1)).toBe('You are now friends. Say hello!');
    const renamed = conv(2, {
      kind: 'group', peer_id: null, group_id: 2, last_message: system({ event: 'group_renamed', by: 5, name: 'Trip' }),
    });
    expect(lastMessageLine(renamed, names, 1)).toBe('Bob renamed the group to "Trip"');
    expect(systemLine({ event: 'members_joined', by: 5, user_ids: [5, 6] }, names)).toBe('Bob, Carol joined');
    expect(systemLine({ event: 'role_changed', by: 5, user_id: 6, role: 'admin' }, names)).toBe('Carol is now an admin');
    // What one did oneself is said as "You".
    expect(systemLine({ event: 'message_pinned', by: 5, seq: 3 }, names, 5)).toBe('You pinned a message');
    expect(systemLine({ event: 'message_pinned', by: 6, seq: 3 }, names, 5)).toBe('Carol pinned a message');
    expect(systemLine({ event: 'role_changed', by: 6, user_id: 5, role: 'admin' }, names, 5)).toBe('Bob is now an admin');
  });
});
