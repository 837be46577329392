import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { Group, GroupMember, Role } from '../lib/bindings';
import { app } from '../lib/stores/app.svelte';
import GroupCard from './GroupCard.svelte';

const group: Group = {
  id: 7,
  name: 'Team 翎',
  avatar: null,
  announcement: 'Standup at 10',
  owner_id: 1,
  join_policy: 'approval',
  member_count: 3,
  conversation_id: 70,
  dissolved: false,
  created_at: 0,
};

function member(id: number, name: string, role: Role): GroupMember {
  return {
    user: { id, username: name.toLowerCase(), display_name: name, avatar: null, signature: '' },
    role,
    nickname: null,
    joined_at: 0,
  };
}

const members = [member(3, 'Carol', 'member'), member(1, 'Amy', 'owner'), member(2, 'Bob', 'admin')];

/** Renders the card as user `me`, recording the commands it sends. */
function renderAs(me: number, extra: (cmd: string, args: unknown) => unknown = () => undefined) {
  const calls: Array<[string, unknown]> = [];
  const m = members.find((x) => x.user.id === me)!;
  app.me = { ...m.user, phone: null, created_at: 0 };
  mockIPC((cmd, args) => {
    calls.push([cmd, args]);
    if (cmd === 'group_members') return members;
    return extra(cmd, args);
  });
  render(GroupCard, { group });
  return calls;
}

beforeEach(() => {
  app.friends = [];
});

afterEach(() => {
  cleanup();
  clearMocks();
  app.me = null;
});

describe('GroupCard', () => {
  it('lists the owner first, then admins, and lets an admin remove members only', async () => {
    const calls = renderAs(2);
    await waitFor(() => expect(screen.getAllByTestId('member')).toHaveLength(3));
    const rows = screen.getAllByTestId('member');
    expect(rows.map((r) => r.dataset.role)).toEqual(['owner', 'admin', 'member']);
    // An admin edits the name and the announcement, and removes Carol, not Amy.
    expect(screen.getByTestId('group-name-input')).toBeTruthy();
    expect(rows[0].querySelector('[data-testid=kick]')).toBeNull();
    expect(screen.queryByTestId('make-admin')).toBeNull();
    const kick = rows[2].querySelector<HTMLButtonElement>('[data-testid=kick]')!;
    await fireEvent.click(kick);
    expect(calls.some(([c]) => c === 'kick'), 'the first click only asks').toBe(false);
    await fireEvent.click(await screen.findByTestId('kick-yes'));
    await waitFor(() => expect(calls).toContainEqual(['kick', { groupId: 7, userId: 3 }]));
    // Not the owner: may leave, may not dissolve.
    expect(screen.getByTestId('leave')).toBeTruthy();
    expect(screen.queryByTestId('dissolve')).toBeNull();
  });

  it('shows a plain member the group read-only, and says why a refused change failed', async () => {
    renderAs(3, (cmd) => {
      if (cmd === 'leave_group') {
        throw { code: 'owner_cannot_leave', message: 'the owner cannot leave', fingerprint: null, address: null };
      }
    });
    await waitFor(() => expect(screen.getAllByTestId('member')).toHaveLength(3));
    expect(screen.queryByTestId('group-name-input')).toBeNull();
    expect(screen.getByTestId('group-name').textContent).toBe('Team 翎');
    expect(screen.getByTestId('announcement').textContent).toBe('Standup at 10');
    expect(screen.queryByTestId('kick')).toBeNull();
    await fireEvent.click(screen.getByTestId('leave'));
    await fireEvent.click(await screen.findByTestId('leave-yes'));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('You own this group');
  });

  it('gives the owner roles, hand-over and dissolving', async () => {
    const calls = renderAs(1);
    await waitFor(() => expect(screen.getAllByTestId('member')).toHaveLength(3));
    await fireEvent.click(screen.getByTestId('make-admin'));
    await waitFor(() => expect(calls).toContainEqual(['set_member_role', { groupId: 7, userId: 3, role: 'admin' }]));
    expect(screen.getByTestId('remove-admin')).toBeTruthy();
    expect(screen.getByTestId('dissolve')).toBeTruthy();
    expect(screen.queryByTestId('leave')).toBeNull();
  });
});
