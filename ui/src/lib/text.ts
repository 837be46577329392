// Message text as plain text with links: nothing else is interpreted.
import { find } from 'linkifyjs';

export type Segment = { text: string; href?: string };

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

/** True when a text is only emoji (shown larger), up to a few of them. */
export function isEmojiOnly(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed || trimmed.length > 24) return false;
  return /^(?:\p{Extended_Pictographic}|\p{Emoji_Component}|\u200d|\ufe0f|\s)+$/u.test(trimmed) &&
    /\p{Extended_Pictographic}/u.test(trimmed);
}
