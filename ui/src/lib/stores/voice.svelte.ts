// Voice notes as the UI sees them: what the shell's player is doing (from
// `ling://voice`), and asking it to play, pause, seek or change speed.
// One note plays at a time; its position moves on between the player's
// reports (about four a second) by the clock, so the bar moves smoothly.
import type { AppError, FileRef, Playback } from '../bindings';
import { api, onVoice, toAppError } from '../ipc';

/** The speeds offered, in the order a click goes through them. */
export const SPEEDS = [1, 1.5, 2];

/** The next speed after `speed`. */
export function nextSpeed(speed: number): number {
  const i = SPEEDS.indexOf(speed);
  return SPEEDS[(i + 1) % SPEEDS.length];
}

/** Where a note is, `now` ms after a report saying `p`. */
export function positionAt(p: Playback, reportedAt: number, now: number): number {
  if (!p.playing) return p.position_ms;
  return Math.min(p.duration_ms, p.position_ms + (now - reportedAt) * p.speed);
}

class Voice {
  playback = $state<Playback | null>(null);
  reportedAt = 0;
  speed = $state(1);
  error = $state<AppError | null>(null);
  #started = false;

  async start() {
    if (this.#started) return;
    this.#started = true;
    await onVoice((p) => {
      this.playback = p;
      this.reportedAt = performance.now();
      this.speed = p.speed;
    });
  }

  /** Plays (or pauses, or goes on with) the note `key`. */
  async toggle(key: string, source: { file?: FileRef; path?: string }, fromMs = 0) {
    this.error = null;
    await this.start();
    try {
      const p = this.playback;
      if (p && p.key === key && p.playing) return await api.voiceSetPlaying(false);
      if (p && p.key === key && p.position_ms > 0) return await api.voiceSetPlaying(true);
      await api.voicePlay(key, source.file ?? null, source.path ?? null, fromMs);
    } catch (e) {
      this.error = toAppError(e);
    }
  }

  /** Moves the note `key` to `ms` (starting it when another was loaded). */
  async seek(key: string, source: { file?: FileRef; path?: string }, ms: number) {
    await this.start();
    try {
      if (this.playback?.key === key) await api.voiceSeek(Math.round(ms));
      else await api.voicePlay(key, source.file ?? null, source.path ?? null, Math.round(ms));
    } catch (e) {
      this.error = toAppError(e);
    }
  }

  async cycleSpeed() {
    await this.start();
    const speed = nextSpeed(this.speed);
    this.speed = speed;
    await api.voiceSetSpeed(speed).catch((e) => (this.error = toAppError(e)));
  }
}

export const voice = new Voice();
