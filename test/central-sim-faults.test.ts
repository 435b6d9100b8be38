/**
 * The simulator's faults: each mode, scoping by path and count, the seeded random failures, and
 * the control endpoint (plain loopback port and mTLS), over real TLS with the gateway's PKI.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { simControl } from '../central-sim/control.js';
import { FaultError, FaultState, parseFaults } from '../central-sim/faults.js';
import { startCentralSim, type CentralSim } from '../central-sim/server.js';
import { quietLogger } from '../core/log.js';
import { cleanup, tempDir } from './helpers/env.js';
import { profile, simClient, simPki, uniqueKey, type SimClient, type SimPki } from './central-sim.helpers.js';

let pki: SimPki;
let sim: CentralSim;
let api: SimClient;

const T1 = '2025-08-20T10:15:00+07:00';
let n = 0;
const nextId = () => `7${String(process.pid % 1000).padStart(3, '0')}${String(++n).padStart(8, '0')}`;

beforeAll(async () => {
  pki = await simPki();
  sim = await startCentralSim({ config: pki.config, log: quietLogger() });
  api = simClient(sim.url, pki.client);
}, 60_000);

afterEach(async () => {
  await sim.resetFaults();
});

afterAll(async () => {
  await sim?.close();
  await cleanup();
});

/** Status code, or the transport error's code when no answer came. */
async function outcome(p: Promise<{ status: number }>): Promise<number | string> {
  try {
    return (await p).status;
  } catch (err) {
    const e = err as { code?: unknown; name?: string; cause?: { code?: unknown } };
    // DOMException (abort, timeout) carries a numeric legacy code: its name says more.
    if (typeof e.code === 'string') return e.code;
    if (typeof e.cause?.code === 'string') return e.cause.code;
    return e.name ?? 'error';
  }
}

/**
 * What a caller sees of a listener that went down. A keep-alive connection pooled before the
 * outage may fail first with a socket error; the next attempt must find the port closed.
 */
async function whenDown(call: () => Promise<{ status: number }>): Promise<number | string> {
  const first = await outcome(call());
  return first === 'UND_ERR_SOCKET' || first === 'ECONNRESET' ? outcome(call()) : first;
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const applied = (id: string) => sim.stats().appliedBySoDinhDanh![id] ?? 0;

describe('fault decisions', () => {
  it('combines latency with the answer it delays, honours scope and count, and counts what fired', () => {
    const fired: string[] = [];
    const state = new FaultState(
      parseFaults({ latencyMs: { ms: 100, paths: ['/api/v1/profiles'] }, status503: { retryAfter: 4, count: 1, paths: ['/api/v1/profiles'] } }),
      (name) => fired.push(name),
    );
    expect(state.before('POST', '/api/v1/profiles')).toMatchObject({ kind: 'respond', status: 503, retryAfter: 4, delayMs: 100 });
    expect(state.before('POST', '/api/v1/profiles')).toEqual({ kind: 'none', delayMs: 100, loseAnswer: false });
    expect(state.before('POST', '/api/v1/profiles:batch')).toEqual({ kind: 'none', delayMs: 0, loseAnswer: false });
    expect(fired).toEqual(['latency', 'status503', 'latency']);
    expect(state.snapshot().remaining).toEqual({});
  });

  it('refuses malformed documents with a message naming the member', () => {
    expect(() => parseFaults({ status429: { count: 0 } })).toThrow(/status429.count/);
    expect(() => parseFaults({ randomFailureRate: 2 })).toThrow(FaultError);
    expect(() => parseFaults({ randomFailureRate: { rate: 0.1, kinds: ['boom'] } })).toThrow(/kinds/);
    expect(() => parseFaults({ down: { mode: 'explode' } })).toThrow(/down.mode/);
    expect(() => parseFaults({ status: { code: 200 } })).toThrow(/status/);
    expect(() => parseFaults([])).toThrow(FaultError);
  });
});

describe('answers instead of work', () => {
  it('status503: Retry-After in integer seconds, scoped to a method and counted, nothing applied', async () => {
    await sim.setFaults({ status503: { retryAfter: 7, methods: ['POST'], count: 2 } });
    const id = nextId();
    for (let i = 0; i < 2; i++) {
      const res = await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, id, T1) });
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('7');
      expect(res.json.ma).toBe('TAM_DUNG_DICH_VU');
      expect(res.json.moTa).toMatch(/thử lại/);
    }
    expect(applied(id)).toBe(0);
    expect((await api.call('GET', `/api/v1/profiles/${id}`)).status).toBe(404); // GET is not in scope
    expect((await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, id, T1) })).status).toBe(201);
    expect(sim.faults().status503).toBeUndefined();
    expect(sim.stats().faultsInjected.status503).toBe(2);
  });

  it('status429 with the default Retry-After', async () => {
    await sim.setFaults({ status429: true });
    const res = await api.call('POST', '/api/v1/profiles:batch', { body: { hoSo: [profile(pki.signer, nextId(), T1)] } });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json.ma).toBe('QUA_TAI');
  });

  it('any other status, e.g. a final 403', async () => {
    await sim.setFaults({ status: { code: 403, ma: 'KHONG_DUOC_PHEP', moTa: 'Đơn vị không được phép gửi hồ sơ này' } });
    const res = await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, nextId(), T1) });
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ ma: 'KHONG_DUOC_PHEP', moTa: 'Đơn vị không được phép gửi hồ sơ này' });
    expect(res.headers['retry-after']).toBeUndefined();
  });

  it('scopes by path prefix', async () => {
    await sim.setFaults({ status503: { paths: ['/api/v1/units/*'] } });
    expect((await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, nextId(), T1) })).status).toBe(201);
    const unit = { maDinhDanh: '000.00.00.H77', ten: 'Tỉnh thử', cap: 1, hieuLucTu: '2025-07-01' };
    expect((await api.call('PUT', '/api/v1/units/000.00.00.H77', { body: unit })).status).toBe(503);
  });
});

