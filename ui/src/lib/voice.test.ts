import { describe, expect, it } from 'vitest';
import { nextSpeed, positionAt } from './stores/voice.svelte';

describe('voice notes', () => {
  it('goes through 1x, 1.5x and 2x', () => {
    expect([nextSpeed(1), nextSpeed(1.5), nextSpeed(2)]).toEqual([1.5, 2, 1]);
    expect(nextSpeed(0.75)).toBe(1);
  });
  it('moves the position by the clock between reports, at the speed, up to the end', () => {
    const p = { key: 'n', position_ms: 1000, duration_ms: 4000, playing: true, speed: 2 };
    expect(positionAt(p, 500, 750)).toBe(1500);
    expect(positionAt(p, 500, 9000)).toBe(4000);
    expect(positionAt({ ...p, playing: false }, 500, 9000)).toBe(1000);
  });
});
