/**
 * Pass-through reads whose callers leave before the centre answers (a load generator stopped, a
 * client timeout): the centre's answer must not sit unread on the gateway's pooled connection,
 * or after 64 such callers every later read waits for a free connection for ever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from './helpers/env.js';
import { startHarness, type Harness, type LegacyClient } from './helpers/gateway.js';
import { rawTls } from './helpers/raw-tls.js';

let h: Harness;
let j: LegacyClient;

beforeAll(async () => {
  h = await startHarness();
  j = await h.legacyClient({ vendor: 'json', softwareId: 'MODERN-J', unitCode: '000.00.00.H06' });
}, 120_000);

afterAll(cleanup);

describe('pass-through reads abandoned by their callers', () => {
  it('do not keep the connections to the centre: 80 callers leave before their answers, the next read is answered at once', async () => {
    const before = h.sim.stats().requests.total;
    await h.sim.setFaults({ latencyMs: 1000 });
    try {
      const leaving = [];
      for (let i = 0; i < 80; i++) {
        leaving.push(
          (async () => {
            const conn = await rawTls(h.node.dataPlane!.port, { cert: j.cert, ca: h.ca });
            conn.socket.write(`GET /api/v1/profiles/0010850${String(10000 + i)} HTTP/1.1\r\nHost: localhost\r\nX-Connection-Key: ${j.connectionKey}\r\n\r\n`);
            // Gone once the gateway has (most likely) passed the read on, before the centre answers.
            await new Promise((r) => setTimeout(r, 300));
            conn.socket.destroy();
          })(),
        );
      }
      await Promise.all(leaving);
      // Let the centre's (late) answers arrive at the gateway.
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      await h.sim.resetFaults();
    }
    // At least as many reads reached the centre as the gateway's pool has connections to it (64),
    // so answers left unread would have used it up; on a loaded machine a few callers leave
    // before the gateway has passed their read on.
    expect(h.sim.stats().requests.total - before).toBeGreaterThanOrEqual(64);
    const started = Date.now();
    const res = await Promise.race([
      j.request(`${h.url}/api/v1/profiles/001085099999`, { headers: { 'x-connection-key': j.connectionKey } }),
      new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 10_000)),
    ]);
    expect(res, 'no answer within 10 s: the pass-through has no free connection to the centre').not.toBe('stuck');
    expect((res as { status: number }).status).toBe(404);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 60_000);
});