describe('slow and lost answers', () => {
  it('latencyMs: the caller gives up, the write still happens, the retry is a replay', async () => {
    await sim.setFaults({ latencyMs: { ms: 1500, count: 1 } });
    const id = nextId();
    const key = uniqueKey('slow');
    const rec = profile(pki.signer, id, T1);
    expect(await outcome(api.call('POST', '/api/v1/profiles', { body: rec, key, timeoutMs: 200 }))).toMatch(/Abort|Timeout/);
    await until(() => applied(id) === 1);
    const retry = await api.call('POST', '/api/v1/profiles', { body: rec, key });
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replay']).toBe('true');
    expect(applied(id)).toBe(1);
    expect(sim.stats().faultsInjected.latency).toBeGreaterThanOrEqual(1);
  });

  it('hang: accepts and never answers; nothing is applied', async () => {
    await sim.setFaults({ hang: { count: 1 } });
    const id = nextId();
    expect(await outcome(api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, id, T1), timeoutMs: 300 }))).toMatch(/Abort|Timeout/);
    expect(applied(id)).toBe(0);
    expect((await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, id, T1) })).status).toBe(201);
  });

  it('failAfterCommit (500): the write happened, the answer was lost; the retry replays, applied once', async () => {
    await sim.setFaults({ failAfterCommit: { count: 1 } });
    const id = nextId();
    const key = uniqueKey('lost');
    const rec = profile(pki.signer, id, T1);
    const first = await api.call('POST', '/api/v1/profiles', { body: rec, key });
    expect(first.status).toBe(500);
    expect(first.json.ma).toBe('LOI_HE_THONG');
    expect((await api.call('GET', `/api/v1/profiles/${id}`)).status).toBe(200);
    const retry = await api.call('POST', '/api/v1/profiles', { body: rec, key });
    expect(retry.status).toBe(201);
    expect(retry.json.trangThai).toBe('DA_TAO');
    expect(retry.headers['idempotent-replay']).toBe('true');
    // A resend under a new key (a gateway that lost its key) is unchanged, not applied again.
    expect((await api.call('POST', '/api/v1/profiles', { body: rec })).json.trangThai).toBe('KHONG_DOI');
    expect(applied(id)).toBe(1);
    expect(sim.stats().duplicatesApplied).toBe(0);
  });

  it('failAfterCommit (reset and hang) on batches', async () => {
    await sim.setFaults({ failAfterCommit: { answer: 'reset', paths: ['/api/v1/profiles:batch'], count: 1 } });
    const a = nextId();
    expect(await outcome(api.call('POST', '/api/v1/profiles:batch', { body: { hoSo: [profile(pki.signer, a, T1)] } }))).not.toBe(200);
    expect(applied(a)).toBe(1);
    await sim.setFaults({ failAfterCommit: { answer: 'hang', count: 1 } });
    const b = nextId();
    expect(await outcome(api.call('POST', '/api/v1/profiles:batch', { body: { hoSo: [profile(pki.signer, b, T1)] }, timeoutMs: 300 }))).toMatch(/Abort|Timeout/);
    expect(applied(b)).toBe(1);
  });

  it('failAfterCommit does not fire on reads or refused writes', async () => {
    await sim.setFaults({ failAfterCommit: true });
    expect((await api.call('GET', '/api/v1/profiles/000000000000')).status).toBe(404);
    expect((await api.call('POST', '/api/v1/profiles', { body: { soDinhDanh: 'x' } })).status).toBe(422);
  });
});

