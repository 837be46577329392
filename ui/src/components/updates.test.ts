import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { AppError, UpdateStatus } from '../lib/bindings';
import { updates } from '../lib/stores/updates.svelte';
import UpdateSection from './UpdateSection.svelte';

afterEach(() => {
  cleanup();
  clearMocks();
  updates.status = null;
  updates.error = null;
});

const base: UpdateStatus = {
  current: '0.1.0',
  state: 'idle',
  available: null,
  downloaded: null,
  total: null,
  checked_at: null,
  error: null,
};

describe('UpdateSection', () => {
  it('says when this copy never looks for updates, and offers nothing', () => {
    updates.status = { ...base, state: 'off' };
    render(UpdateSection);
    expect(screen.getByTestId('app-version').textContent).toBe('Ling 0.1.0');
    expect(screen.getByTestId('update').textContent).toContain('does not look for updates');
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('checks on request and shows what it found', async () => {
    mockIPC((cmd) => {
      if (cmd === 'check_for_update') {
        return { ...base, state: 'available', available: { version: '0.2.0', notes: 'Echo gone.', installable: true } };
      }
    });
    updates.status = { ...base, state: 'up_to_date', checked_at: Date.now() };
    render(UpdateSection);
    expect(screen.getByTestId('update').textContent).toContain('Ling is up to date.');
    await fireEvent.click(screen.getByRole('button', { name: 'Check now' }));
    expect((await screen.findByTestId('update-available')).textContent).toBe('Ling 0.2.0 is available.');
    expect(screen.getByText('Echo gone.')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Install and restart' })).toBeTruthy();
  });

  it('installs on request and says why it could not', async () => {
    const asked: string[] = [];
    mockIPC((cmd) => {
      asked.push(cmd);
      if (cmd === 'install_update') {
        throw { code: 'update_bad_signature', message: 'bad', fingerprint: null, address: null };
      }
    });
    updates.status = { ...base, state: 'available', available: { version: '0.2.0', notes: null, installable: true } };
    render(UpdateSection);
    await fireEvent.click(screen.getByRole('button', { name: 'Install and restart' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('not signed by Ling’s publisher');
    expect(asked).toEqual(['install_update']);
  });

  it('says what is wrong with the configuration, and offers no pointless retry', () => {
    const error: AppError = { code: 'update_misconfigured', message: 'no public key', fingerprint: null, address: null };
    updates.status = { ...base, state: 'failed', error };
    render(UpdateSection);
    expect(screen.getByRole('alert').textContent).toContain('Updates are set up wrongly on this computer: no public key');
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('shows the download as it goes, and a copy built from source says how to update', () => {
    updates.status = {
      ...base,
      state: 'downloading',
      available: { version: '0.2.0', notes: null, installable: true },
      downloaded: 512,
      total: 2048,
    };
    const { unmount } = render(UpdateSection);
    expect(screen.getByRole('status').textContent).toBe('Downloading Ling 0.2.0… 25%');
    unmount();
    updates.status = { ...base, state: 'available', available: { version: '0.2.0', notes: null, installable: false } };
    render(UpdateSection);
    expect(screen.queryByRole('button')).toBeNull();
    expect(screen.getByTestId('update').textContent).toContain('Update it the way you installed it');
  });
});
