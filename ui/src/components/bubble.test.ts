import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { CachedMessage, ConversationSummary, ReactionCount } from '../lib/bindings';
import { app } from '../lib/stores/app.svelte';
import { en } from '../lib/i18n/en';
import Bubble from './Bubble.svelte';

const conversation: ConversationSummary = {
  id: 1, kind: 'direct', peer_id: 2, group_id: null, title: 'Bob', avatar: null, last_seq: 5, read_seq: 5,
  peer_read_seq: 4, unread: 0, last_activity: 0, pinned: false, muted: false, draft: '', last_message: null, pins: [], unread_mentions: [],
};

function own(over: Partial<CachedMessage>): CachedMessage {
  return {
    conversation_id: 1, seq: 5, client_msg_id: 'c-5', sender_id: 1, send_time: 0, status: 'sent',
    error_code: null, content: { kind: 'text', text: 'hello' }, reply_to: null, changes: {}, forwarded: false, hidden: false, mentions: {}, ...over,
  };
}

function show(message: CachedMessage) {
  render(Bubble, { message, conversation, firstOfGroup: true, lastOfGroup: true, quoted: null, onreply: () => {} });
}

afterEach(() => {
  cleanup();
  clearMocks();
  app.me = null;
});

describe('a message of ones own', () => {
  it('that failed says so and sends again on Retry', async () => {
    app.me = { id: 1, username: 'amy', display_name: 'Amy', avatar: null, signature: '', phone: null, created_at: 0 };
    const retried: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'retry') retried.push((args as { clientMsgId: string }).clientMsgId);
    });
    show(own({ seq: null, status: 'failed', error_code: 'not_friends' }));
    expect(screen.getByText('Not sent')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(retried).toEqual(['c-5']));
  });

  it('that failed says why, and Discard removes it', async () => {
    app.me = { id: 1, username: 'amy', display_name: 'Amy', avatar: null, signature: '', phone: null, created_at: 0 };
    const discarded: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'discard') discarded.push((args as { clientMsgId: string }).clientMsgId);
    });
    show(own({ seq: null, status: 'failed', error_code: 'empty_file' }));
    expect(screen.getByTestId('failed-why').textContent).toBe(en['error.empty_file']);
    await fireEvent.click(screen.getByRole('button', { name: 'Discard' }));
    await waitFor(() => expect(discarded).toEqual(['c-5']));
  });

  it('whose file is uploading shows its progress and stops on Cancel, with nothing to open yet', async () => {
    app.me = { id: 1, username: 'amy', display_name: 'Amy', avatar: null, signature: '', phone: null, created_at: 0 };
    const discarded: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'discard') discarded.push((args as { clientMsgId: string }).clientMsgId);
    });
    const file = { id: '', name: 'report.pdf', size: 2048, mime: '' };
    app.apply({ type: 'upload_progress', conversation_id: 1, client_msg_id: 'c-5', sent: 512, total: 2048 });
    show(own({ seq: null, status: 'uploading', content: { kind: 'file', file } }));
    const bar = screen.getByTestId('upload-progress') as HTMLProgressElement;
    expect([bar.value, bar.max]).toEqual([512, 2048]);
    expect(screen.queryByRole('button', { name: 'Open' })).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(discarded).toEqual(['c-5']));
    await waitFor(() => expect(app.uploads['c-5']).toBeUndefined());
  });

  it('is shown sent, then read once the peer read up to it', () => {
    app.me = { id: 1, username: 'amy', display_name: 'Amy', avatar: null, signature: '', phone: null, created_at: 0 };
    show(own({ seq: 5 }));
    expect(screen.getByTitle('Sent')).toBeTruthy();
    cleanup();
    show(own({ seq: 4 }));
    expect(screen.getByTitle('Read')).toBeTruthy();
  });
});