describe('down', () => {
  it('refuse: connections are refused until the fault is cleared; the control port keeps answering', async () => {
    const control = simControl(sim.controlUrl!);
    try {
      await control.setFaults({ down: true });
      expect(await whenDown(() => api.call('GET', '/api/v1/profiles/000000000001'))).toBe('ECONNREFUSED');
      expect((await control.faults()).down).toEqual({ mode: 'refuse' });
      await control.reset();
      expect(await outcome(api.call('GET', '/api/v1/profiles/000000000001'))).toBe(404);
    } finally {
      await control.close();
    }
  });

  it('refuse for a while, then back by itself on the same port', async () => {
    await sim.setFaults({ down: { forMs: 400 } });
    expect(await whenDown(() => api.call('GET', '/api/v1/profiles/000000000001'))).toBe('ECONNREFUSED');
    let result: number | string = 'down';
    const end = Date.now() + 10_000;
    while (typeof result === 'string' && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      result = await outcome(api.call('GET', '/api/v1/profiles/000000000001'));
    }
    expect(result).toBe(404);
    expect(sim.faults().down).toBeUndefined();
  });

  it('survives quick down/up sequences, ending in the last state asked for', async () => {
    await Promise.all([sim.setFaults({ down: true }), sim.setFaults({}), sim.setFaults({ down: true }), sim.setFaults({})]);
    expect(await outcome(api.call('GET', '/api/v1/profiles/000000000001'))).toBe(404);
    await Promise.all([sim.setFaults({}), sim.setFaults({ down: true })]);
    expect(await whenDown(() => api.call('GET', '/api/v1/profiles/000000000001'))).toBe('ECONNREFUSED');
  });

  it('reset: connections are accepted and dropped at once', async () => {
    await sim.setFaults({ down: { mode: 'reset' } });
    const res = await outcome(api.call('GET', '/api/v1/profiles/000000000001'));
    expect(typeof res).toBe('string');
    await sim.resetFaults();
    expect(await outcome(api.call('GET', '/api/v1/profiles/000000000001'))).toBe(404);
  });
});

