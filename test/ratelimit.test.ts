/**
 * Rate limits, concurrency slots and the lockout of key guessing, against the real local Redis
 * (each test under its own key prefix) and against an unreachable Redis (127.0.0.1:1).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createRateLimiter, type RateLimiter } from '../gateway/ratelimit/index.js';
import { LockoutTracker } from '../gateway/ratelimit/lockout.js';
import net from 'node:net';
import { createRateLimitRedis, waitForRedis } from '../gateway/ratelimit/redis.js';
import { REDIS_URL, cleanup } from './helpers/env.js';
import { dropRedisKeys, limiterContext, refusal, secondNode, withinOrTimeout, type TestCtx } from './ratelimit-helpers.js';

const opened: RateLimiter[] = [];
const prefixes: string[] = [];

async function limiter(ctx: TestCtx, opts: Parameters<typeof createRateLimiter>[1] = {}): Promise<RateLimiter> {
  const rl = createRateLimiter(ctx, opts);
  opened.push(rl);
  prefixes.push(ctx.config.redisPrefix);
  const url = ctx.config.redisUrl ?? '';
  if (opts.redis !== null && !url.includes(':1/') && !url.endsWith(':1')) {
    expect(await rl.ready(5000)).toBe(true);
  }
  return rl;
}

const call = (keyId: string, unitCode = 'U01', records = 0, overrides?: object) => ({ keyId, unitCode, records, overrides });

afterEach(async () => {
  await Promise.all(opened.splice(0).map((rl) => rl.close()));
});
afterAll(async () => {
  await dropRedisKeys(prefixes);
  await cleanup();
});

/** Consumes n times in sequence; returns how many passed and the first refusal. */
async function burst(rl: RateLimiter, n: number, req: ReturnType<typeof call>) {
  let passed = 0;
  let first: Awaited<ReturnType<typeof refusal>> = null;
  for (let i = 0; i < n; i++) {
    const r = await refusal(() => rl.consume(req));
    if (r) first ??= r;
    else passed++;
  }
  return { passed, first };
}

