/** The pure re-mapping index and resolver, and the readers of the two documents (no store). */
import { describe, expect, it } from 'vitest';
import { buildUnitIndex, parseRemapRules, resolveUnitCode, UnitDataError } from '../adapters/national/remap.js';
import { REMAP_TEST_TREE as TREE, SAMPLE_REMAP_RULES as SAMPLE_RULES } from './national-helpers.js';

describe('resolveUnitCode (pure)', () => {
  const rules = parseRemapRules(SAMPLE_RULES);
  const index = buildUnitIndex(rules, TREE.donVi);
  const today = '2025-09-01';
  const r = (code: string) => resolveUnitCode(index, code, today, '/donVi/maDinhDanh');

  it('applies exact rules before level-1 rules', () => {
    expect(r('000.05.31.H03')).toEqual({ code: '000.05.31.H06', ruleApplied: { kind: 'exact', from: '000.05.31.H03', to: '000.05.31.H06', ruleIds: [2] } });
    expect(r('000.12.00.H03')).toMatchObject({ code: '000.00.00.H06', ruleApplied: { kind: 'exact' } });
    expect(r('000.00.00.H03')).toMatchObject({ code: '000.00.00.H06', ruleApplied: { kind: 'exact' } });
  });

  it('level-1 rules replace only the last group', () => {
    expect(r('000.07.12.H03')).toEqual({ code: '000.07.12.H06', ruleApplied: { kind: 'level1', from: '000.07.12.H03', to: '000.07.12.H06', ruleIds: [3] } });
  });

  it('re-homes codes a current unit lists in maCu', () => {
    expect(r('001.02.04.H03')).toEqual({ code: '001.02.03.H06', ruleApplied: { kind: 'tree', from: '001.02.04.H03', to: '001.02.03.H06' } });
  });

  it('keeps current codes', () => {
    expect(r('000.05.31.H06')).toEqual({ code: '000.05.31.H06' });
  });

  it('refuses unknown codes, closed units and ambiguous successors', () => {
    expect(r('123.45.67.H99')).toEqual({
      error: {
        pointer: '/donVi/maDinhDanh',
        field: '/donVi/maDinhDanh',
        code: 'MA_DON_VI_KHONG_TON_TAI',
        message: 'Mã đơn vị 123.45.67.H99 không có trong cây đơn vị hiện hành và không có quy tắc chuyển đổi mã',
      },
    });
    expect(r('000.09.01.H06')).toMatchObject({ error: { code: 'MA_DON_VI_KHONG_TON_TAI', message: 'Đơn vị 000.09.01.H06 đã hết hiệu lực từ ngày 01/08/2025 và không có quy tắc chuyển đổi mã' } });
    expect(r('009.09.09.H09')).toMatchObject({ error: { code: 'MA_DON_VI_KHONG_XAC_DINH' } });
    expect(r('bad code')).toMatchObject({ error: { code: 'SAI_DINH_DANG' } });
  });

  it('warns when a rule leads outside the tree', () => {
    expect(r('555.01.01.H03')).toMatchObject({ code: '555.01.01.H06', ruleApplied: { kind: 'level1' }, warning: { code: 'MA_DON_VI_CHUA_CO_TRONG_CAY' } });
  });

  it('lets codes pass with a warning while the tree is empty', () => {
    const empty = buildUnitIndex(rules, []);
    expect(resolveUnitCode(empty, '123.45.67.H99', today)).toMatchObject({ code: '123.45.67.H99', warning: { code: 'CAY_DON_VI_CHUA_NAP' } });
    expect(resolveUnitCode(empty, '000.05.31.H03', today)).toMatchObject({ code: '000.05.31.H06', ruleApplied: { kind: 'exact' }, warning: { code: 'CAY_DON_VI_CHUA_NAP' } });
  });

  it('does not apply a rule before its date', () => {
    expect(resolveUnitCode(index, '000.07.12.H03', '2025-06-30')).toMatchObject({ error: { code: 'MA_DON_VI_KHONG_TON_TAI' } });
  });

  it('follows chained rules and stops at cycles', () => {
    const chained = buildUnitIndex(
      [
        { kind: 'exact', maCu: 'A1', maMoi: 'B1', tuNgay: '2020-01-01' },
        { kind: 'exact', maCu: 'B1', maMoi: '000.05.31.H06', tuNgay: '2025-07-01' },
        { kind: 'exact', maCu: 'X', maMoi: 'Y', tuNgay: '2020-01-01' },
        { kind: 'exact', maCu: 'Y', maMoi: 'X', tuNgay: '2020-01-01' },
      ],
      TREE.donVi,
    );
    expect(resolveUnitCode(chained, 'A1', today)).toEqual({
      code: '000.05.31.H06',
      ruleApplied: { kind: 'exact', from: 'A1', to: '000.05.31.H06', ruleIds: [1, 2], path: ['A1', 'B1', '000.05.31.H06'] },
    });
    expect(resolveUnitCode(chained, 'X', today)).toMatchObject({ error: { code: 'MA_DON_VI_KHONG_XAC_DINH' } });
  });
});

describe('parseRemapRules', () => {
  it('reads the contract sample', () => {
    const rules = parseRemapRules(SAMPLE_RULES);
    expect(rules).toHaveLength(4);
    expect(rules[2]).toEqual({ kind: 'level1', maCu: 'H03', maMoi: 'H06', tuNgay: '2025-07-01', ghiChu: 'mọi đơn vị trực thuộc: thay mã cấp 1, giữ các cấp dưới' });
  });

  it('reports every problem with a pointer, in Vietnamese', () => {
    try {
      parseRemapRules({
        rules: [
          { maCu: '000.00.00.h03', maMoi: '000.00.00.H06', tuNgay: '2025-07-01' },
          { maCap1Cu: 'H03', maMoi: 'H06', tuNgay: '2025-07-01' },
          { maCu: 'A', maMoi: 'B', tuNgay: '2025-02-30' },
          { maCu: 'A', maMoi: 'C', tuNgay: '2025-07-01' },
          { maCu: 'B', maMoi: 'A', tuNgay: '2025-07-01' },
        ],
      });
      expect.fail('should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(UnitDataError);
      const issues = (err as UnitDataError).issues;
      expect(issues.map((i) => [i.pointer, i.code])).toEqual([
        ['/rules/0/maCu', 'SAI_DINH_DANG'],
        ['/rules/1', 'KHONG_HOP_LE'],
        ['/rules/2/tuNgay', 'NGAY_KHONG_HOP_LE'],
      ]);
      expect(issues[0].message).toBe('Quy tắc 1: maCu "000.00.00.h03" không đúng định dạng mã định danh');
    }
    const cycle = (() => {
      try {
        parseRemapRules({ rules: [{ maCu: 'A', maMoi: 'B', tuNgay: '2025-07-01' }, { maCu: 'B', maMoi: 'A', tuNgay: '2025-07-01' }] });
      } catch (err) {
        return (err as UnitDataError).issues;
      }
    })();
    expect(cycle?.[0].message).toBe('Các quy tắc chuyển đổi mã tạo vòng lặp: A → B → A');
    expect(() => parseRemapRules({})).toThrow(UnitDataError);
  });
});
