/**
 * A Redis that accepts connections but never answers must not hang anything: operator verbs give
 * up with a clear answer, the data plane detects the hang once and then serves every request from
 * the fallbacks of a Redis outage (limits and lockouts from memory, records kept in the outbox)
 * without paying the Redis timeout again, and it returns to Redis when Redis answers again.
 *
 * The hung Redis is real: a TCP server that accepts and reads but answers nothing
 * (test/helpers/hung-redis.ts), in front of the machine's Redis so the hang can end.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { cleanup, onCleanup, REDIS_URL, tempDir } from './helpers/env.js';
import { eventually, sample, startHarness, type Harness, type LegacyClient } from './helpers/gateway.js';
import { ndxp } from './helpers/cli.js';
import { hungRedis, type HungRedis } from './helpers/hung-redis.js';
import { withinOrTimeout } from './ratelimit-helpers.js';
import { FAST_DELIVERY } from './delivery-helpers.js';
import { rateLimiterFor } from '../gateway/ratelimit/index.js';
import { checkRedis } from '../gateway/redis/check.js';

afterAll(cleanup);


/** A config file for `ndxp --config` that points at the gateway's store and at the given Redis. */
function cliConfig(h: Harness, redisUrl: string): string {
  const c = h.ctx.config;
  const file = path.join(tempDir(), 'ndxp.json');
  writeFileSync(file, JSON.stringify({ dataDir: c.dataDir, databaseUrl: c.databaseUrl, databaseSchema: c.databaseSchema, redisUrl, redisPrefix: c.redisPrefix }));
  return file;
}

const SOAP11 = { 'content-type': 'text/xml; charset=utf-8', soapaction: '"http://qlcb.vendor-a.vn/DongBoHoSo"' };

/** Vendor A's sample record for another person (personal ids 024085000100, 024085000101, …). */
function recordFor(client: LegacyClient, n: number): { body: string; soDinhDanh: string } {
  const soDinhDanh = `024085${String(100 + n).padStart(6, '0')}`;
  const body = sample('vendors/vendor-a-asmx/samples/DongBoHoSo.request.xml')
    .replace('{{CONNECTION_KEY}}', client.connectionKey)
    .replace('<SoCMND>024085001234</SoCMND>', `<SoCMND>${soDinhDanh}</SoCMND>`);
  return { body, soDinhDanh };
}

let h: Harness;
let door: HungRedis;
let a: LegacyClient;

beforeAll(async () => {
  door = await hungRedis();
  onCleanup(() => door.close());
  h = await startHarness({
    config: {
      redisUrl: door.url,
      // One failed call opens the breaker, so every record while the central database is down is
      // queued (the path that hands records to the BullMQ queue).
      delivery: { ...FAST_DELIVERY, syncDeadlineMs: 3000, breakerFailureThreshold: 1, breakerOpenMs: 500 },
    },
  });
  await h.signingCertFor('000.00.00.H06');
  a = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'QLCB-A-HANG' });
  expect(await rateLimiterFor(h.ctx).ready(10_000)).toBe(true);
  await eventually(() => h.node.delivery!.queueReady());
}, 120_000);

describe('operator verbs against a hung Redis', () => {
  let hung: HungRedis;
  beforeAll(async () => {
    hung = await hungRedis({ hung: true });
    onCleanup(() => hung.close());
  });

  it('ndxp queue status answers, saying Redis does not respond (REDIS_KHONG_PHAN_HOI), with the outbox figures', async () => {
    const run = await withinOrTimeout(ndxp(['queue', 'status', '--json', '--config', cliConfig(h, hung.url)]), 25_000);
    expect(run).not.toBe('timeout');
    const { code, stdout } = run as Exclude<typeof run, 'timeout'>;
    expect(code).toBe(0);
    const status = JSON.parse(stdout);
    expect(status.redis).toMatchObject({ reachable: false, code: 'REDIS_KHONG_PHAN_HOI' });
    expect(status.redis.message).toMatch(/không trả lời/);
    expect(status.depth).toBeTypeOf('object');
    expect(hung.seenWhileHung().connections).toBeGreaterThan(0); // it really went to the hung server

    const text = await withinOrTimeout(ndxp(['queue', 'status', '--config', cliConfig(h, hung.url)]), 25_000);
    expect(text).not.toBe('timeout');
    expect((text as { stdout: string }).stdout).toMatch(/Redis: KHÔNG trả lời .*\(REDIS_KHONG_PHAN_HOI\)/);
  });

  it('ndxp keys lockouts and keys unlock give up with REDIS_KHONG_PHAN_HOI', async () => {
    for (const args of [['keys', 'lockouts'], ['keys', 'unlock', 'cert:0A1B']]) {
      const run = await withinOrTimeout(ndxp([...args, '--json', '--config', cliConfig(h, hung.url)]), 25_000);
      expect(run).not.toBe('timeout');
      const { code, error } = run as Exclude<typeof run, 'timeout'>;
      expect(code).toBe(1);
      expect(error).toMatchObject({ code: 'REDIS_KHONG_PHAN_HOI' });
      expect((error as Error).message).toMatch(/không trả lời/);
    }
  });

  it('ndxp ratelimit status answers that Redis does not respond', async () => {
    const run = await withinOrTimeout(ndxp(['ratelimit', 'status', '--json', '--config', cliConfig(h, hung.url)]), 25_000);
    expect(run).not.toBe('timeout');
    const { code, stdout } = run as Exclude<typeof run, 'timeout'>;
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ redisConnected: false, activeLockouts: null, redisProblem: { code: 'REDIS_KHONG_PHAN_HOI' } });
  });

  it('the start-up check (also behind /readyz) refuses a hung Redis with its own code, a stopped one with another', async () => {
    const refused = await withinOrTimeout(checkRedis(hung.url, 500).then(() => 'ok', (err: unknown) => err), 10_000);
    expect(refused).toMatchObject({ code: 'REDIS_KHONG_PHAN_HOI', message: expect.stringContaining('không trả lời') });
    const closed = await hungRedis();
    const url = closed.url;
    await closed.close();
    expect(await checkRedis(url, 500).then(() => 'ok', (err: unknown) => err)).toMatchObject({ code: 'REDIS_KHONG_KET_NOI_DUOC' });
  });
});

