import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTRACTS, STORE_KINDS, cleanup, testContext } from './helpers/env.js';
import {
  buildUnitIndex,
  createUnitDirectory,
  listRemapRules,
  listUnits,
  loadRemapRules,
  loadUnitTree,
  parseRemapRules,
  resolveUnitCode,
  UnitDataError,
} from '../adapters/national/remap.js';
import type { AppContext } from '../core/context.js';
import type { AuditEvent } from '../core/audit-sink.js';

afterAll(cleanup);

const SAMPLE_RULES = JSON.parse(readFileSync(path.join(CONTRACTS, 'national/unit-remap.sample.json'), 'utf8'));
const TREE = {
  donVi: [
    { maDinhDanh: '000.00.00.H06', ten: 'UBND tỉnh Bắc Ninh', cap: 1, hieuLucTu: '2025-07-01', maCu: ['000.00.00.H03'] },
    { maDinhDanh: '000.05.31.H06', ten: 'Sở Nội vụ tỉnh Bắc Ninh', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01' },
    { maDinhDanh: '000.07.12.H06', ten: 'Sở Tài chính', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01' },
    { maDinhDanh: '001.02.03.H06', ten: 'Xã Tân Mỹ', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01', maCu: ['001.02.03.H03', '001.02.04.H03'] },
    { maDinhDanh: '002.02.03.H06', ten: 'Phường Bắc', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01', maCu: ['009.09.09.H09'] },
    { maDinhDanh: '003.02.03.H06', ten: 'Phường Nam', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01', maCu: ['009.09.09.H09'] },
    { maDinhDanh: '000.09.01.H06', ten: 'Ban đã giải thể', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01', hieuLucDen: '2025-08-01' },
  ],
};

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

describe.each(STORE_KINDS)('unit directory on %s', (kind) => {
  const audited: AuditEvent[] = [];
  const spy = (ctx: AppContext) => {
    const record = ctx.audit.record.bind(ctx.audit);
    ctx.audit.record = (e) => {
      audited.push(e);
      record(e);
    };
    return ctx;
  };

  it('loads rules and the tree, lists them, and answers remap from the cache', async () => {
    const ctx = spy(await testContext(kind));
    const directory = await createUnitDirectory(ctx, { refreshIntervalMs: 20 });
    try {
      expect(directory.treeLoaded()).toBe(false);
      expect(directory.remap('000.05.31.H03')).toEqual({ code: '000.05.31.H03', warning: expect.objectContaining({ code: 'CAY_DON_VI_CHUA_NAP' }) });

      expect(await loadRemapRules(ctx, SAMPLE_RULES, 'cli:test')).toEqual({ exact: 3, level1: 1, total: 4, replaced: 0 });
      const tree = await loadUnitTree(ctx, TREE, 'cli:test');
      expect(tree).toMatchObject({ units: 7, withOldCodes: 4, replaced: 0, warnings: [] });

      await directory.reload();
      expect(directory.stats()).toMatchObject({ exactRules: 3, level1Rules: 1, units: 7 });
      expect(directory.remap('000.05.31.H03')).toMatchObject({ code: '000.05.31.H06' });
      expect(directory.remap('001.02.04.H03')).toMatchObject({ code: '001.02.03.H06' });
      expect(directory.remap('999.99.99.H99')).toMatchObject({ error: { code: 'MA_DON_VI_KHONG_TON_TAI' } });
      expect(directory.unit('001.02.03.H06')).toEqual(TREE.donVi[3]);

      const rules = await listRemapRules(ctx);
      expect(rules.map((r) => [r.kind, r.maCu, r.maMoi])).toEqual([
        ['exact', '000.00.00.H03', '000.00.00.H06'],
        ['exact', '000.05.31.H03', '000.05.31.H06'],
        ['exact', '000.12.00.H03', '000.00.00.H06'],
        ['level1', 'H03', 'H06'],
      ]);
      expect(rules[0]).toMatchObject({ ghiChu: 'tỉnh cũ sáp nhập vào tỉnh mới', createdBy: 'cli:test', tuNgay: '2025-07-01' });
      const units = await listUnits(ctx);
      expect(units.total).toBe(7);
      expect(units.units[0]).toEqual(TREE.donVi[0]);
      expect((await listUnits(ctx, { parent: '000.00.00.H06' })).total).toBe(6);
      expect((await listUnits(ctx, { q: 'tan my' })).units.map((u) => u.maDinhDanh)).toEqual(['001.02.03.H06']);

      expect(audited.filter((e) => e.kind === 'admin').map((e) => [e.operation, e.outcome, e.actor])).toEqual([
        ['units.remap.load', 'ok', 'cli:test'],
        ['units.tree.load', 'ok', 'cli:test'],
      ]);
    } finally {
      directory.stop();
    }
  });

  it('replaces all rules at once, leaves everything unchanged on a bad file, and every instance reloads on revision', async () => {
    const ctx = await testContext(kind);
    const a = await createUnitDirectory(ctx, { refreshIntervalMs: 20 });
    const b = await createUnitDirectory(ctx, { refreshIntervalMs: 20 });
    try {
      await loadRemapRules(ctx, SAMPLE_RULES, 'admin');
      await expect.poll(() => b.stats().exactRules, { timeout: 3000, interval: 20 }).toBe(3);
      const report = await loadRemapRules(ctx, { rules: [{ maCu: '000.05.31.H03', maMoi: '000.07.12.H06', tuNgay: '2025-07-01' }] }, 'admin');
      expect(report).toEqual({ exact: 1, level1: 0, total: 1, replaced: 4 });
      await expect.poll(() => a.stats().level1Rules + a.stats().exactRules, { timeout: 3000, interval: 20 }).toBe(1);
      await expect.poll(() => (b.remap('000.05.31.H03') as { code?: string }).code, { timeout: 3000, interval: 20 }).toBe('000.07.12.H06');

      await expect(loadRemapRules(ctx, { rules: [{ maCu: 'x' }] }, 'admin')).rejects.toBeInstanceOf(UnitDataError);
      await expect(loadUnitTree(ctx, [{ maDinhDanh: 'A', ten: 'x' }], 'admin')).rejects.toBeInstanceOf(UnitDataError);
      expect(await listRemapRules(ctx)).toHaveLength(1);
      expect((await listUnits(ctx)).total).toBe(0);
    } finally {
      a.stop();
      b.stop();
    }
  });

  it('accepts the central API tree shape and warns about parents outside the file', async () => {
    const ctx = await testContext(kind);
    const report = await loadUnitTree(ctx, [TREE.donVi[1]], 'admin');
    expect(report.units).toBe(1);
    expect(report.warnings).toEqual([
      { pointer: '/0/maDonViCha', field: '/0/maDonViCha', code: 'MA_DON_VI_KHONG_TON_TAI', message: 'Đơn vị 000.05.31.H06: đơn vị cấp trên 000.00.00.H06 không có trong tệp' },
    ]);
    await expect(loadUnitTree(ctx, [TREE.donVi[1], TREE.donVi[1]], 'admin')).rejects.toThrow(/không hợp lệ/);
  });
});