describe('rate limits on real Redis', () => {
  it('limits requests per second per connection key, with a Retry-After, and leaves other keys alone', async () => {
    const ctx = limiterContext({ requestsPerSecond: 5, burstSeconds: 1 });
    const rl = await limiter(ctx);
    const a = await burst(rl, 8, call('KEY_A'));
    expect(a.passed).toBe(5);
    expect(a.first).toMatchObject({ code: 'VUOT_HAN_MUC' });
    expect(Number.isInteger(a.first!.retryAfterSeconds)).toBe(true);
    expect(a.first!.retryAfterSeconds).toBe(1);
    expect(a.first!.internalReason).toContain('key-requests');
    const b = await burst(rl, 5, call('KEY_B'));
    expect(b.passed).toBe(5);
    expect(rl.stats().limited.requests).toBe(3);
  });

  it('limits records per second per key; one call larger than the whole allowance passes only when it is full', async () => {
    const ctx = limiterContext({ recordsPerSecond: 100, burstSeconds: 1 });
    const rl = await limiter(ctx);
    await rl.consume(call('KEY_R', 'U01', 60));
    const r = await refusal(() => rl.consume(call('KEY_R', 'U01', 50)));
    expect(r).toMatchObject({ code: 'VUOT_HAN_MUC' });
    expect(r!.internalReason).toContain('key-records');
    expect(rl.stats().limited.records).toBe(1);
    // A 1000-record batch on a fresh key counts as the whole allowance instead of never passing.
    await rl.consume(call('KEY_BIG', 'U01', 1000));
    expect(await refusal(() => rl.consume(call('KEY_BIG', 'U01', 1)))).toMatchObject({ code: 'VUOT_HAN_MUC' });
  });

  it('limits requests and records per unit across its keys; refusals at key level do not use the unit allowance', async () => {
    const ctx = limiterContext({ requestsPerSecond: 2, burstSeconds: 1, unitRequestsPerSecond: 3, unitRecordsPerSecond: 50 });
    const rl = await limiter(ctx);
    const a = await burst(rl, 10, call('KEY_A', 'U_SHARED'));
    expect(a.passed).toBe(2);
    expect(rl.stats().limited.requests).toBe(8);
    // KEY_B of the same unit still gets the unit's remaining request.
    const b = await burst(rl, 3, call('KEY_B', 'U_SHARED'));
    expect(b.passed).toBe(1);
    expect(b.first!.internalReason).toContain('unit-requests');
    expect(rl.stats().limited.unit).toBe(1); // B's third call is over its own key limit first
    // Another unit is untouched.
    expect((await burst(rl, 2, call('KEY_C', 'U_OTHER'))).passed).toBe(2);
    // Records per unit: 40 + 20 > 50 from two different keys.
    await rl.consume(call('KEY_D', 'U_REC', 40));
    const rec = await refusal(() => rl.consume(call('KEY_E', 'U_REC', 20)));
    expect(rec!.internalReason).toContain('unit-records');
  });

  it('gives a quiet client a burst of burstSeconds worth, then only the per-second rate', async () => {
    const ctx = limiterContext({ requestsPerSecond: 5, burstSeconds: 3, burstWindowSeconds: 60 });
    const rl = await limiter(ctx);
    const first = await burst(rl, 16, call('KEY_BURST'));
    expect(first.passed).toBe(15);
    // The wait is until the next one-second window, not until the burst pool refills.
    expect(first.first!.retryAfterSeconds).toBe(1);
    await new Promise((r) => setTimeout(r, first.first!.retryAfterSeconds! * 1000 + 100));
    const second = await burst(rl, 8, call('KEY_BURST'));
    expect(second.passed).toBe(5);
  });

  it('applies per-key overrides from the key record', async () => {
    const ctx = limiterContext({ requestsPerSecond: 5, recordsPerSecond: 1000, burstSeconds: 1 });
    const rl = await limiter(ctx);
    expect((await burst(rl, 6, call('KEY_SLOW', 'U01', 0, { requestsPerSecond: 2 }))).passed).toBe(2);
    expect((await burst(rl, 6, call('KEY_FAST', 'U01', 0, { requestsPerSecond: 4 }))).passed).toBe(4);
    expect((await burst(rl, 6, call('KEY_DEFAULT', 'U02'))).passed).toBe(5);
    // A key's own burst allowance.
    expect((await burst(rl, 12, call('KEY_BURSTY', 'U04', 0, { requestsPerSecond: 2, burstSeconds: 4 }))).passed).toBe(8);
    await rl.consume(call('KEY_FEW', 'U03', 10, { recordsPerSecond: 10 }));
    expect(await refusal(() => rl.consume(call('KEY_FEW', 'U03', 1, { recordsPerSecond: 10 })))).toMatchObject({ code: 'VUOT_HAN_MUC' });
  });

  it('answers Retry-After in whole seconds of the real wait (a rate below one per second)', async () => {
    const ctx = limiterContext({ requestsPerSecond: 0.2, burstSeconds: 1 });
    const rl = await limiter(ctx);
    await rl.consume(call('KEY_RARE'));
    const r = await refusal(() => rl.consume(call('KEY_RARE')));
    expect(r!.code).toBe('VUOT_HAN_MUC');
    expect(r!.retryAfterSeconds).toBeGreaterThanOrEqual(4);
    expect(r!.retryAfterSeconds).toBeLessThanOrEqual(5);
  });

  it('shares the allowance between two gateway nodes on the same Redis', async () => {
    const ctx = limiterContext({ requestsPerSecond: 6, burstSeconds: 1 });
    const node1 = await limiter(ctx);
    const node2 = await limiter(secondNode(ctx));
    let passed = 0;
    for (let i = 0; i < 6; i++) {
      if (!(await refusal(() => (i % 2 ? node2 : node1).consume(call('KEY_SHARED'))))) passed++;
    }
    expect(passed).toBe(6);
    expect(await refusal(() => node1.consume(call('KEY_SHARED')))).toMatchObject({ code: 'VUOT_HAN_MUC' });
    expect(await refusal(() => node2.consume(call('KEY_SHARED')))).toMatchObject({ code: 'VUOT_HAN_MUC' });
    expect(node1.stats().memoryDecisions).toBe(0);
  });
});

