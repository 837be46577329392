// The app's keyboard shortcuts: which key does what, decided here (pure,
// tested) and listed in the shortcuts sheet (Ctrl+/) from the same table.

/** What a shortcut does. */
export type Shortcut = 'jump' | 'search' | 'nextChat' | 'prevChat' | 'sheet' | 'close';

/** A key as the sheet shows it, and what it does (`editLast` and `cancel` act in the composer). */
export interface ShortcutRow {
  keys: string[];
  does: Shortcut | 'editLast' | 'cancel' | 'send' | 'newLine';
}

/** Every shortcut, in the sheet's order (Ctrl reads ⌘ on macOS). */
export const SHEET: ShortcutRow[] = [
  { keys: ['Ctrl', 'K'], does: 'jump' },
  { keys: ['Alt', '↑'], does: 'prevChat' },
  { keys: ['Alt', '↓'], does: 'nextChat' },
  { keys: ['Ctrl', 'F'], does: 'search' },
  { keys: ['Enter'], does: 'send' },
  { keys: ['Shift', 'Enter'], does: 'newLine' },
  { keys: ['↑'], does: 'editLast' },
  { keys: ['Esc'], does: 'cancel' },
  { keys: ['Ctrl', '/'], does: 'sheet' },
  { keys: ['Ctrl', 'W'], does: 'close' },
];

/** The window-wide shortcut a key press means, if any. */
export function shortcutFor(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>): Shortcut | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (mod && !e.altKey && !e.shiftKey) {
    if (key === 'k') return 'jump';
    if (key === 'f') return 'search';
    if (key === '/') return 'sheet';
    if (key === 'w') return 'close';
  }
  if (e.altKey && !mod && !e.shiftKey) {
    if (key === 'ArrowDown') return 'nextChat';
    if (key === 'ArrowUp') return 'prevChat';
  }
  return null;
}

/** The chat `step` places from `current` in `ids` (the list's order), staying at the ends. */
export function stepChat(ids: number[], current: number | null, step: 1 | -1): number | null {
  if (ids.length === 0) return null;
  const i = current === null ? -1 : ids.indexOf(current);
  if (i === -1) return step === 1 ? ids[0] : ids[ids.length - 1];
  return ids[Math.max(0, Math.min(ids.length - 1, i + step))];
}
