// The UI's words and dates in the person's language: zh-CN or English,
// following the system unless chosen in settings.
import { en, type MessageKey } from './en';
import { zhCN } from './zh-CN';

export type Locale = 'en' | 'zh-CN';
export type LocaleChoice = Locale | 'system';

const tables: Record<Locale, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };
const STORAGE_KEY = 'ling.locale';

/** The locale for a list of system languages (navigator.languages). */
export function pickLocale(languages: readonly string[]): Locale {
  for (const l of languages) {
    const lower = l.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

function systemLocale(): Locale {
  const langs = typeof navigator !== 'undefined' ? navigator.languages ?? [navigator.language] : [];
  return pickLocale(langs);
}

function storedChoice(): LocaleChoice {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    if (v === 'en' || v === 'zh-CN') return v;
  } catch {
    // no storage: follow the system
  }
  return 'system';
}

class I18n {
  choice = $state<LocaleChoice>(storedChoice());
  locale = $derived<Locale>(this.choice === 'system' ? systemLocale() : this.choice);

  setChoice(choice: LocaleChoice) {
    this.choice = choice;
    try {
      if (choice === 'system') localStorage.removeItem(STORAGE_KEY);
      else localStorage.setItem(STORAGE_KEY, choice);
    } catch {
      // not kept: fine for this run
    }
    document.documentElement.lang = this.locale;
  }
}

export const i18n = new I18n();

/** Formats a message: `{name}` placeholders are replaced by `params`. */
export function format(template: string, params?: Record<string, string | number>): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (all, k: string) => (k in params ? String(params[k]) : all));
}

/** The string for `key` in the current language. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return format(tables[i18n.locale][key] ?? en[key], params);
}

// Made once per language and options: building an `Intl` formatter costs far
// more than formatting with one, and a chat's first page formats a time per
// message.
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const numberFormats = new Map<string, Intl.NumberFormat>();

function dateFormat(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${i18n.locale} ${JSON.stringify(options)}`;
  let f = dateFormats.get(key);
  if (!f) dateFormats.set(key, (f = new Intl.DateTimeFormat(i18n.locale, options)));
  return f;
}

function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${i18n.locale} ${JSON.stringify(options)}`;
  let f = numberFormats.get(key);
  if (!f) numberFormats.set(key, (f = new Intl.NumberFormat(i18n.locale, options)));
  return f;
}

/** A clock time, e.g. 12:03. */
export function formatTime(ms: number): string {
  return dateFormat({ hour: '2-digit', minute: '2-digit' }).format(ms);
}

function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** A day for a separator: Today, Yesterday, or a date. */
export function formatDay(ms: number, now = Date.now()): string {
  const days = Math.round((startOfDay(now) - startOfDay(ms)) / 86_400_000);
  if (days === 0) return t('chat.today');
  if (days === 1) return t('chat.yesterday');
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear();
  return dateFormat({
    weekday: days < 7 ? 'long' : undefined,
    month: 'long',
    day: 'numeric',
    year: sameYear ? undefined : 'numeric',
  }).format(ms);
}

/** A time for the conversation list: the clock today, the weekday this week, else a date. */
export function formatListTime(ms: number, now = Date.now()): string {
  if (!ms) return '';
  const days = Math.round((startOfDay(now) - startOfDay(ms)) / 86_400_000);
  if (days === 0) return formatTime(ms);
  if (days === 1) return t('chat.yesterday');
  if (days < 7) return dateFormat({ weekday: 'short' }).format(ms);
  return dateFormat({ year: '2-digit', month: 'numeric', day: 'numeric' }).format(ms);
}

/** Bytes for people: 1.2 MB. */
/** `m:ss`, or `h:mm:ss` past an hour. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 || v >= 10 ? 0 : 1;
  return `${numberFormat({ maximumFractionDigits: digits }).format(v)} ${units[u]}`;
}
