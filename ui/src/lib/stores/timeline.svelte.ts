// The open chat's rows as the Rust timeline folds them (order, local echo,
// day dividers, the unread marker, sender grouping, recalls): a snapshot
// when opened, then the diffs of `ling://timeline`. Nothing here merges,
// sorts or pulls messages back.
import type { CachedMessage, RowDiff, TimelineDiffs, TimelineItem } from '../bindings';
import { api } from '../ipc';

/** Applies one diff to `rows`, in place. */
export function applyDiff(rows: TimelineItem[], d: RowDiff): void {
  switch (d.op) {
    case 'append':
      rows.push(...d.values);
      break;
    case 'clear':
      rows.length = 0;
      break;
    case 'push_front':
      rows.unshift(d.value);
      break;
    case 'push_back':
      rows.push(d.value);
      break;
    case 'pop_front':
      rows.shift();
      break;
    case 'pop_back':
      rows.pop();
      break;
    case 'insert':
      rows.splice(d.index, 0, d.value);
      break;
    case 'set':
      rows[d.index] = d.value;
      break;
    case 'remove':
      rows.splice(d.index, 1);
      break;
    case 'truncate':
      rows.length = Math.min(rows.length, d.length);
      break;
    case 'reset':
      rows.length = 0;
      rows.push(...d.values);
      break;
  }
}

/** What a batch of diffs did, for the view to follow. */
export interface Applied {
  /** Messages that were not there before, after the first one that was
   * (arrivals, sends, not an older page). */
  arrived: CachedMessage[];
  /** Whether rows were added before the first one (an older page): the
   * view keeps its place from the end. */
  prepended: boolean;
}

/** Views opened in this window; each opening has its own number. */
let views = 0;

export class ChatTimeline {
  rows = $state.raw<TimelineItem[]>([]);
  loading = $state(false);
  reachedStart = $state(false);
  /** Messages that arrived since the view was last at the bottom. */
  unseen = $state(0);
  readonly view = ++views;
  /** Diffs that came before the snapshot they apply to. */
  private early: RowDiff[][] | null = [];
  private closed = false;

  constructor(public readonly conversationId: number) {}

  /** Opens the timeline; whether it opened at its first unread message
   * (the marker is in, with that message under it). */
  async open(): Promise<boolean> {
    const snapshot = await api.timelineOpen(this.view, this.conversationId);
    if (this.closed) return false;
    const rows = [...snapshot.items];
    for (const batch of this.early ?? []) for (const d of batch) applyDiff(rows, d);
    this.early = null;
    this.rows = rows;
    this.reachedStart = snapshot.reached_start;
    return snapshot.at_unread;
  }

  /** A batch from `ling://timeline`, if it is this view's. */
  receive(e: TimelineDiffs): Applied | null {
    if (e.view !== this.view || this.closed) return null;
    if (this.early) {
      this.early.push(e.diffs);
      return null;
    }
    const before = this.rows;
    const rows = [...before];
    for (const d of e.diffs) applyDiff(rows, d);
    this.rows = rows;
    return compare(before, rows);
  }

  /** The next older page (its rows come as diffs). */
  async paginateBack(): Promise<void> {
    if (this.loading || this.reachedStart || this.early) return;
    this.loading = true;
    try {
      this.reachedStart = await api.timelinePaginateBack(this.view);
    } finally {
      this.loading = false;
    }
  }

  close() {
    this.closed = true;
    void api.timelineClose(this.view).catch(() => {});
  }

  /** The newest message with a seq (read up to it). */
  newestSeq(): number {
    for (let i = this.rows.length - 1; i >= 0; i--) {
      const r = this.rows[i];
      if (r.kind === 'message' && r.message.seq !== null) return r.message.seq;
    }
    return 0;
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
    if (r.kind !== 'message' || had.has(r.key)) continue;
    if (pastFirst) arrived.push(r.message);
    else prepended = true;
  }
  return { arrived, prepended };
}