describe('random failures', () => {
  async function run(seed: number): Promise<{ outcomes: (number | string)[]; applied: number; created: number; lostAfterCommit: number }> {
    const s = await startCentralSim({ config: pki.config, dataDir: tempDir(), listen: '127.0.0.1:0', controlListen: false, log: quietLogger() });
    const c = simClient(s.url, pki.client);
    try {
      await s.setFaults({ randomFailureRate: { rate: 0.4, kinds: ['503', '500', 'reset', 'failAfterCommit'] }, seed });
      const outcomes: (number | string)[] = [];
      for (let i = 0; i < 40; i++) {
        const r = await outcome(c.call('POST', '/api/v1/profiles', { body: profile(pki.signer, `8${String(i).padStart(11, '0')}`, T1) }));
        outcomes.push(typeof r === 'number' ? r : 'reset');
      }
      const stats = s.stats();
      return {
        outcomes,
        applied: stats.applied,
        created: outcomes.filter((o) => o === 201).length,
        lostAfterCommit: stats.faultsInjected.randomFailAfterCommit ?? 0,
      };
    } finally {
      await c.close();
      await s.close();
    }
  }

  it('fails a share of requests, reproducibly for a seed, and never applies a failed-before-commit write', async () => {
    const first = await run(42);
    const second = await run(42);
    expect(second.outcomes).toEqual(first.outcomes);
    const failures = first.outcomes.filter((o) => o !== 201);
    expect(failures.length).toBeGreaterThan(4);
    expect(failures.length).toBeLessThan(36);
    expect(new Set(failures)).toEqual(new Set([503, 500, 'reset']));
    // 500s come from both "before" failures and lost answers: only the lost answers were applied.
    expect(first.lostAfterCommit).toBeGreaterThan(0);
    expect(first.applied).toBe(first.created + first.lostAfterCommit);
    const other = await run(7);
    expect(other.outcomes).not.toEqual(first.outcomes);
  }, 60_000);
});

describe('control endpoint', () => {
  it('validates fault documents and reports what is in force, with remaining counts', async () => {
    const control = simControl(sim.controlUrl!);
    try {
      await expect(control.setFaults({ status503: { retryAfter: -1 } } as never)).rejects.toMatchObject({ status: 400 });
      await expect(control.setFaults({ explode: true } as never)).rejects.toThrow(/explode/);
      const state = await control.setFaults({ status503: { retryAfter: 2, count: 3 }, latencyMs: 5 });
      expect(state).toMatchObject({ status503: { retryAfter: 2, count: 3 }, latencyMs: 5, remaining: { status503: 3 } });
      await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, nextId(), T1) });
      expect((await control.faults()).remaining.status503).toBe(2);
    } finally {
      await control.close();
    }
  });

  it('works over mTLS on the API listener too, and can wipe the data', async () => {
    const s = await startCentralSim({ config: pki.config, dataDir: tempDir(), listen: '127.0.0.1:0', controlListen: false, log: quietLogger() });
    const control = simControl(s.url, pki.client);
    const c = simClient(s.url, pki.client);
    try {
      expect((await c.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '900000000001', T1) })).status).toBe(201);
      const stats = await control.stats();
      expect(stats.appliedBySoDinhDanh).toEqual({ '900000000001': 1 });
      expect((await control.stats({ summary: true })).appliedBySoDinhDanh).toBeUndefined();
      const journal = await control.journal({ soDinhDanh: '900000000001' });
      expect(journal.map((e) => e.outcome)).toEqual(['DA_TAO']);
      await control.setFaults({ status429: { retryAfter: 3 } });
      expect((await c.call('GET', '/api/v1/profiles/900000000001')).status).toBe(429);
      await control.reset({ data: true });
      expect((await c.call('GET', '/api/v1/profiles/900000000001')).status).toBe(404);
      expect((await control.stats()).applied).toBe(0);
    } finally {
      await control.close();
      await c.close();
      await s.close();
    }
  });

  it('takes faults at start, as JSON text', async () => {
    const s = await startCentralSim({
      config: pki.config,
      dataDir: tempDir(),
      listen: '127.0.0.1:0',
      controlListen: false,
      faults: '{"status503":{"retryAfter":3}}',
      log: quietLogger(),
    });
    const c = simClient(s.url, pki.client);
    try {
      const res = await c.call('GET', '/api/v1/profiles/900000000001');
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('3');
    } finally {
      await c.close();
      await s.close();
    }
  });

  it('can start down and come up later', async () => {
    const s = await startCentralSim({ config: pki.config, dataDir: tempDir(), listen: '127.0.0.1:0', faults: { down: true }, log: quietLogger() });
    const c = simClient(s.url, pki.client);
    try {
      expect(await outcome(c.call('GET', '/api/v1/profiles/900000000001'))).toBe('ECONNREFUSED');
      await s.resetFaults();
      expect((await c.call('GET', '/api/v1/profiles/900000000001')).status).toBe(404);
    } finally {
      await c.close();
      await s.close();
    }
  });
});
