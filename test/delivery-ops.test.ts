/**
 * Operators' side of delivery: `ndxp queue status|dead|replay|discard|show --json` through the
 * real CLI program, and the admin API routes (status, dead, replay, discard, tracking) with
 * their role checks; every action lands in the audit trail; delivery attempts too.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, STORE_KINDS, tempDir } from './helpers/env.js';
import { deliveryEnv, eventually, newId, submission, type DeliveryEnv } from './delivery-helpers.js';
import { buildProgram } from '../gateway/cli/main.js';
import { queueAdminModule } from '../gateway/delivery/admin.js';
import { searchAudit } from '../gateway/audit/search.js';
import type { AdminCaller } from '../core/admin-module.js';
import type { ProfileSubmission } from '../gateway/delivery/types.js';
import { ndxp } from './helpers/cli.js';

afterAll(cleanup);

describe.each(STORE_KINDS)('queue operators (%s)', (kind) => {
  let env: DeliveryEnv;
  let configFile: string;
  const dead: ProfileSubmission[] = [];

  /** `ndxp … --json` in this process against this test's store. */
  async function cli(...args: string[]): Promise<{ code: number; json: any; stderr: string }> {
    const r = await ndxp([...args, '--json', '--config', configFile]);
    // Errors go to stderr with their machine code; with --json the error document is on stdout.
    return { code: r.code, json: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
  }


  beforeAll(async () => {
    env = await deliveryEnv(kind);
    const c = env.ctx.config;
    configFile = path.join(tempDir(), 'ndxp.json');
    writeFileSync(configFile, JSON.stringify({ dataDir: c.dataDir, databaseUrl: c.databaseUrl, databaseSchema: c.databaseSchema, redisUrl: c.redisUrl, redisPrefix: c.redisPrefix, centralUrl: env.sim.url }));
    // Two records dead-lettered: the central database refuses with 500 and the cap is one attempt.
    const d = await env.start({ delivery: { maxAttempts: 1 }, nodeName: 'ops' });
    await env.sim.setFaults({ status: { code: 500, ma: 'LOI_HE_THONG', moTa: 'Lỗi máy chủ' } });
    try {
      for (let i = 0; i < 2; i++) dead.push(submission(await env.signed(newId(), '2025-08-20T10:15:00+07:00')));
      await d.submitProfiles(dead, { deadlineMs: 2000 });
      await eventually(async () => (await d.track(dead.map((x) => x.trackingId))).every((t) => t?.state === 'dead'));
    } finally {
      await env.sim.setFaults({});
      await d.close();
    }
    // PKI set-up generates RSA keys: slow on a busy shared machine.
  }, 240_000);

  it('registers its verbs on the ndxp program', () => {
    const queue = buildProgram().commands.find((c) => c.name() === 'queue');
    expect(queue?.commands.map((c) => c.name()).sort()).toEqual(['dead', 'discard', 'replay', 'show', 'status']);
  });

  it('queue status and queue dead --json', async () => {
    const status = await cli('queue', 'status');
    expect(status.code).toBe(0);
    expect(status.json.depth.dead).toBe(2);
    expect(status.json.redis.reachable).toBe(true);
    expect(Array.isArray(status.json.breakers)).toBe(true);
    const list = await cli('queue', 'dead');
    expect(list.code).toBe(0);
    expect(list.json.dead.map((x: { trackingId: string }) => x.trackingId).sort()).toEqual(dead.map((x) => x.trackingId).sort());
    expect(list.json.dead[0].reason).toContain('VUOT_SO_LAN_THU');
    expect(list.json.dead[0].soDinhDanh).toMatch(/\*/);
    // Delivery attempts are in the audit trail, linked by tracking id (the trail writes in batches).
    await env.ctx.audit.flush();
    const attempts = await searchAudit(env.ctx.store, env.ctx.config, { trackingId: dead[0].trackingId, kind: 'delivery' });
    expect(attempts.items.length).toBeGreaterThanOrEqual(1);
    expect(attempts.items.some((a) => a.outcome === 'dead')).toBe(true);
  });

  it('queue discard needs a reason, refuses final records, and is audited', async () => {
    expect((await cli('queue', 'discard', dead[1].trackingId)).code).toBe(2);
    // Destructive: without a terminal to ask on, refused unless --yes confirms it.
    const unconfirmed = await cli('queue', 'discard', dead[1].trackingId, '--reason', 'thử');
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('CAN_XAC_NHAN');
    const unknown = await cli('queue', 'discard', 'KHONG-CO', '--reason', 'thử', '--yes');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('MA_THEO_DOI_KHONG_TON_TAI');
    const ok = await cli('queue', 'discard', dead[1].trackingId, '--reason', 'Hồ sơ trùng, đơn vị yêu cầu hủy', '--yes');
    expect(ok.code).toBe(0);
    expect(ok.json).toMatchObject({ trackingId: dead[1].trackingId, previousState: 'dead' });
    const show = await cli('queue', 'show', dead[1].trackingId);
    expect(show.json.state).toBe('discarded');
    const again = await cli('queue', 'discard', dead[1].trackingId, '--reason', 'lần nữa', '--yes');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('KHONG_THE_HUY');
    const audit = await searchAudit(env.ctx.store, env.ctx.config, { operation: 'queue.discard', kind: 'admin' });
    expect(audit.items.some((a) => a.target === dead[1].trackingId && /^cli:/.test(String(a.actor)))).toBe(true);
  }, 120_000);

  it('queue replay --all puts dead letters back; a running gateway delivers them', async () => {
    expect((await cli('queue', 'replay')).code).toBe(2);
    expect((await cli('queue', 'replay', '--all')).stderr).toContain('CAN_XAC_NHAN');
    const r = await cli('queue', 'replay', '--all', '--yes');
    expect(r.code).toBe(0);
    expect(r.json.replayed).toEqual([dead[0].trackingId]);
    const d = await env.start({ nodeName: 'ops-2' });
    await eventually(async () => (await d.track([dead[0].trackingId]))[0]?.state === 'delivered');
    expect((await d.track([dead[0].trackingId]))[0]?.state).toBe('delivered');
    const audit = await searchAudit(env.ctx.store, env.ctx.config, { operation: 'queue.replay', kind: 'admin' });
    expect(audit.items.length).toBeGreaterThanOrEqual(1);
    await d.close();
  }, 120_000);

  it('admin API: read for both roles, changes for network-admins only', async () => {
    const app = (role: AdminCaller['role']) => {
      const a = express();
      a.use((_req, res, next) => {
        res.locals.admin = { actor: `CN=op,OU=${role}`, role, certSerial: '0A' } satisfies AdminCaller;
        next();
      });
      a.use('/api/v1/admin', queueAdminModule.router(env.ctx));
      return a;
    };
    const auditor = app('auditor');
    const admin = app('network-admin');
    const status = await request(auditor).get('/api/v1/admin/queue/status');
    expect(status.status).toBe(200);
    expect(status.body.depth).toBeTypeOf('object');
    const tracking = await request(auditor).get(`/api/v1/admin/tracking/${dead[0].trackingId}`);
    expect(tracking.status).toBe(200);
    expect(tracking.body).toMatchObject({ trackingId: dead[0].trackingId, state: 'delivered', kind: 'profile' });
    expect((await request(auditor).get('/api/v1/admin/tracking/KHONG-CO')).body.code).toBe('MA_THEO_DOI_KHONG_TON_TAI');
    expect((await request(auditor).post('/api/v1/admin/queue/replay').send({ all: true })).status).toBe(403);
    expect((await request(admin).post('/api/v1/admin/queue/replay').send({})).status).toBe(400);
    const replay = await request(admin).post('/api/v1/admin/queue/replay').send({ all: true });
    expect(replay.status).toBe(200);
    expect(replay.body.count).toBe(0);
    expect((await request(admin).post(`/api/v1/admin/queue/${dead[0].trackingId}/discard`).send({ reason: 'x' })).status).toBe(409);
    expect((await request(admin).get('/api/v1/admin/queue/dead?limit=0')).status).toBe(400);
    expect(Object.keys(queueAdminModule.openapi)).toEqual(
      expect.arrayContaining(['/api/v1/admin/queue/status', '/api/v1/admin/queue/dead', '/api/v1/admin/queue/replay', '/api/v1/admin/queue/{trackingId}/discard', '/api/v1/admin/tracking/{trackingId}']),
    );
    // Operator actions wait for a durable audit entry; the shared machine's audit lock can be slow.
  }, 120_000);
});
