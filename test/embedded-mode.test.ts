/**
 * The two ways a gateway coordinates (issue 10, "a bare machine"):
 *   - embedded (REDIS_URL unset, no DATABASE_URL): one node, its retry queue run from the
 *     outbox, rate limits and lockouts in memory; `ndxp start` works with nothing else running
 *     and says so once;
 *   - Redis (REDIS_URL set, or DATABASE_URL set = several nodes sharing PostgreSQL): BullMQ and
 *     shared limits, and no start without Redis.
 * Against the real central simulator over mTLS: an outage in the embedded mode loses nothing and
 * applies every record acknowledged as queued exactly once; Retry-After and dead-lettering hold
 * without BullMQ; `ndxp queue status|dead|replay` work on the embedded queue.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REDIS_URL, loadConfig, usesRedis } from '../config/config.js';
import { cleanup, REPO, tempDir, testConfig } from './helpers/env.js';
import { sample, startHarness, type Harness, type LegacyClient } from './helpers/gateway.js';
import { gatewayEnv, startGatewayProcess } from './helpers/processes.js';
import { deliveryEnv, eventually, newId, submission, type DeliveryEnv } from './delivery-helpers.js';
import { rateLimiterFor } from '../gateway/ratelimit/index.js';
import type { DeliveryService } from '../gateway/delivery/delivery.js';
import { ndxp } from './helpers/cli.js';

afterAll(cleanup);

describe('configuration tells "REDIS_URL unset" from "set"', () => {
  it('unset: the embedded mode', () => {
    const config = loadConfig({ env: {} });
    expect(config.redisUrl).toBeUndefined();
    expect(usesRedis(config)).toBe(false);
  });

  it('set: Redis, as given', () => {
    const config = loadConfig({ env: { REDIS_URL: 'redis://redis.noi-bo:6380' } });
    expect(usesRedis(config)).toBe(true);
    expect(config.redisUrl).toBe('redis://redis.noi-bo:6380');
  });

  it('DATABASE_URL without REDIS_URL: several nodes share PostgreSQL, so Redis at the default address', () => {
    const config = loadConfig({ env: { DATABASE_URL: 'postgres://ndxp@db/ndxp' } });
    expect(usesRedis(config)).toBe(true);
    expect(config.redisUrl).toBe(DEFAULT_REDIS_URL);
  });
});

const SOAP11 = { 'content-type': 'text/xml; charset=utf-8', soapaction: '"http://qlcb.vendor-a.vn/DongBoHoSo"' };

describe('embedded mode end to end: vendor A during a central outage', () => {
  let h: Harness;
  let a: LegacyClient;

  beforeAll(async () => {
    h = await startHarness({
      config: {
        redisUrl: undefined,
        delivery: { syncDeadlineMs: 2000, requestTimeoutMs: 3000, backoffBaseMs: 50, backoffMaxMs: 400, breakerFailureThreshold: 3, breakerOpenMs: 300, relayIntervalMs: 200, maxAttempts: 1000 },
      },
    });
    await h.signingCertFor('000.00.00.H06');
    a = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'QLCB-A' });
  }, 180_000);

  const ids = ['024085001301', '024085001302', '024085001303', '024085001304', '024085001305'];
  const request = (id: string) => sample('vendors/vendor-a-asmx/samples/DongBoHoSo.request.xml').replace('{{CONNECTION_KEY}}', a.connectionKey).replace('024085001234', id);
  const applied = (id: string) => h.sim.stats().appliedBySoDinhDanh?.[id] ?? 0;

  it('runs without Redis: no BullMQ producer, limits decided in memory', () => {
    expect(usesRedis(h.ctx.config)).toBe(false);
    expect(h.node.delivery!.queueReady()).toBe(true);
    expect(rateLimiterFor(h.ctx).stats()).toMatchObject({ redisConnected: false });
  });

  it('records acknowledged "queued" while the central database is down are applied exactly once after it returns', async () => {
    await h.sim.setFaults({ down: true });
    const tracking: string[] = [];
    try {
      for (const id of ids) {
        const res = await a.request(`${h.url}/QLCBService.asmx`, { headers: SOAP11, body: request(id) });
        expect(res.status).toBe(200);
        expect(res.text).toContain('<MaKetQua>1</MaKetQua>');
        tracking.push(/<MaTheoDoi>([^<]+)<\/MaTheoDoi>/.exec(res.text)![1]);
      }
      // The store queue keeps retrying from the outbox while the central database is down.
      await eventually(async () => (await h.node.delivery!.track(tracking)).every((t) => (t?.attempts ?? 0) >= 2), 30_000);
      const during = await h.node.delivery!.track(tracking);
      expect(during.every((t) => t && ['queued', 'delivering'].includes(t.state) && (t.attempts ?? 0) >= 2)).toBe(true);
      for (const id of ids) expect(applied(id)).toBe(0);
    } finally {
      await h.sim.setFaults({});
    }
    await eventually(async () => (await h.node.delivery!.track(tracking)).every((t) => t?.state === 'delivered'), 60_000);
    expect((await h.node.delivery!.track(tracking)).map((t) => t?.state)).toEqual(ids.map(() => 'delivered'));
    for (const id of ids) expect(applied(id)).toBe(1);
    expect(h.sim.stats().duplicatesApplied).toBe(0);
  }, 120_000);
});

describe('embedded mode: the store queue keeps the BullMQ path\'s rules', () => {
  let env: DeliveryEnv;
  let delivery: DeliveryService;
  let configFile: string;

  /** `ndxp … --json` in this process against this test's store. */
  async function cli(...args: string[]): Promise<{ code: number; json: any; stderr: string }> {
    const r = await ndxp([...args, '--json', '--config', configFile]);
    // Errors go to stderr with their machine code; with --json the error document is on stdout.
    return { code: r.code, json: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
  }


  beforeAll(async () => {
    env = await deliveryEnv('sqlite', { redisUrl: undefined });
    delivery = await env.start({ delivery: { maxAttempts: 3 } });
    const c = env.ctx.config;
    configFile = path.join(tempDir(), 'ndxp.json');
    // No redisUrl: the operator's verbs see the embedded queue.
    writeFileSync(configFile, JSON.stringify({ dataDir: c.dataDir, centralUrl: env.sim.url }));
  }, 240_000);

  const states = async (ids: string[]) => (await delivery.track(ids)).map((s) => s?.state);

  it('503 with Retry-After: the next attempt waits for it, then the record is delivered once', async () => {
    const item = submission(await env.signed(newId(), '2025-09-01T10:00:00+07:00'));
    await env.sim.setFaults({ status503: { retryAfter: 2, count: 1 } });
    const acceptedAt = Date.now();
    const [outcome] = await delivery.submitProfiles([item], { deadlineMs: 1000 });
    expect(outcome.state).toBe('queued');
    const row = await env.ctx.store.db.selectFrom('outbox').select(['next_attempt_at', 'http_status']).where('tracking_id', '=', item.trackingId).executeTakeFirstOrThrow();
    expect(row.http_status).toBe(503);
    expect(Number(row.next_attempt_at)).toBeGreaterThanOrEqual(acceptedAt + 2000);
    await eventually(async () => (await states([item.trackingId]))[0] === 'delivered', 60_000);
    expect(env.sim.stats().appliedBySoDinhDanh?.[item.record.soDinhDanh]).toBe(1);
  }, 90_000);

  it('dead-lettered at the attempt cap; ndxp queue status, dead and replay work on the embedded queue', async () => {
    const item = submission(await env.signed(newId(), '2025-09-02T10:00:00+07:00'));
    await env.sim.setFaults({ status: { code: 500, ma: 'LOI_HE_THONG', moTa: 'Lỗi máy chủ' } });
    try {
      await delivery.submitProfiles([item], { deadlineMs: 500 });
      await eventually(async () => (await states([item.trackingId]))[0] === 'dead', 60_000);
      expect((await delivery.track([item.trackingId]))[0]).toMatchObject({ state: 'dead', attempts: 3 });
    } finally {
      await env.sim.setFaults({});
    }
    const status = await cli('queue', 'status');
    expect(status.code).toBe(0);
    expect(status.json).toMatchObject({ mode: 'embedded', redis: { reachable: false } });
    expect(status.json.depth.dead).toBeGreaterThanOrEqual(1);
    expect(status.json.redis.code).toBeUndefined();

    const dead = await cli('queue', 'dead');
    expect(dead.code).toBe(0);
    const entry = dead.json.dead.find((d: { trackingId: string }) => d.trackingId === item.trackingId);
    expect(entry.reason).toContain('VUOT_SO_LAN_THU');

    const replay = await cli('queue', 'replay', item.trackingId);
    expect(replay.code).toBe(0);
    expect(replay.json.replayed).toEqual([item.trackingId]);
    // The running embedded queue sees the replayed row in the store and delivers it.
    await eventually(async () => (await states([item.trackingId]))[0] === 'delivered', 60_000);
    expect(env.sim.stats().appliedBySoDinhDanh?.[item.record.soDinhDanh]).toBe(1);
  }, 200_000);

  it('ndxp keys lockouts says where the embedded lockouts are instead of asking a Redis', async () => {
    const r = await cli('keys', 'lockouts');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('CHE_DO_NHUNG_TAM_KHOA_TRONG_BO_NHO');
  });
});

