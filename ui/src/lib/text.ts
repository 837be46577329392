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
