// Message text as plain text with links: nothing else is interpreted.
import { find } from 'linkifyjs';

export type Segment = { text: string; href?: string; mention?: boolean };

/** Splits text into plain runs and links (http, https, mailto). */
export function segments(text: string): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const link of find(text)) {
    if (link.type !== 'url' && link.type !== 'email') continue;
    if (!/^(https?:|mailto:)/i.test(link.href)) continue;
    if (link.start > at) out.push({ text: text.slice(at, link.start) });
    out.push({ text: link.value, href: link.href });
    at = link.end;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}

/** The first http(s) link in a text, as written there (what a link
 * preview is made for; the server checks that the text holds it). */
export function firstLink(text: string): string | null {
  for (const link of find(text)) {
    if (link.type === 'url' && /^https?:\/\//i.test(link.value)) return link.value;
  }
  return null;
}

/** A link's host without `www.`, or '' when it is not a link. */
export function hostOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, '');
  } catch {
    return '';
  }
}

/** True when a text is only emoji (shown larger), up to a few of them. */
export function isEmojiOnly(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed || trimmed.length > 24) return false;
  return /^(?:\p{Extended_Pictographic}|\p{Emoji_Component}|\u200d|\ufe0f|\s)+$/u.test(trimmed) &&
    /\p{Extended_Pictographic}/u.test(trimmed);
}

/** Marks `@name` in the plain runs, for each name a message mentions
 * (the longest first, so "@Ann Lee" wins over "@Ann"). */
export function markMentions(parts: Segment[], names: string[]): Segment[] {
  const sorted = [...new Set(names.filter((n) => n !== ''))].sort((a, b) => b.length - a.length);
  if (sorted.length === 0) return parts;
  const out: Segment[] = [];
  for (const p of parts) {
    if (p.href) {
      out.push(p);
      continue;
    }
    let rest = p.text;
    while (rest !== '') {
      let best: { at: number; name: string } | null = null;
      for (const name of sorted) {
        const at = rest.indexOf(`@${name}`);
        if (at >= 0 && (best === null || at < best.at)) best = { at, name };
      }
      if (!best) {
        out.push({ text: rest });
        break;
      }
      if (best.at > 0) out.push({ text: rest.slice(0, best.at) });
      out.push({ text: `@${best.name}`, mention: true });
      rest = rest.slice(best.at + best.name.length + 1);
    }
  }
  return out;
}

/** The `@query` being typed just before the caret, if any: an `@` at the
 * start or after a space, and no space since. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const at = before.lastIndexOf('@');
  if (at < 0) return null;
  if (at > 0 && !/\s/.test(before[at - 1])) return null;
  const query = before.slice(at + 1);
  if (/\s/.test(query) || query.length > 32) return null;
  return { start: at, query };
}

/** Someone who can be mentioned, under the names people may type. */
export interface Mentionable {
  id: number;
  /** What `@` inserts. */
  name: string;
  /** Also matched: username, nickname, remark. */
  aliases: string[];
}

/** The people whose name or aliases contain `query` (any case), names
 * that start with it first. */
export function matchMentionable(people: Mentionable[], query: string): Mentionable[] {
  const q = query.toLowerCase();
  const hit = (p: Mentionable) => [p.name, ...p.aliases].some((n) => n.toLowerCase().includes(q));
  const starts = (p: Mentionable) => [p.name, ...p.aliases].some((n) => n.toLowerCase().startsWith(q));
  return people.filter(hit).sort((a, b) => Number(starts(b)) - Number(starts(a)));
}

/** Of the people picked while typing, those whose `@name` is still in the text. */
export function stillMentioned(text: string, picked: { id: number; name: string }[]): number[] {
  return [...new Set(picked.filter((p) => text.includes(`@${p.name}`)).map((p) => p.id))];
}