describe('while Redis is unreachable', () => {
  it('answers at once from memory, with the limit divided among the expected nodes', async () => {
    const ctx = limiterContext({ requestsPerSecond: 6, burstSeconds: 1, expectedNodes: 2 }, { redisUrl: 'redis://127.0.0.1:1' });
    const rl = await limiter(ctx);
    const result = await withinOrTimeout(burst(rl, 5, call('KEY_OFFLINE')), 3000);
    expect(result).not.toBe('timeout');
    const { passed, first } = result as Awaited<ReturnType<typeof burst>>;
    expect(passed).toBe(3);
    expect(first).toMatchObject({ code: 'VUOT_HAN_MUC' });
    const stats = rl.stats();
    expect(stats.redisConnected).toBe(false);
    expect(stats.memoryDecisions).toBe(5);
  });

  it('counts invalid keys and locks out from memory', async () => {
    const ctx = limiterContext({ lockoutThreshold: 2, lockoutBaseSeconds: 30 }, { redisUrl: 'redis://127.0.0.1:1' });
    const rl = await limiter(ctx);
    const guesser = { certSerial: '0AFF01', remoteAddress: '10.0.0.9' };
    const note = await withinOrTimeout(rl.noteInvalidKey(guesser), 3000);
    expect(note).toMatchObject({ lockedOut: false, failures: 1 });
    expect(await rl.noteInvalidKey(guesser)).toMatchObject({ lockedOut: true, retryAfterSeconds: 30 });
    expect(await refusal(() => rl.assertNotLockedOut(guesser))).toMatchObject({ code: 'KHOA_KET_NOI_BI_KHOA' });
    await expect(rl.listLockouts()).rejects.toMatchObject({ name: 'LockoutStoreUnavailable', lockoutsOnThisNode: [expect.objectContaining({ id: 'cert:AFF01', source: 'memory' })] });
  });

  it('falls back when Redis goes away mid-way, and pushes lockouts decided in memory to Redis when it returns', async () => {
    const proxy = await redisProxy();
    try {
      const ctx = limiterContext({ requestsPerSecond: 100, burstSeconds: 1, lockoutThreshold: 1, lockoutBaseSeconds: 60 }, { redisUrl: proxy.url });
      const rl = await limiter(ctx);
      const direct = await limiter(secondNode({ ...ctx, config: { ...ctx.config, redisUrl: REDIS_URL } }));
      await rl.consume(call('KEY_P'));
      expect(rl.stats().memoryDecisions).toBe(0);
      await proxy.stop();
      await until(() => !rl.stats().redisConnected);
      const answered = await withinOrTimeout(rl.consume(call('KEY_P')), 3000);
      expect(answered).not.toBe('timeout');
      expect(rl.stats().memoryDecisions).toBe(1);
      expect(await rl.noteInvalidKey({ remoteAddress: '::ffff:192.0.2.7' })).toMatchObject({ id: 'addr:192.0.2.7', lockedOut: true });
      expect(await direct.listLockouts()).toEqual([]); // only this node knows, for now
      await proxy.start();
      expect(await rl.ready(5000)).toBe(true);
      await until(async () => (await direct.listLockouts()).length > 0);
      expect(await direct.listLockouts()).toEqual([expect.objectContaining({ id: 'addr:192.0.2.7', source: 'redis', level: 1 })]);
      expect(await refusal(() => direct.assertNotLockedOut({ remoteAddress: '192.0.2.7' }))).toMatchObject({ code: 'KHOA_KET_NOI_BI_KHOA' });
      await rl.consume(call('KEY_P'));
      expect(rl.stats().memoryDecisions).toBe(1);
    } finally {
      await proxy.stop();
    }
  });
});

describe('when Redis hangs', () => {
  it('drops the connection after one command timeout and answers from memory until Redis answers again', async () => {
    const proxy = await redisProxy();
    try {
      const ctx = limiterContext({ requestsPerSecond: 100, burstSeconds: 1, redisCommandTimeoutMs: 200 }, { redisUrl: proxy.url });
      const rl = await limiter(ctx);
      await rl.consume(call('KEY_H'));
      proxy.suspend(); // connections stay open, nothing is forwarded any more
      const first = await withinOrTimeout(rl.consume(call('KEY_H')), 3000);
      expect(first).not.toBe('timeout'); // bounded by the command timeout, answered from memory
      expect(rl.stats().redisHangs).toBe(1);
      await until(() => !rl.stats().redisConnected); // the dropped connection closes asynchronously
      const memoryBefore = rl.stats().memoryDecisions;
      await rl.consume(call('KEY_H'));
      expect(rl.stats().memoryDecisions).toBe(memoryBefore + 1);
      expect(rl.stats().redisHangs).toBe(1);
      proxy.resume();
      expect(await rl.ready(5000)).toBe(true);
      await rl.consume(call('KEY_H'));
      expect(rl.stats().memoryDecisions).toBe(memoryBefore + 1);
    } finally {
      await proxy.stop();
    }
  });
});

