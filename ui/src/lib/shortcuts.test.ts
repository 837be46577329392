import { describe, expect, it } from 'vitest';
import { SHEET, shortcutFor, stepChat } from './shortcuts';

const key = (k: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey', boolean>> = {}) => ({
  key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods,
});

describe('keyboard shortcuts', () => {
  it('reads Ctrl or ⌘ with a letter, and Alt with an arrow', () => {
    expect(shortcutFor(key('k', { ctrlKey: true }))).toBe('jump');
    expect(shortcutFor(key('K', { metaKey: true }))).toBe('jump');
    expect(shortcutFor(key('f', { ctrlKey: true }))).toBe('search');
    expect(shortcutFor(key('/', { ctrlKey: true }))).toBe('sheet');
    expect(shortcutFor(key('ArrowDown', { altKey: true }))).toBe('nextChat');
    expect(shortcutFor(key('ArrowUp', { altKey: true }))).toBe('prevChat');
  });

  it('leaves plain typing, other combinations and AltGr letters alone', () => {
    expect(shortcutFor(key('k'))).toBeNull();
    expect(shortcutFor(key('f', { ctrlKey: true, shiftKey: true }))).toBeNull();
    expect(shortcutFor(key('k', { ctrlKey: true, altKey: true }))).toBeNull();
    expect(shortcutFor(key('ArrowDown'))).toBeNull();
  });

  it('lists every window-wide shortcut in the sheet', () => {
    for (const s of ['jump', 'search', 'nextChat', 'prevChat', 'sheet', 'close']) {
      expect(SHEET.some((r) => r.does === s)).toBe(true);
    }
  });

  it('steps through the chats in the list order and stops at its ends', () => {
    expect(stepChat([4, 7, 9], 7, 1)).toBe(9);
    expect(stepChat([4, 7, 9], 9, 1)).toBe(9);
    expect(stepChat([4, 7, 9], 4, -1)).toBe(4);
    expect(stepChat([4, 7, 9], null, 1)).toBe(4);
    expect(stepChat([4, 7, 9], null, -1)).toBe(9);
    expect(stepChat([], null, 1)).toBeNull();
  });
});
