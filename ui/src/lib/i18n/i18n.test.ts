import { describe, expect, it } from 'vitest';
import { en } from './en';
import { zhCN } from './zh-CN';
import { format, formatDay, i18n, pickLocale } from './index.svelte';

describe('strings', () => {
  it('has every English key in Chinese with the same placeholders', () => {
    const holes = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [k, v] of Object.entries(en)) {
      const zh = zhCN[k as keyof typeof en];
      expect(zh, k).toBeTruthy();
      expect(holes(zh), k).toEqual(holes(v));
    }
  });

  it('follows the system language', () => {
    expect(pickLocale(['zh-TW', 'en'])).toBe('zh-CN');
    expect(pickLocale(['en-GB'])).toBe('en');
    expect(pickLocale(['fr-FR'])).toBe('en');
  });

  it('fills placeholders and leaves unknown ones', () => {
    expect(format('{n} new, {x}', { n: 3 })).toBe('3 new, {x}');
  });

  it('formats dates in the language chosen, back and forth (formatters are kept per language)', () => {
    const day = new Date(2020, 2, 5).getTime();
    const now = new Date(2026, 0, 1).getTime();
    i18n.setChoice('en');
    expect(formatDay(day, now)).toContain('March');
    i18n.setChoice('zh-CN');
    expect(formatDay(day, now)).toContain('3月');
    i18n.setChoice('en');
    expect(formatDay(day, now)).toContain('March');
    i18n.setChoice('system');
  });
});