function healthz(adminListen: string): Promise<number | null> {
  const child = spawn(process.execPath, [path.join(REPO, 'bin/healthz.cjs')], { env: { PATH: process.env.PATH, NDXP_ADMIN_LISTEN: adminListen }, stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', resolve));
}

describe('ndxp start (built program) on both modes', () => {
  it('REDIS_URL unset: starts with nothing else running and says so once, with its code', async () => {
    const config = testConfig('sqlite', { redisUrl: undefined });
    const env = gatewayEnv(config, { NDXP_LOG_LEVEL: 'info' });
    expect(env.REDIS_URL).toBeUndefined();
    const gw = await startGatewayProcess(env, 120_000);
    expect(JSON.parse(gw.stdout())).toMatchObject({ mode: 'embedded' });
    expect(gw.logs().split('\n').filter((l) => l.includes('CHE_DO_NHUNG'))).toHaveLength(1);
    expect(gw.logs()).toContain('Chế độ nhúng');
    // The container's health check (bin/healthz.cjs) against this admin plane: healthy while it runs, not after.
    const adminListen = `127.0.0.1:${new URL(gw.adminUrl).port}`;
    expect(await healthz(adminListen)).toBe(0);
    expect(await gw.stop()).toBe(0);
    expect(await healthz(adminListen)).toBe(1);
  }, 180_000);

  it('REDIS_URL set and no Redis there: refuses to start (REDIS_KHONG_KET_NOI_DUOC)', async () => {
    const config = testConfig('sqlite', { redisUrl: 'redis://127.0.0.1:1' });
    const child = spawn(process.execPath, [path.join(REPO, 'bin/ndxp.js'), 'start'], { env: gatewayEnv(config), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('REDIS_KHONG_KET_NOI_DUOC');
  }, 60_000);
});
