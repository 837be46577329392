import { describe, expect, it } from 'vitest';
import type { RowDiff } from '../bindings';
import { applyDiff, ViewCopy } from './rows.svelte';

type Row = { key: string };
const row = (n: number): Row => ({ key: `s:${n}` });
const keys = (rows: Row[]) => rows.map((r) => r.key);

describe('applying diffs', () => {
  it('does what each diff says, in order', () => {
    const rows: Row[] = [row(2), row(3)];
    const diffs: RowDiff<Row>[] = [
      { op: 'push_front', value: row(1) },
      { op: 'push_back', value: row(5) },
      { op: 'insert', index: 3, value: row(4) },
      { op: 'set', index: 0, value: row(1) },
      { op: 'remove', index: 1 },
      { op: 'append', values: [row(6), row(7)] },
      { op: 'pop_front' },
      { op: 'pop_back' },
      { op: 'truncate', length: 3 },
    ];
    for (const d of diffs) applyDiff(rows, d);
    expect(keys(rows)).toEqual(['s:3', 's:4', 's:5']);
    applyDiff(rows, { op: 'reset', values: [row(9)] });
    expect(keys(rows)).toEqual(['s:9']);
    applyDiff(rows, { op: 'clear' });
    expect(rows).toEqual([]);
  });
});

describe('a copy of a view', () => {
  it('holds diffs that beat the snapshot, then applies them on top of it', () => {
    const copy = new ViewCopy<Row>();
    expect(copy.receive({ view: copy.view, diffs: [{ op: 'push_back', value: row(2) }] })).toBeNull();
    copy.start([row(1)]);
    expect(keys(copy.rows)).toEqual(['s:1', 's:2']);
    expect(copy.receive({ view: copy.view, diffs: [{ op: 'remove', index: 0 }] })?.map((r) => r.key)).toEqual(['s:1', 's:2']);
    expect(keys(copy.rows)).toEqual(['s:2']);
  });

  it("ignores another view's diffs", () => {
    const copy = new ViewCopy<Row>();
    copy.start([row(1)]);
    expect(copy.receive({ view: copy.view + 100, diffs: [{ op: 'clear' }] })).toBeNull();
    expect(keys(copy.rows)).toEqual(['s:1']);
  });
});
