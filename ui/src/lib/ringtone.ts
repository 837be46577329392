// Call tones made with Web Audio (no sound files to ship): the ring of an
// incoming call, and the ringback heard while one's own call rings.
export type Tone = 'ring' | 'ringback' | null;

export class Ringer {
  private ctx: AudioContext | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private playing: Tone = null;

  play(tone: Tone) {
    if (tone === this.playing) return;
    this.stop();
    this.playing = tone;
    if (!tone || typeof AudioContext === 'undefined') return;
    try {
      this.ctx = new AudioContext();
    } catch {
      return; // no audio output: the window still shows the call
    }
    const beat = () => (tone === 'ring' ? this.burst([880, 660], 0.9) : this.burst([425], 1.0));
    beat();
    this.timer = setInterval(beat, tone === 'ring' ? 2000 : 4000);
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    void this.ctx?.close().catch(() => {});
    this.ctx = null;
    this.playing = null;
  }

  /** One burst of the tone: frequencies alternating every 0.15 s (or steady). */
  private burst(freqs: number[], seconds: number) {
    const ctx = this.ctx;
    if (!ctx) return;
    const gain = ctx.createGain();
    gain.gain.value = 0.0001;
    gain.connect(ctx.destination);
    const osc = ctx.createOscillator();
    osc.connect(gain);
    const t0 = ctx.currentTime;
    osc.frequency.setValueAtTime(freqs[0], t0);
    if (freqs.length > 1) {
      for (let s = 0, i = 0; s < seconds; s += 0.15, i++) osc.frequency.setValueAtTime(freqs[i % freqs.length], t0 + s);
    }
    gain.gain.exponentialRampToValueAtTime(0.15, t0 + 0.03);
    gain.gain.setValueAtTime(0.15, t0 + seconds - 0.05);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + seconds);
    osc.start(t0);
    osc.stop(t0 + seconds);
  }
}
