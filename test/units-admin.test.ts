/**
 * `ndxp units …` (in-process, through the real program) and the units admin module over HTTP
 * (supertest; the admin plane's certificate authentication is placed on res.locals.admin the way
 * the admin server does), on SQLite and PostgreSQL.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTRACTS, STORE_KINDS, cleanup, tempDir, testContext } from './helpers/env.js';
import { Command } from 'commander';
import { register } from '../gateway/units/cli.js';
import { cliHost } from '../gateway/cli/verbs.js';
import type { AdminCaller } from '../core/admin-module.js';
import type { AuditEvent } from '../core/audit-sink.js';
import { unitsAdminModule } from '../gateway/units/admin.js';
import { configFile, ndxp } from './helpers/cli.js';

afterAll(cleanup);

const RULES_FILE = path.join(CONTRACTS, 'national/unit-remap.sample.json');
const TREE = {
  donVi: [
    { maDinhDanh: '000.00.00.H06', ten: 'UBND tỉnh Bắc Ninh', cap: 1, hieuLucTu: '2025-07-01', maCu: ['000.00.00.H03'] },
    { maDinhDanh: '000.05.31.H06', ten: 'Sở Nội vụ tỉnh Bắc Ninh', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01' },
  ],
};

/**
 * The `ndxp` program with only this area's verbs, assembled the way gateway/cli/main.ts does
 * (main.ts imports every area's runtime; this test must not depend on areas still in progress).
 */
function buildProgram(): Command {
  const program = new Command('ndxp').option('--config <file>').exitOverride();
  register(program, cliHost);
  const addCommon = (cmd: Command) => {
    for (const sub of cmd.commands) {
      if (sub.commands.length === 0) {
        if (!sub.options.some((o) => o.long === '--json')) sub.option('--json');
        if (!sub.options.some((o) => o.long === '--config')) sub.option('--config <file>');
      }
      sub.exitOverride();
      addCommon(sub);
    }
  };
  addCommon(program);
  return program;
}


const CALLERS: Record<string, AdminCaller> = {
  admin: { actor: 'CN=nguyen.van.a,OU=network-admin,O=ndxp-gateway', role: 'network-admin', certSerial: 'A1' },
  auditor: { actor: 'CN=tran.thi.b,OU=auditor,O=ndxp-gateway', role: 'auditor', certSerial: 'B2' },
};

