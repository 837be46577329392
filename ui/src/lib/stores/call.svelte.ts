// The call on this device, as the shell reports it (`call_changed` events
// carry the whole CallView), and the actions on it. A ringtone plays while
// a call rings here; a ringback tone while one's own call rings there.
import type { AppError, CallEnd, CallView, MessageContent } from '../bindings';
import { api, toAppError } from '../ipc';
import { formatDuration, t } from '../i18n/index.svelte';
import { Ringer } from '../ringtone';

export { formatDuration };

/** How long "Call ended" stays up. */
const ENDED_SHOWN_MS = 2500;

export class CallStore {
  view = $state<CallView | null>(null);
  error = $state<AppError | null>(null);
  /** Ticks once a second while a call is up (for the duration). */
  now = $state(Date.now());
  private ringer = new Ringer();
  private ticker: ReturnType<typeof setInterval> | null = null;
  private hide: ReturnType<typeof setTimeout> | null = null;

  apply(v: CallView) {
    if (this.view && this.view.call_id !== v.call_id && this.view.phase !== 'ended' && v.phase === 'ended') {
      return; // the end of another call (one answered "busy" here) does not hide this one
    }
    if (this.view && this.view.call_id === v.call_id && v.revision < this.view.revision) {
      return; // a command's answer that arrived after a later change
    }
    this.view = v;
    if (this.hide) clearTimeout(this.hide);
    this.hide = null;
    this.ringer.play(v.phase === 'incoming' ? 'ring' : v.phase === 'calling' ? 'ringback' : null);
    if (v.phase === 'ended') {
      this.stopTicking();
      this.hide = setTimeout(() => {
        if (this.view?.call_id === v.call_id) this.view = null;
      }, ENDED_SHOWN_MS);
    } else if (!this.ticker) {
      this.ticker = setInterval(() => (this.now = Date.now()), 1000);
    }
  }

  private stopTicking() {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  private async run(f: () => Promise<unknown>) {
    this.error = null;
    try {
      const v = await f();
      if (v && typeof v === 'object' && 'call_id' in v) this.apply(v as CallView);
    } catch (e) {
      this.error = toAppError(e);
    }
  }

  start = (conversationId: number, video: boolean) => this.run(() => api.callStart(conversationId, video));
  accept = () => this.view && this.run(() => api.callAccept(this.view!.call_id));
  decline = () => this.view && this.run(() => api.callDecline(this.view!.call_id));
  hangUp = () => this.run(() => api.callHangUp());
  ringAgain = (userId: number) => this.run(() => api.callInvite(userId));
  toggleMute = () => this.view && this.run(() => api.callSetMuted(!this.view!.muted));
  toggleCamera = () => this.view && this.run(() => api.callSetCamera(!this.view!.camera_on));

  /** Re-reads the call after the UI reloaded. */
  async restore() {
    const v = await api.callCurrent().catch(() => null);
    if (v) this.apply(v);
  }

  /** Whether a call is up (so a second one cannot be placed). */
  get busy(): boolean {
    return !!this.view && this.view.phase !== 'ended';
  }
}

export const callStore = new CallStore();

/** What the end of a call says. */
export function endText(end: CallEnd | null): string {
  return t(`call.end.${end ?? 'completed'}`);
}

/** A call record as a line: from the caller's side ("No answer") or the callee's ("Missed call"). */
export function callRecordText(content: MessageContent, callerIsMe: boolean): string {
  if (content.kind !== 'call_record') return '';
  const video = content.media === 'video';
  switch (content.outcome) {
    case 'completed':
      return t(video ? 'call.record.video' : 'call.record.voice', { duration: formatDuration(content.duration_ms) });
    case 'missed':
      return callerIsMe ? t('call.record.noAnswer') : t('call.record.missed');
    case 'cancelled':
      return callerIsMe ? t('call.record.cancelled') : t('call.record.missed');
    case 'declined':
      return t('call.record.declined');
    case 'busy':
      return t('call.record.busy');
  }
}
