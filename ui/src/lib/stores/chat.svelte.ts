// The open conversation's messages: the newest page from the cache at once,
// older pages on demand, live changes from the shell's events.
import type { CachedMessage, Event } from '../bindings';
import { api } from '../ipc';
import { mergeMessages } from './messages';

export const PAGE = 50;

export class ChatStore {
  messages = $state<CachedMessage[]>([]);
  loading = $state(false);
  reachedStart = $state(false);
  /** Messages that arrived since the view was last at the bottom. */
  unseen = $state(0);
  private generation = 0;

  constructor(public readonly conversationId: number) {}

  async loadNewest() {
    const gen = ++this.generation;
    this.loading = true;
    try {
      const page = await api.history(this.conversationId, null, PAGE);
      if (gen !== this.generation) return;
      this.startFrom(page);
    } finally {
      this.loading = false;
    }
  }

  /** Only the newest page, as the start of what is shown. */
  private startFrom(page: CachedMessage[]) {
    this.messages = mergeMessages([], page);
    this.reachedStart = page.filter((m) => m.seq !== null).length < PAGE || this.firstSeq() === 1;
  }

  /** Older pages until message `seq` is loaded, or the conversation's start,
   * or `max` messages in all; whether `seq` (or the start) was reached. */
  async loadBackTo(seq: number, max: number): Promise<boolean> {
    const reached = () => this.reachedStart || (this.firstSeq() ?? Infinity) <= seq;
    while (!reached() && this.messages.length < max) {
      if ((await this.loadOlder()) === 0) break;
    }
    return reached();
  }

  /** The newest page again (after a resync): kept with the older pages
   * already loaded when it joins them, in their place when a gap lies
   * between (the gap is filled by scrolling). */
  async refreshNewest() {
    const gen = ++this.generation;
    const page = await api.history(this.conversationId, null, PAGE);
    if (gen !== this.generation) return;
    const oldest = page.find((m) => m.seq !== null)?.seq ?? null;
    const joins = oldest === null || oldest <= this.newestSeq() + 1;
    if (joins) this.messages = mergeMessages(this.messages, page);
    else this.startFrom(page);
  }

  firstSeq(): number | null {
    return this.messages.find((m) => m.seq !== null)?.seq ?? null;
  }

  /** The next older page; returns how many messages were added. */
  async loadOlder(): Promise<number> {
    if (this.loading || this.reachedStart) return 0;
    const first = this.firstSeq();
    if (first === null || first <= 1) {
      this.reachedStart = true;
      return 0;
    }
    this.loading = true;
    try {
      const page = await api.history(this.conversationId, first, PAGE);
      const before = this.messages.length;
      this.messages = mergeMessages(this.messages, page);
      if (page.length < PAGE || this.firstSeq() === 1) this.reachedStart = true;
      return this.messages.length - before;
    } finally {
      this.loading = false;
    }
  }

  /** Applies an event; returns true when a new message was added. */
  apply(e: Event): boolean {
    switch (e.type) {
      case 'message_new':
        if (e.message.conversation_id !== this.conversationId) return false;
        this.messages = mergeMessages(this.messages, [e.message]);
        return true;
      case 'message_updated':
        if (e.message.conversation_id !== this.conversationId) return false;
        this.messages = mergeMessages(this.messages, [e.message]);
        return false;
      case 'message_recalled':
        if (e.conversation_id !== this.conversationId) return false;
        this.messages = this.messages.map((m) =>
          m.seq === e.seq ? { ...m, content: { kind: 'recalled' } } : m,
        );
        return false;
      case 'conversations_changed':
        void this.refreshNewest();
        return false;
      default:
        return false;
    }
  }

  newestSeq(): number {
    let n = 0;
    for (const m of this.messages) if (m.seq !== null && m.seq > n) n = m.seq;
    return n;
  }
}
