import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import RichText from './RichText.svelte';
import ServerSetup from './ServerSetup.svelte';
import ErrorNote from './ErrorNote.svelte';
import Auth from './Auth.svelte';
import type { AppError } from '../lib/bindings';

afterEach(() => {
  cleanup();
  clearMocks();
});

describe('RichText', () => {
  it('shows markup as text and links through the opener', async () => {
    const opened: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'open_url') opened.push((args as { url: string }).url);
    });
    const { container } = render(RichText, { text: '<img src=x onerror=alert(1)> https://ling.example/x' });
    expect(container.querySelector('img')).toBeNull();
    expect(container.textContent).toContain('<img src=x onerror=alert(1)>');
    const link = screen.getByRole('link');
    await fireEvent.click(link);
    expect(opened).toEqual(['https://ling.example/x']);
  });
});

describe('ServerSetup', () => {
  it('says why a server did not answer, with the code in small print', async () => {
    mockIPC((cmd) => {
      if (cmd === 'set_server') {
        throw {
          code: 'unreachable',
          message: 'the server at https://nowhere.example/ did not answer',
          fingerprint: null,
          address: 'https://nowhere.example/',
        };
      }
    });
    render(ServerSetup, { ondone: () => {} });
    await fireEvent.input(screen.getByRole('textbox'), { target: { value: 'nowhere.example' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('https://nowhere.example/ did not answer. Check the address or your network.');
    expect(alert.textContent).toContain('unreachable');
  });

  it('passes the checked server on', async () => {
    mockIPC((cmd, args) => {
      if (cmd === 'set_server') {
        expect(args).toMatchObject({ address: 'chat.example.com', allowInsecure: false });
        return { url: 'https://chat.example.com/', name: 'ACME chat', registration_open: true };
      }
    });
    let got: unknown = null;
    render(ServerSetup, { ondone: (s: unknown) => (got = s) });
    await fireEvent.input(screen.getByRole('textbox'), { target: { value: ' chat.example.com ' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    await waitFor(() => expect(got).toMatchObject({ name: 'ACME chat' }));
  });
});

describe('ErrorNote', () => {
  it('falls back to the message for a code it has no sentence for', () => {
    // A thrown value that only looks like an AppError (its code is no AppCode).
    const error = { code: 'weird_thing', message: 'it broke', fingerprint: null, address: null } as unknown as AppError;
    render(ErrorNote, { error });
    expect(screen.getByRole('alert').textContent).toContain('Something went wrong: it broke');
  });
});

describe('Auth', () => {
  it('says that the two passwords differ in its own words, not as a failure', async () => {
    let invoked = 0;
    mockIPC(() => {
      invoked += 1;
    });
    const server = { url: 'https://chat.example/', name: 'chat.example', registration_open: true };
    const { container } = render(Auth, { server, onloggedin: () => {}, onchangeserver: () => {} });
    await fireEvent.click(container.querySelector('button[name="to-register"]')!);
    const field = (name: string) => container.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
    await fireEvent.input(field('username'), { target: { value: 'alice' } });
    await fireEvent.input(field('password'), { target: { value: 'one long password' } });
    await fireEvent.input(field('password2'), { target: { value: 'another password' } });
    await fireEvent.submit(container.querySelector('form')!);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The two passwords are not the same.');
    expect(alert.textContent).not.toContain('Something went wrong');
    expect(invoked).toBe(0);
  });
});
