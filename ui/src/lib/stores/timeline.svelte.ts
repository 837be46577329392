// The open chat's rows as the Rust timeline folds them (order, local echo,
// day dividers, the unread marker, sender grouping, recalls): a snapshot
// when opened, then its diffs from `ling://views`. Nothing here merges,
// sorts or pulls messages back.
import type { CachedMessage, TimelineItem, ViewDiffs } from '../bindings';
import { api } from '../ipc';
import { ViewCopy } from './rows.svelte';

/** What a batch of diffs did, for the view to follow. */
export interface Applied {
  /** Messages that were not there before, after the first one that was
   * (arrivals, sends, not an older page). */
  arrived: CachedMessage[];
  /** Whether rows were added before the first one (an older page): the
   * view keeps its place from the end. */
  prepended: boolean;
}

export class ChatTimeline {
  private copy = new ViewCopy<TimelineItem>();
  loading = $state(false);
  reachedStart = $state(false);
  /** Messages that arrived since the view was last at the bottom. */
  unseen = $state(0);
  private closed = false;

  constructor(public readonly conversationId: number) {}

  get rows(): TimelineItem[] {
    return this.copy.rows;
  }

  get view(): number {
    return this.copy.view;
  }

  /** Opens the timeline; whether it opened at its first unread message
   * (the marker is in, with that message under it). */
  async open(): Promise<boolean> {
    const snapshot = await api.timelineOpen(this.view, this.conversationId);
    if (this.closed) return false;
    this.copy.start(snapshot.items);
    this.reachedStart = snapshot.reached_start;
    return snapshot.at_unread;
  }

  /** A batch of its diffs from `ling://views`, if it is this view's. */
  receive(e: ViewDiffs<TimelineItem>): Applied | null {
    if (this.closed) return null;
    const before = this.copy.receive(e);
    return before ? compare(before, this.rows) : null;
  }

  /** The next older page (its rows come as diffs). */
  async paginateBack(): Promise<void> {
    if (this.loading || this.reachedStart || !this.copy.started) return;
    this.loading = true;
    try {
      this.reachedStart = await api.timelinePaginateBack(this.view);
    } finally {
      this.loading = false;
    }
  }

  /** Loads older pages until message `seq` is in; whether it is. */
  async paginateBackTo(seq: number): Promise<boolean> {
    if (!this.copy.started) return false;
    this.loading = true;
    try {
      return await api.timelinePaginateBackTo(this.view, seq);
    } finally {
      this.loading = false;
    }
  }

  close() {
    this.closed = true;
    void api.timelineClose(this.view).catch(() => {});
  }
}

function compare(before: TimelineItem[], after: TimelineItem[]): Applied {
  const firstOld = before.find((r) => r.kind === 'message')?.key;
  const had = new Set(before.map((r) => r.key));
  const arrived: CachedMessage[] = [];
  let pastFirst = firstOld === undefined;
  let prepended = false;
  for (const r of after) {
    if (r.key === firstOld) pastFirst = true;
    // A reply still streaming arrives once, as the message that replaces it.
    if (r.kind !== 'message' || had.has(r.key) || r.message.status === 'streaming') continue;
    if (pastFirst) arrived.push(r.message);
    else prepended = true;
  }
  return { arrived, prepended };
}