describe.each(STORE_KINDS)('ndxp units on %s', (kind) => {
  it('remap load / remap list / load / list / resolve with --json', async () => {
    const cfg = configFile(kind);
    const dir = tempDir();
    const treeFile = path.join(dir, 'tree.json');
    writeFileSync(treeFile, JSON.stringify(TREE));

    const loaded = await ndxp(['units', 'remap', 'load', RULES_FILE, '--json', '--config', cfg]);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(JSON.parse(loaded.stdout)).toEqual({ exact: 3, level1: 1, total: 4, replaced: 0 });

    const listed = await ndxp(['units', 'remap', 'list', '--json', '--config', cfg]);
    const rules = JSON.parse(listed.stdout);
    expect(rules.count).toBe(4);
    expect(rules.rules.map((r: { maCu: string }) => r.maCu)).toEqual(['000.00.00.H03', '000.05.31.H03', '000.12.00.H03', 'H03']);

    const text = await ndxp(['units', 'remap', 'list', '--config', cfg]);
    expect(text.stdout).toContain('cấp 1');
    expect(text.stdout).toContain('000.12.00.H03');

    const tree = await ndxp(['units', 'load', treeFile, '--json', '--config', cfg]);
    expect(JSON.parse(tree.stdout)).toMatchObject({ units: 2, withOldCodes: 1, replaced: 0, warnings: [] });
    const units = JSON.parse((await ndxp(['units', 'list', '--json', '--config', cfg])).stdout);
    expect(units).toEqual({ total: 2, units: TREE.donVi });

    const resolved = await ndxp(['units', 'resolve', '000.07.12.H03', '--json', '--config', cfg]);
    expect(JSON.parse(resolved.stdout)).toMatchObject({ input: '000.07.12.H03', code: '000.07.12.H06', ruleApplied: { kind: 'level1' }, warning: { code: 'MA_DON_VI_CHUA_CO_TRONG_CAY' } });
    const unknown = await ndxp(['units', 'resolve', '999.99.99.H99', '--config', cfg]);
    expect(unknown.code).toBe(1);

    // Edit one rule without re-loading the file: add, change, remove.
    const added = await ndxp(['units', 'remap', 'add', '--ma-cu', '000.09.09.H03', '--ma-moi', '000.05.31.H06', '--tu-ngay', '2025-07-01', '--ghi-chu', 'phòng cũ', '--json', '--config', cfg]);
    expect(added.code, added.stderr).toBe(0);
    const addedRule = JSON.parse(added.stdout);
    expect(addedRule).toMatchObject({ replaced: false, rule: { kind: 'exact', maCu: '000.09.09.H03', maMoi: '000.05.31.H06', ghiChu: 'phòng cũ' } });
    const changed = JSON.parse((await ndxp(['units', 'remap', 'add', '--ma-cap1-cu', 'H03', '--ma-cap1-moi', 'H07', '--tu-ngay', '2025-07-01', '--json', '--config', cfg])).stdout);
    expect(changed).toMatchObject({ replaced: true, rule: { kind: 'level1', maCu: 'H03', maMoi: 'H07' } });
    expect((await ndxp(['units', 'remap', 'add', '--ma-cu', 'X', '--ma-cap1-cu', 'Y', '--tu-ngay', '2025-07-01', '--config', cfg])).code).toBe(2);
    const cycle = await ndxp(['units', 'remap', 'add', '--ma-cu', '000.05.31.H06', '--ma-moi', '000.05.31.H03', '--tu-ngay', '2025-07-01', '--config', cfg]);
    expect(cycle.code).toBe(1);
    expect((cycle.error as Error).message).toContain('vòng lặp');
    const removed = await ndxp(['units', 'remap', 'remove', String(addedRule.rule.id), '--json', '--config', cfg]);
    expect(JSON.parse(removed.stdout)).toEqual({ removed: addedRule.rule.id });
    expect((await ndxp(['units', 'remap', 'remove', String(addedRule.rule.id), '--config', cfg])).code).toBe(1);
    expect(JSON.parse((await ndxp(['units', 'remap', 'list', '--json', '--config', cfg])).stdout).count).toBe(4);
  });

  it('refuses bad files: exit 1 for a missing file (as every verb), exit 2 for non-JSON, exit 1 with issues for invalid content', async () => {
    const cfg = configFile(kind);
    const dir = tempDir();
    const missing = await ndxp(['units', 'remap', 'load', path.join(dir, 'nope.json'), '--config', cfg]);
    expect(missing.code).toBe(1);
    const notJson = path.join(dir, 'x.json');
    writeFileSync(notJson, '{oops');
    expect((await ndxp(['units', 'load', notJson, '--config', cfg])).code).toBe(2);
    const invalid = path.join(dir, 'bad.json');
    writeFileSync(invalid, JSON.stringify({ rules: [{ maCu: 'A', maMoi: 'B', tuNgay: '2025-13-01' }] }));
    const res = await ndxp(['units', 'remap', 'load', invalid, '--json', '--config', cfg]);
    expect(res.code).toBe(1);
    expect((res.error as { code: string }).code).toBe('DU_LIEU_DON_VI_KHONG_HOP_LE');
    expect((res.error as Error).message).toContain('/rules/0/tuNgay');
  });
});

