/**
 * A submission's scratch file (gateway/excel/spill.ts): part rows come back joined to their
 * record's personal id in sheet order, part rows without a record come out as orphans in the
 * order the answer lists them, outcomes are looked up by row, cell problems by row of their cell
 * and by record, an earlier answer's rows come back in pages, and the file is gone afterwards.
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SubmissionSpill } from '../gateway/excel/spill.js';
import { countOutcomes, type CellIssue } from '../adapters/excel/answer.js';

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

  it('keeps cell problems in the order found, looked up by cell row and by record; answered rows come back in pages by row', () => {
    const spill = new SubmissionSpill();
    try {
      const issue = (ref: string, rec: number, code: string, warning?: boolean): CellIssue => ({ ref, row: rec, soDinhDanh: `id-${rec}`, code, message: `${code} ở ${ref}`, ...(warning ? { warning } : {}) });
      const found: CellIssue[] = [
        issue(`'Hồ sơ'!C3`, 3, 'NGAY_KHONG_TON_TAI'),
        issue(`'Quá trình công tác'!B4`, 3, 'THANG_KHONG_HOP_LE'),
        issue(`'Hồ sơ'!F3`, 3, 'KHONG_CO_TRONG_DANH_MUC', true),
        issue(`'Hồ sơ'!C3`, 3, 'THIEU_THONG_TIN'),
        issue('cột «Hệ số lương» không có trên trang', 5, 'THIEU_COT'),
        issue(`'Quá trình công tác'!A9`, 0, 'KHONG_CO_HO_SO'),
      ];
      for (const i of found) spill.addIssue(i);
      // Many more, so pages and write transactions both turn over.
      for (let r = 10; r < 2510; r++) spill.addIssue(issue(`'Hồ sơ'!D${r}`, r, 'SAI'));

      expect(spill.onRow('Hồ sơ', 3)).toEqual([found[0], found[2], found[3]]);
      expect(spill.onRow('Quá trình công tác', 4)).toEqual([found[1]]);
      expect(spill.onRow('Quá trình công tác', 3)).toEqual([]);
      expect(spill.ofRecord(3)).toEqual(found.slice(0, 4));
      expect(spill.ofRecord(5)).toEqual([found[4]]);
      expect(spill.ofRecord(0)).toEqual([found[5]]);
      expect(spill.onRow('Hồ sơ', 2509)).toEqual([issue(`'Hồ sơ'!D2509`, 2509, 'SAI')]);
      const all = [...spill.all()];
      expect(all).toHaveLength(2506);
      expect(all.slice(0, 6)).toEqual(found);
      expect(all.slice(6).map((i) => i.row)).toEqual(Array.from({ length: 2500 }, (_, k) => k + 10));
      expect(spill.errorCount).toBe(2505);

      // An earlier answer's rows, read out of order; the detail is not kept (it is written anew).
      for (const r of [7, 2, 1205, 3]) spill.row(r, { trackingId: `TD${r}`, status: 'QUEUED', soDinhDanh: `id-${r}`, detail: 'cũ' });
      for (let r = 10; r < 1200; r++) spill.row(r, { status: 'INVALID' });
      const first = spill.answeredAfter(0, 3);
      expect(first).toEqual([
        { row: 2, answered: { trackingId: 'TD2', status: 'QUEUED', soDinhDanh: 'id-2' } },
        { row: 3, answered: { trackingId: 'TD3', status: 'QUEUED', soDinhDanh: 'id-3' } },
        { row: 7, answered: { trackingId: 'TD7', status: 'QUEUED', soDinhDanh: 'id-7' } },
      ]);
      const rows: number[] = [];
      for (let page = spill.answeredAfter(0, 500); page.length; page = spill.answeredAfter(page[page.length - 1].row, 500)) rows.push(...page.map((p) => p.row));
      expect(rows).toEqual([2, 3, 7, ...Array.from({ length: 1190 }, (_, k) => k + 10), 1205]);
    } finally {
      spill.dispose();
    }
  });
});
