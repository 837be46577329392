import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { CallView, MessageContent } from '../lib/bindings';
import { callRecordText, callStore, formatDuration } from '../lib/stores/call.svelte';
import { parsePicture, yuvToRgb } from '../lib/video';
import CallOverlay from './CallOverlay.svelte';

afterEach(() => {
  cleanup();
  clearMocks();
  callStore.view = null;
});

function view(change: Partial<CallView>): CallView {
  return {
    call_id: 'c1',
    conversation_id: 3,
    caller: 2,
    media: 'video',
    phase: 'incoming',
    end: null,
    members: [{ user_id: 2, state: 'joining', quality: null, video: false }],
    muted: false,
    camera_on: true,
    answered_at: null,
    device_problem: null,
    revision: 1,
    ...change,
  };
}

describe('call records and durations', () => {
  const record = (outcome: string, duration_ms = 0, media = 'voice'): MessageContent =>
    ({ kind: 'call_record', media: media === 'video' ? 'video' : 'audio', outcome, duration_ms }) as MessageContent;

  it('says each ending from the side that reads it', () => {
    expect(callRecordText(record('completed', 83_000), true)).toBe('Voice call · 1:23');
    expect(callRecordText(record('completed', 3_725_000, 'video'), false)).toBe('Video call · 1:02:05');
    expect(callRecordText(record('missed'), true)).toBe('No answer');
    expect(callRecordText(record('missed'), false)).toBe('Missed call');
    expect(callRecordText(record('cancelled'), false)).toBe('Missed call');
    expect(callRecordText(record('cancelled'), true)).toBe('Cancelled');
    expect(callRecordText(record('busy'), true)).toBe('Busy');
    expect(formatDuration(-5)).toBe('0:00');
  });
});

describe('video pictures', () => {
  it('reads the shell’s I420 body and converts colours', () => {
    const buf = new ArrayBuffer(16 + 4 * 2 + 2 + 2);
    const h = new DataView(buf);
    h.setUint32(0, 4, true);
    h.setUint32(4, 2, true);
    h.setUint32(8, 9, true);
    new Uint8Array(buf, 16).fill(235);
    const p = parsePicture(buf)!;
    expect([p.width, p.height, p.seq, p.y.length, p.u.length, p.v.length]).toEqual([4, 2, 9, 8, 2, 2]);
    expect(parsePicture(buf.slice(0, 20))).toBeNull();
    expect(yuvToRgb(16, 128, 128)).toEqual([0, 0, 0]);
    expect(yuvToRgb(235, 128, 128)).toEqual([255, 255, 255]);
    expect(yuvToRgb(82, 90, 240)[0]).toBeGreaterThan(240);
  });
});

describe('CallOverlay', () => {
  it('rings with answer and decline, and answering shows the call with its controls', async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === 'call_accept') return view({ phase: 'active', answered_at: Date.now() });
      if (cmd === 'call_set_muted') return view({ phase: 'active', muted: true });
      return null;
    });
    callStore.apply(view({}));
    render(CallOverlay);
    expect(screen.getByTestId('call-status').textContent).toBe('Incoming video call…');
    await fireEvent.click(screen.getByTestId('call-accept'));
    await waitFor(() => expect(screen.getByTestId('call-view')).toBeTruthy());
    expect(calls).toContain('call_accept');
    expect(screen.getByTestId('tile-2').dataset.state).toBe('joining');
    expect(screen.getByTestId('call-status').textContent).toBe('Connecting…');
    await fireEvent.click(screen.getByTestId('call-mute'));
    await waitFor(() => expect(screen.getByTestId('call-mute').getAttribute('aria-pressed')).toBe('true'));
  });

  it('keeps a later change when a command answers after it', async () => {
    let answer: (v: CallView) => void = () => {};
    mockIPC((cmd) => (cmd === 'call_start' ? new Promise<CallView>((r) => (answer = r)) : null));
    render(CallOverlay);
    const started = callStore.start(3, true);
    const connected = { user_id: 2, state: 'connected' as const, quality: null, video: true };
    callStore.apply(view({ caller: 1, phase: 'active', members: [connected], revision: 3 }));
    answer(view({ caller: 1, phase: 'calling', members: [{ ...connected, state: 'invited' }], revision: 1 }));
    await started;
    expect(callStore.view?.revision).toBe(3);
    await waitFor(() => expect(screen.getByTestId('tile-2').dataset.state).toBe('connected'));
    expect(screen.getByTestId('video-2')).toBeTruthy();
  });

  it('shows how a call ended, then goes away', async () => {
    mockIPC(() => null);
    callStore.apply(view({ phase: 'ended', end: 'declined', members: [{ user_id: 2, state: 'left', quality: null, video: false }] }));
    render(CallOverlay);
    expect(screen.getByTestId('call-status').textContent).toBe('Declined');
    expect(screen.queryByTestId('call-hangup')).toBeNull();
    await waitFor(() => expect(screen.queryByTestId('call-view')).toBeNull(), { timeout: 4000 });
  });
});
