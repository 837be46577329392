// Rows the shell hands out as a snapshot plus diffs (the open chat's
// timeline, the conversation list): a copy kept by applying them in order.
import type { RowDiff, ViewDiffs } from '../bindings';

/** Applies one diff to `rows`, in place. */
export function applyDiff<T>(rows: T[], d: RowDiff<T>): void {
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

/** Views opened in this window; each opening has its own number. */
let views = 0;

/** A copy of one opened view's rows. Diffs that come before the snapshot
 * (the event can beat the command's answer) wait for it; another view's
 * are ignored. */
export class ViewCopy<T> {
  rows = $state.raw<T[]>([]);
  readonly view = ++views;
  private early: RowDiff<T>[][] | null = [];

  /** Whether the snapshot is in. */
  get started(): boolean {
    return this.early === null;
  }

  /** The snapshot, with what came before it applied on top. */
  start(snapshot: T[]) {
    const rows = [...snapshot];
    for (const batch of this.early ?? []) for (const d of batch) applyDiff(rows, d);
    this.early = null;
    this.rows = rows;
  }

  /** A batch of diffs; the rows before it, if it was this view's and applied. */
  receive(e: ViewDiffs<T>): T[] | null {
    if (e.view !== this.view) return null;
    if (this.early) {
      this.early.push(e.diffs);
      return null;
    }
    const before = this.rows;
    const rows = [...before];
    for (const d of e.diffs) applyDiff(rows, d);
    this.rows = rows;
    return before;
  }
}