describe('concurrent requests per key', () => {
  it('refuses beyond the limit per node and frees the slot on release', async () => {
    const ctx = limiterContext({ concurrentPerKey: 3 });
    const rl = await limiter(ctx, { redis: null });
    const r1 = rl.acquireSlot('KEY_C', 2);
    const r2 = rl.acquireSlot('KEY_C', 2);
    expect(() => rl.acquireSlot('KEY_C', 2)).toThrow(expect.objectContaining({ code: 'QUA_NHIEU_YEU_CAU_DONG_THOI' }));
    const other = rl.acquireSlot('KEY_OTHER', 2); // another key is not affected
    expect(rl.stats().inFlight).toBe(3);
    r1();
    r1(); // releasing twice gives back one slot only
    const r3 = rl.acquireSlot('KEY_C', 2);
    expect(() => rl.acquireSlot('KEY_C', 2)).toThrow(expect.objectContaining({ code: 'QUA_NHIEU_YEU_CAU_DONG_THOI' }));
    r2();
    r3();
    other();
    // Without a per-key limit, the configured default applies.
    const defaults = [rl.acquireSlot('KEY_D'), rl.acquireSlot('KEY_D'), rl.acquireSlot('KEY_D')];
    expect(() => rl.acquireSlot('KEY_D', undefined)).toThrow(expect.objectContaining({ code: 'QUA_NHIEU_YEU_CAU_DONG_THOI' }));
    defaults.forEach((release) => release());
    expect(rl.stats()).toMatchObject({ inFlight: 0, limited: { concurrency: 3 } });
  });
});

