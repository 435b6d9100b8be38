/**
 * A submission's scratch file (gateway/excel/spill.ts): part rows come back joined to their
 * record's personal id in sheet order, part rows without a record come out as orphans in the
 * order the answer lists them, outcomes are looked up by row, and the file is gone afterwards.
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SubmissionSpill } from '../gateway/excel/spill.js';
import { countOutcomes } from '../adapters/excel/answer.js';

const row = (sheet: string, n: number, id: string) => ({ sheet, row: n, cells: { soDinhDanh: { v: id }, noiDung: { v: `dòng ${n} — Đặng Văn Lượng`, t3: 1 as const }, nam: { v: 2020 }, tuNgay: { v: { d: '2020-01-01T00:00:00.000Z' } } } });

describe('the submission scratch file', () => {
  it('joins part rows to their record, lists orphans in order, looks outcomes up by row, and removes itself', () => {
    const spill = new SubmissionSpill();
    expect(readdirSync(spill.dir)).toEqual(['rows.sqlite']);
    // Many rows, so several write transactions are committed along the way.
    for (let i = 0; i < 5000; i++) spill.addRecord(String(100000000000 + i));
    spill.addPart('100000000001', 1, row('Khen thưởng', 2, '100000000001'));
    spill.addPart('100000000001', 0, row('Quá trình công tác', 7, '100000000001'));
    spill.addPart('999999999999', 0, row('Quá trình công tác', 3, '999999999999'));
    spill.addPart('', 0, row('Quá trình công tác', 4, ''));
    spill.addPart('100000000001', 0, row('Quá trình công tác', 9, '100000000001'));
    spill.addPart('999999999999', 0, row('Quá trình công tác', 8, '999999999999'));
    spill.addPart('888888888888', 1, row('Khen thưởng', 5, '888888888888'));

    const own = spill.partsOf('100000000001');
    expect([...own.keys()]).toEqual([0, 1]);
    expect(own.get(0)!.map((r) => r.row)).toEqual([7, 9]);
    expect(own.get(1)).toEqual([row('Khen thưởng', 2, '100000000001')]);
    expect(spill.partsOf('100000000002').size).toBe(0);

    expect([...spill.orphans()].map((o) => [o.k, o.id, o.row.row])).toEqual([
      [0, '999999999999', 3],
      [0, '999999999999', 8],
      [0, '', 4],
      [1, '888888888888', 5],
    ]);

    for (let r = 2; r < 4002; r++) spill.set(r, { status: r % 2 ? 'SYNCED' : 'INVALID', trackingId: `t-${r}`, message: '', soDinhDanh: String(r) });
    spill.set(2, { status: 'UNCHANGED', earlier: 'SYNCED', trackingId: 't-2', message: 'không đổi' });
    expect(spill.size).toBe(4000);
    expect(spill.get(2)).toEqual({ status: 'UNCHANGED', earlier: 'SYNCED', trackingId: 't-2', message: 'không đổi' });
    expect(spill.get(3)?.status).toBe('SYNCED');
    expect(spill.get(4002)).toBeUndefined();
    expect(countOutcomes(spill.values())).toEqual({ SYNCED: 2000, INVALID: 1999, UNCHANGED: 1, QUEUED: 0, STALE: 0, ERROR: 0 });

    spill.dispose();
    expect(existsSync(spill.dir)).toBe(false);
  });
});