describe.each(STORE_KINDS)('units admin API on %s', (kind) => {
  it('network-admin loads, auditor reads, invalid files are 422 with issues, loads are audited', async () => {
    const ctx = await testContext(kind);
    const events: AuditEvent[] = [];
    const real = ctx.audit;
    ctx.audit = { ...real, record: (e) => (events.push(e), real.record(e)) };
    const app = express();
    app.use((req, res, next) => {
      res.locals.admin = CALLERS[String(req.headers['x-test-caller'])];
      next();
    });
    app.use('/api/v1/admin', unitsAdminModule.router(ctx));
    const sample = JSON.parse((await import('node:fs')).readFileSync(RULES_FILE, 'utf8'));

    const denied = await request(app).put('/api/v1/admin/units/remap-rules').set('x-test-caller', 'auditor').send(sample);
    expect(denied.status).toBe(403);
    const put = await request(app).put('/api/v1/admin/units/remap-rules').set('x-test-caller', 'admin').send(sample);
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ exact: 3, level1: 1, total: 4, replaced: 0 });
    const list = await request(app).get('/api/v1/admin/units/remap-rules').set('x-test-caller', 'auditor');
    expect(list.status).toBe(200);
    expect(list.body.count).toBe(4);

    const bad = await request(app).put('/api/v1/admin/units').set('x-test-caller', 'admin').send({ donVi: [{ maDinhDanh: 'x' }] });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('DU_LIEU_DON_VI_KHONG_HOP_LE');
    expect(bad.body.errors.length).toBeGreaterThan(0);
    expect(bad.body.errors[0]).toMatchObject({ pointer: expect.stringMatching(/^\/donVi\/0\//) });

    const tree = await request(app).put('/api/v1/admin/units').set('x-test-caller', 'admin').send(TREE);
    expect(tree.status).toBe(200);
    expect(tree.body.units).toBe(2);
    const units = await request(app).get('/api/v1/admin/units?parent=000.00.00.H06').set('x-test-caller', 'auditor');
    expect(units.body).toEqual({ total: 1, units: [TREE.donVi[1]] });
    const resolved = await request(app).get('/api/v1/admin/units/resolve/000.05.31.H03').set('x-test-caller', 'auditor');
    expect(resolved.body).toMatchObject({ code: '000.05.31.H06', ruleApplied: { kind: 'exact' } });
    expect((await request(app).get('/api/v1/admin/units').set('x-test-caller', 'nobody')).status).toBe(403);

    const one = await request(app).post('/api/v1/admin/units/remap-rules/rules').set('x-test-caller', 'admin').send({ maCu: '000.09.09.H03', maMoi: '000.05.31.H06', tuNgay: '2025-07-01' });
    expect(one.status).toBe(201);
    expect(one.body.rule).toMatchObject({ kind: 'exact', maCu: '000.09.09.H03', createdBy: CALLERS.admin.actor });
    const badRule = await request(app).post('/api/v1/admin/units/remap-rules/rules').set('x-test-caller', 'admin').send({ maCu: '000.09.09.H03', maMoi: 'bad code', tuNgay: '2025-07-01' });
    expect(badRule.status).toBe(422);
    expect(badRule.body.errors[0]).toMatchObject({ pointer: '/maMoi', code: 'SAI_DINH_DANG' });
    expect((await request(app).post('/api/v1/admin/units/remap-rules/rules').set('x-test-caller', 'auditor').send({})).status).toBe(403);
    expect((await request(app).delete(`/api/v1/admin/units/remap-rules/rules/${one.body.rule.id}`).set('x-test-caller', 'admin')).status).toBe(204);
    expect((await request(app).delete(`/api/v1/admin/units/remap-rules/rules/${one.body.rule.id}`).set('x-test-caller', 'admin')).status).toBe(404);

    expect(events.map((e) => [e.operation, e.outcome, e.actor])).toEqual([
      ['units.remap.load', 'ok', CALLERS.admin.actor],
      ['units.tree.load', 'invalid', CALLERS.admin.actor],
      ['units.tree.load', 'ok', CALLERS.admin.actor],
      ['units.remap.upsert', 'ok', CALLERS.admin.actor],
      ['units.remap.upsert', 'invalid', CALLERS.admin.actor],
      ['units.remap.remove', 'ok', CALLERS.admin.actor],
      ['units.remap.remove', 'not_found', CALLERS.admin.actor],
    ]);
    expect(Object.keys(unitsAdminModule.openapi)).toContain('/api/v1/admin/units/remap-rules');
  });
});