describe('lockout of key guessing on real Redis', () => {
  it('locks a client out after the threshold, on every node, and never a different client', async () => {
    const ctx = limiterContext({ lockoutThreshold: 3, lockoutWindowSeconds: 60, lockoutBaseSeconds: 20 });
    const node1 = await limiter(ctx);
    const node2 = await limiter(secondNode(ctx));
    const guesser = { certSerial: '1A2B', remoteAddress: '10.1.1.1' };
    const neighbour = { certSerial: '3C4D', remoteAddress: '10.1.1.1' }; // same NAT address, own certificate
    expect(await node1.noteInvalidKey(guesser)).toMatchObject({ lockedOut: false, failures: 1 });
    expect(await node2.noteInvalidKey(guesser)).toMatchObject({ lockedOut: false, failures: 2 });
    await node1.assertNotLockedOut(guesser);
    expect(await node2.noteInvalidKey(guesser)).toMatchObject({ lockedOut: true, retryAfterSeconds: 20 });
    for (const node of [node1, node2]) {
      const r = await refusal(() => node.assertNotLockedOut(guesser));
      expect(r).toMatchObject({ code: 'KHOA_KET_NOI_BI_KHOA' });
      expect(r!.retryAfterSeconds).toBeGreaterThanOrEqual(19);
      expect(r!.retryAfterSeconds).toBeLessThanOrEqual(20);
    }
    await node1.assertNotLockedOut(neighbour);
    await node1.assertNotLockedOut({ remoteAddress: '10.1.1.1' });
    expect(node1.stats().limited.lockout).toBe(1);
    expect(node2.stats()).toMatchObject({ invalidKeys: 2, lockoutsStarted: 1 });
  });

  it('locks out by address when the client has no certificate', async () => {
    const ctx = limiterContext({ lockoutThreshold: 2 });
    const rl = await limiter(ctx);
    await rl.noteInvalidKey({ remoteAddress: '::ffff:198.51.100.4' });
    await rl.noteInvalidKey({ remoteAddress: '198.51.100.4' });
    expect(await refusal(() => rl.assertNotLockedOut({ remoteAddress: '198.51.100.4' }))).toMatchObject({ code: 'KHOA_KET_NOI_BI_KHOA' });
    await rl.assertNotLockedOut({ remoteAddress: '198.51.100.5' });
    await rl.assertNotLockedOut({ certSerial: 'ABCD', remoteAddress: '198.51.100.4' });
  });

  it('grows each lockout: base × 2^(n−1), capped', async () => {
    const ctx = limiterContext({ lockoutThreshold: 2, lockoutBaseSeconds: 60, lockoutMaxSeconds: 200 });
    prefixes.push(ctx.config.redisPrefix);
    const redis = createRateLimitRedis(ctx.config, ctx.log);
    const tracker = new LockoutTracker(ctx.config, redis);
    expect(await waitForRedis(redis, 5000)).toBe(true);
    const client = { certSerial: 'BEEF' };
    let now = Date.now();
    const durations: number[] = [];
    for (let round = 0; round < 4; round++) {
      await tracker.noteInvalidKey(client, now);
      const outcome = await tracker.noteInvalidKey(client, now);
      expect(outcome.lockedOut).toBe(true);
      durations.push(outcome.retryAfterSeconds!);
      expect(await tracker.retryAfter(client, now)).toBe(outcome.retryAfterSeconds);
      now += outcome.retryAfterSeconds! * 1000 + 1000; // after the lockout ends
      expect(await tracker.retryAfter(client, now)).toBe(0);
    }
    expect(durations).toEqual([60, 120, 200, 200]);
    expect((await tracker.list(now - 1500))[0]).toMatchObject({ id: 'cert:BEEF', level: 4, durationSeconds: 200 });
    redis.disconnect();
  });

  it('lists lockouts and lifts one, recorded in the audit trail; lifting resets the growth', async () => {
    const ctx = limiterContext({ lockoutThreshold: 1, lockoutBaseSeconds: 30 });
    const rl = await limiter(ctx);
    await rl.noteInvalidKey({ certSerial: 'AA01', remoteAddress: '10.2.2.2' });
    await rl.noteInvalidKey({ remoteAddress: '10.3.3.3' });
    const listed = await rl.listLockouts();
    expect(listed.map((l) => l.id).sort()).toEqual(['addr:10.3.3.3', 'cert:AA01']);
    expect(listed.find((l) => l.id === 'cert:AA01')).toMatchObject({
      kind: 'cert', subject: 'AA01', level: 1, failures: 1, durationSeconds: 30, lastRemoteAddress: '10.2.2.2', source: 'redis',
    });
    // A successful authentication in between changes nothing: there is no way for it to clear a lockout.
    const lifted = await rl.liftLockout('cert:AA01', 'cli:tester@host');
    expect(lifted).toMatchObject({ id: 'cert:AA01' });
    await rl.assertNotLockedOut({ certSerial: 'AA01' });
    expect((await rl.listLockouts()).map((l) => l.id)).toEqual(['addr:10.3.3.3']);
    expect(ctx.events).toContainEqual(expect.objectContaining({ kind: 'admin', operation: 'keys.unlock', actor: 'cli:tester@host', target: 'cert:AA01', outcome: 'ok' }));
    expect(await rl.liftLockout('cert:NOPE', 'cli:tester@host')).toBeNull();
    expect(ctx.events).toContainEqual(expect.objectContaining({ target: 'cert:NOPE', outcome: 'not-found' }));
    // After a lift the next lockout starts again at the base duration.
    expect(await rl.noteInvalidKey({ certSerial: 'AA01' })).toMatchObject({ lockedOut: true, retryAfterSeconds: 30 });
  });
});

/** Polls until cond holds (max 5 s): waits for asynchronous effects without asserting their timing. */
async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not reached within 5 s');
}

/** A TCP relay to the real Redis that the test can take down and bring back on the same port. */
async function redisProxy(): Promise<{ url: string; stop(): Promise<void>; start(): Promise<void>; suspend(): void; resume(): void }> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  let suspended = false;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const srv = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 6379), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => { client.destroy(); upstream.destroy(); });
        }
        // Forward unless suspended: a suspended proxy keeps connections open but swallows bytes (a hung Redis).
        client.on('data', (d) => suspended || upstream.write(d));
        upstream.on('data', (d) => suspended || client.write(d));
      });
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        port = (srv.address() as net.AddressInfo).port;
        server = srv;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = null;
    });
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    suspend: () => void (suspended = true),
    resume: () => void (suspended = false),
  };
}
