/**
 * `ndxp state export|diff|apply` (issue 10): the declarative part of a gateway — keys without
 * secrets, certificates' status, unit rules and tree, per-key limits — exported, compared and
 * applied like Kong's decK, through each area's own audited operations; differences a file cannot
 * make happen (an unknown key, a revoked certificate brought back) stop apply before any change.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, CONTRACTS, tempDir, testContext } from './helpers/env.js';
import { ndxp } from './helpers/cli.js';
import { SAMPLE_TREE } from './helpers/tree.js';
import { ensurePki } from '../certs/pki.js';
import { issueCertificate } from '../certs/issue.js';
import { listCertificates } from '../certs/registry.js';
import { createKey, showKey } from '../gateway/keys/service.js';
import { listRemapRules, listUnits, loadRemapRules, loadUnitTree } from '../gateway/units/service.js';
import { searchAudit } from '../gateway/audit/search.js';
import type { AppContext } from '../core/context.js';
import type { GatewayState } from '../gateway/state/service.js';

afterAll(cleanup);

let ctx: AppContext;
let configFile: string;
let serial: string;
let k1: string;
let k2: string;

/** Runs a verb; `code` also reflects a process.exitCode the verb set (diff's "differences found"). */
async function run(...args: string[]) {
  const before = process.exitCode;
  process.exitCode = 0;
  const r = await ndxp([...args, '--config', configFile]);
  const code = r.code || Number(process.exitCode ?? 0);
  process.exitCode = before;
  return { ...r, code };
}

beforeAll(async () => {
  ctx = await testContext('sqlite');
  await ensurePki(ctx);
  serial = (await issueCertificate(ctx, { kind: 'client', cn: 'PM-TRANG-THAI', unit: '000.00.00.H06' }, 'test')).serial;
  k1 = (await createKey(ctx, { softwareId: 'PM-1', unitCode: '000.00.00.H06', vendor: 'vendor-a-asmx' }, 'test')).keyId;
  k2 = (await createKey(ctx, { softwareId: 'PM-2', unitCode: '000.00.00.H06', vendor: 'json' }, 'test')).keyId;
  await loadRemapRules(ctx, JSON.parse(readFileSync(path.join(CONTRACTS, 'national/unit-remap.sample.json'), 'utf8')), 'test');
  await loadUnitTree(ctx, SAMPLE_TREE, 'test');
  configFile = path.join(tempDir(), 'ndxp.json');
  writeFileSync(configFile, JSON.stringify({ dataDir: ctx.config.dataDir, redisUrl: ctx.config.redisUrl, redisPrefix: ctx.config.redisPrefix }));
}, 180_000);

describe('ndxp state', () => {
  let file: string;

  it('exports keys without secrets, certificates\' status, unit rules and tree; a fresh export is in sync', async () => {
    file = path.join(tempDir(), 'state.json');
    expect((await run('state', 'export', '--out', file)).code).toBe(0);
    const text = readFileSync(file, 'utf8');
    const doc = JSON.parse(text) as GatewayState;
    expect(doc.format).toBe('ndxp-state');
    expect(doc.keys.map((k) => k.keyId).sort()).toEqual([k1, k2].sort());
    expect(text).not.toMatch(/secret/i);
    expect(doc.certificates.find((c) => c.serial === serial)).toMatchObject({ status: 'active' });
    expect(doc.unitRemap.rules.length).toBe((await listRemapRules(ctx)).length);
    expect(doc.units.length).toBe(SAMPLE_TREE.length);
    const diff = await run('state', 'diff', file, '--json');
    expect(diff.code).toBe(0);
    expect(JSON.parse(diff.stdout)).toMatchObject({ inSync: true, changes: [], problems: [] });
  });

  it('diff lists what apply changes; apply makes the gateway match through audited operations; then in sync', async () => {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as GatewayState;
    doc.keys.find((k) => k.keyId === k1)!.status = 'suspended';
    doc.keys.find((k) => k.keyId === k2)!.limits = { requestsPerSecond: 5 };
    doc.certificates.find((c) => c.serial === serial)!.status = 'revoked';
    doc.unitRemap.rules.push({ maCu: '000.07.00.H03', maMoi: '000.00.00.H06', tuNgay: '2025-07-01' });
    doc.units = doc.units.filter((u) => u.maDinhDanh !== '000.05.31.H06');
    const edited = path.join(tempDir(), 'edited.json');
    writeFileSync(edited, JSON.stringify(doc, null, 2));

    const diff = await run('state', 'diff', edited, '--json');
    expect(diff.code).toBe(1);
    const changes = JSON.parse(diff.stdout).changes.map((c: { area: string; field: string }) => `${c.area}.${c.field}`).sort();
    expect(changes).toEqual(['certificates.status', 'keys.limits', 'keys.status', 'unitRemap.rules', 'units.tree']);

    const apply = await run('state', 'apply', edited, '--json');
    expect(apply.code, String(apply.error)).toBe(0);
    expect((await showKey(ctx, k1)).status).toBe('suspended');
    expect((await showKey(ctx, k2)).limits).toEqual({ requestsPerSecond: 5 });
    expect((await listCertificates(ctx.store.db, ctx.config)).find((c) => c.serial === serial)?.status).toBe('revoked');
    expect((await listRemapRules(ctx)).some((r) => r.maCu === '000.07.00.H03')).toBe(true);
    expect((await listUnits(ctx)).units.map((u) => u.maDinhDanh)).toEqual(['000.00.00.H06']);
    expect((await run('state', 'diff', edited)).code).toBe(0);
    await ctx.audit.flush();
    const limitsChange = await searchAudit(ctx.store, ctx.config, { operation: 'keys.limits', kind: 'admin' });
    expect(limitsChange.items.length).toBe(1);
  });

  it('refuses a file it cannot make true, and then changes nothing', async () => {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as GatewayState;
    // k1 back to active (possible) alongside a key that does not exist and a revoked certificate revived (impossible).
    doc.keys.find((k) => k.keyId === k1)!.status = 'active';
    doc.keys.push({ ...doc.keys[0], keyId: 'khong-co-ma-nay' });
    const bad = path.join(tempDir(), 'bad.json');
    writeFileSync(bad, JSON.stringify(doc));
    const apply = await run('state', 'apply', bad);
    expect(apply.code).toBe(1);
    expect(apply.error).toMatchObject({ code: 'TRANG_THAI_KHONG_AP_DUNG_DUOC' });
    expect(String((apply.error as Error).message)).toContain('khong-co-ma-nay');
    expect(String((apply.error as Error).message)).toContain(serial);
    expect((await showKey(ctx, k1)).status).toBe('suspended');
  });
});
