/** The units service (load, list, replace-all, audit) and the in-process directory, on SQLite and PostgreSQL. */
import { afterAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, cleanup, testContext } from './helpers/env.js';
import { createUnitDirectory } from '../gateway/units/directory.js';
import { listRemapRules, listUnits, loadRemapRules, loadUnitTree } from '../gateway/units/service.js';
import { UnitDataError } from '../adapters/national/remap.js';
import type { AppContext } from '../core/context.js';
import type { AuditEvent } from '../core/audit-sink.js';
import { REMAP_TEST_TREE as TREE, SAMPLE_REMAP_RULES as SAMPLE_RULES } from './national-helpers.js';

afterAll(cleanup);

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