describe('edits and reactions', () => {
  const amy = { id: 1, username: 'amy', display_name: 'Amy', avatar: null, signature: '', phone: null, created_at: 0 };

  it('an edited message says so, and its reactions show counts, whose they are, and toggle on click', async () => {
    app.me = amy;
    const calls: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'react') calls.push(args);
    });
    const reactions: ReactionCount[] = [
      { emoji: '👍', user_ids: [1, 2] },
      { emoji: '🎉', user_ids: [2] },
    ];
    render(Bubble, {
      message: own({ changes: { edited: { seq: 9, time: 0 } } }),
      conversation, firstOfGroup: true, lastOfGroup: true, quoted: null, reactions, onreply: () => {},
    });
    expect(screen.getByTestId('edited').textContent).toBe(en['chat.edited']);
    const chips = screen.getAllByTestId('reaction');
    expect(chips.map((c) => c.textContent?.replace(/\s+/g, ''))).toEqual(['👍2', '🎉1']);
    expect(chips[0].classList.contains('mine')).toBe(true);
    expect(chips[1].classList.contains('mine')).toBe(false);
    // Clicking one's own takes it back; someone else's adds one's own.
    await fireEvent.click(chips[0]);
    await fireEvent.click(chips[1]);
    await waitFor(() => expect(calls).toHaveLength(2));
    expect(calls).toEqual([
      { conversationId: 1, seq: 5, emoji: '👍', on: false },
      { conversationId: 1, seq: 5, emoji: '🎉', on: true },
    ]);
  });

  it('offers Edit only on ones own sent text', () => {
    app.me = amy;
    show(own({}));
    expect(screen.queryByTestId('edit')).toBeTruthy();
    cleanup();
    show(own({ seq: null, status: 'sending' }));
    expect(screen.queryByTestId('edit')).toBeNull();
    cleanup();
    show(own({ sender_id: 2 }));
    expect(screen.queryByTestId('edit')).toBeNull();
  });
});

describe('the message menu', () => {
  it('offers every action on right-click, only those that apply, and closes on Escape', async () => {
    app.me = { id: 1, username: 'amy', display_name: 'Amy', avatar: null, signature: '', phone: null, created_at: 0 };
    const recalled: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'recall') recalled.push(args);
    });
    let replied = 0;
    render(Bubble, { message: own({}), conversation, firstOfGroup: true, lastOfGroup: true, quoted: null, onreply: () => replied++ });
    await fireEvent.contextMenu(screen.getByTestId('message'));
    const items = screen.getAllByRole('menuitem').map((b) => b.dataset.testid);
    expect(items).toEqual([
      'menu-reply', 'menu-react', 'menu-edit', 'menu-forward', 'menu-select', 'menu-copy', 'menu-recall', 'menu-delete',
    ]);
    await fireEvent.click(screen.getByTestId('menu-reply'));
    expect(replied).toBe(1);
    expect(screen.queryByTestId('message-menu')).toBeNull();
    await fireEvent.contextMenu(screen.getByTestId('message'));
    await fireEvent.click(screen.getByTestId('menu-recall'));
    await waitFor(() => expect(recalled).toEqual([{ conversationId: 1, seq: 5 }]));
    await fireEvent.contextMenu(screen.getByTestId('message'));
    await fireEvent.keyDown(document, { key: 'Escape' });
    expect(screen.queryByTestId('message-menu')).toBeNull();
    cleanup();
    // Someone else's image: reply, react, forward (alone or with others).
    render(Bubble, {
      message: own({ sender_id: 2, content: { kind: 'image', file: { id: 'f', name: 'a.png', size: 1, mime: 'image/png' }, width: 10, height: 10 } }),
      conversation, firstOfGroup: true, lastOfGroup: true, quoted: null, onreply: () => {},
    });
    await fireEvent.contextMenu(screen.getByTestId('message'));
    expect(screen.getAllByRole('menuitem').map((b) => b.dataset.testid)).toEqual([
      'menu-reply', 'menu-react', 'menu-forward', 'menu-select', 'menu-delete',
    ]);
  });
});

describe('a forwarded message', () => {
  it('says it was forwarded', () => {
    show(own({ forwarded: true }));
    expect(screen.getByTestId('forwarded').textContent?.trim()).toBe(en['chat.forwarded']);
  });
});


describe('a message that mentions people', () => {
  it('marks the names it mentions', () => {
    app.me = { id: 1, username: 'amy', display_name: 'Amy', avatar: null, signature: '', phone: null, created_at: 0 };
    app.users[3] = { id: 3, username: 'carol', display_name: 'Carol', avatar: null, signature: '' } as (typeof app.users)[number];
    show(own({ content: { kind: 'text', text: '@Carol see you' }, mentions: { user_ids: [3] } }));
    expect(screen.getByTestId('mention').textContent).toBe('@Carol');
  });
});