describe('the data plane while Redis hangs', () => {
  const N = 20;
  const sent: { soDinhDanh: string; trackingId: string }[] = [];

  it('answers every call without paying the Redis timeout each time; the records wait in the outbox', async () => {
    await h.sim.setFaults({ down: true });
    door.hang();
    for (let i = 0; i < N; i++) {
      const { body, soDinhDanh } = recordFor(a, i);
      const res = await withinOrTimeout(a.request(`${h.url}/QLCBService.asmx`, { headers: SOAP11, body }), 20_000);
      expect(res).not.toBe('timeout');
      const { status, text } = res as Exclude<typeof res, 'timeout'>;
      expect(status).toBe(200);
      expect(text).toContain('<MaKetQua>1</MaKetQua>'); // accepted, queued
      sent.push({ soDinhDanh, trackingId: /<MaTheoDoi>([^<]+)<\/MaTheoDoi>/.exec(text)![1] });
    }
    // The hang was detected once: apart from the background probe's PINGs (about one a second),
    // the hung server got a handful of commands (those in flight when it hung), not one or more
    // per call, and no reconnect storm (each reconnect would send HELLO, CLIENT, INFO).
    const commands = door.seenWhileHung().commands.filter((c) => c !== 'PING');
    expect(commands.length).toBeLessThan(N / 2);
    expect(rateLimiterFor(h.ctx).stats()).toMatchObject({ redisConnected: false });
    expect(h.node.delivery!.queueReady()).toBe(false);
    // Nothing accepted is lost: every record waits in the outbox for the queue.
    const rows = await h.ctx.store.db.selectFrom('outbox').select(['tracking_id', 'state']).where('tracking_id', 'in', sent.map((s) => s.trackingId)).execute();
    expect(rows).toHaveLength(N);
    expect(rows.every((r) => r.state === 'pending' || r.state === 'queued')).toBe(true);
  }, 120_000);

  it('returns to Redis when it answers again: the queue delivers what waited, limits are shared again', async () => {
    expect(sent).toHaveLength(N);
    door.answer();
    await h.sim.setFaults({});
    await eventually(() => rateLimiterFor(h.ctx).stats().redisConnected && h.node.delivery!.queueReady(), 20_000);
    // Queued records are sent by the queue only: all delivered means the queue (Redis) is in use again.
    await eventually(() => sent.every((s) => h.sim.stats().appliedBySoDinhDanh?.[s.soDinhDanh] === 1), 30_000);
    // A call now takes its rate-limit decision in Redis, not from this node's memory.
    const limiter = rateLimiterFor(h.ctx);
    const memoryBefore = limiter.stats().memoryDecisions;
    const status = await a.request(`${h.url}/QLCBService.asmx`, { headers: SOAP11, body: recordFor(a, N).body });
    expect(status.status).toBe(200);
    expect(limiter.stats().memoryDecisions).toBe(memoryBefore);
    const redis = new Redis(REDIS_URL, { lazyConnect: true });
    try {
      await redis.connect();
      const keys = await redis.keys(`${h.ctx.config.redisPrefix}:rl:key-requests:*${a.keyId}*`);
      expect(keys.length).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  }, 90_000);

  it('shuts down while Redis hangs: nothing waits for an answer that never comes', async () => {
    door.hang();
    const res = await a.request(`${h.url}/QLCBService.asmx`, { headers: SOAP11, body: recordFor(a, N + 1).body });
    expect(res.status).toBe(200);
    expect(await withinOrTimeout(h.node.close(), 30_000)).not.toBe('timeout');
  }, 60_000);
});
