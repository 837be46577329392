import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { ConversationSummary, GroupMember } from '../lib/bindings';
import { app } from '../lib/stores/app.svelte';
import Composer from './Composer.svelte';

const group: ConversationSummary = {
  id: 9, kind: 'group', peer_id: null, group_id: 4, title: 'Crew', avatar: null, last_seq: 1, read_seq: 1,
  peer_read_seq: null, unread: 0, last_activity: 0, pinned: false, muted: false, draft: '', last_message: null,
  pins: [], unread_mentions: [],
};

const member = (id: number, name: string, role: 'owner' | 'admin' | 'member'): GroupMember => ({
  user: { id, username: name.toLowerCase(), display_name: name, avatar: null, signature: '' } as GroupMember['user'],
  role, nickname: null, joined_at: 0,
} as GroupMember);

afterEach(() => {
  cleanup();
  clearMocks();
  app.me = null;
});

describe('mentions in the composer', () => {
  it('offers members after @, inserts the picked name and sends who it names', async () => {
    app.me = { id: 1, username: 'amy', display_name: 'Amy', avatar: null, signature: '', phone: null, created_at: 0 };
    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'group_members') return [member(1, 'Amy', 'owner'), member(2, 'Carol', 'member'), member(3, 'Bob', 'member')];
      if (cmd === 'send_text') {
        sent.push(args);
        return null;
      }
      return null;
    });
    render(Composer, { conversation: group, replyTo: null, oncancelreply: () => {}, onsent: () => {} });
    const box = screen.getByTestId('composer-input') as HTMLTextAreaElement;
    await waitFor(() => expect(app.me).not.toBeNull());
    box.value = '@Car';
    box.selectionStart = box.selectionEnd = 4;
    await fireEvent.input(box);
    await waitFor(() => expect(screen.getAllByTestId('mention-option').map((o) => o.textContent?.replace(/\s+/g, ' ').trim())).toEqual(['C Carol carol']));
    // The owner may also mention everyone.
    box.value = '@a';
    box.selectionStart = box.selectionEnd = 2;
    await fireEvent.input(box);
    await waitFor(() => expect(screen.getAllByTestId('mention-option')[0].textContent).toContain('@all'));
    box.value = '@Car';
    box.selectionStart = box.selectionEnd = 4;
    await fireEvent.input(box);
    await waitFor(() => expect(screen.getAllByTestId('mention-option')).toHaveLength(1));
    await fireEvent.keyDown(box, { key: 'Enter' });
    await waitFor(() => expect(box.value).toBe('@Carol '));
    box.value = '@Carol see you';
    box.selectionStart = box.selectionEnd = box.value.length;
    await fireEvent.input(box);
    await fireEvent.keyDown(box, { key: 'Enter' });
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toMatchObject({ text: '@Carol see you', mentions: { user_ids: [2], all: false } });
  });
});
