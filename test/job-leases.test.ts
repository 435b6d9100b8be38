/**
 * Job leases (core/store/leases.ts): of several nodes sharing a store, one holds a scheduled job
 * at a time; the holder renews, a released or expired lease goes to the next node that asks.
 * Two store handles on the same database stand for two nodes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { releaseLease, takeLease } from '../core/store/leases.js';
import { cleanup, STORE_KINDS, testConfig, testStore } from './helpers/env.js';

afterAll(cleanup);

describe.each(STORE_KINDS)('job leases (%s)', (kind) => {
  it('one holder at a time; renewal, release and expiry hand it over', async () => {
    const config = testConfig(kind);
    const a = (await testStore(kind, config)).db;
    const b = (await testStore(kind, config)).db;

    expect(await takeLease(a, 'job', 'node-a', 60_000)).toBe(true);
    expect(await takeLease(b, 'job', 'node-b', 60_000)).toBe(false);
    // The holder renews its own lease; another job's lease is independent.
    expect(await takeLease(a, 'job', 'node-a', 60_000)).toBe(true);
    expect(await takeLease(b, 'other-job', 'node-b', 60_000)).toBe(true);

    // Released: the next node to ask takes it; a release by a non-holder changes nothing.
    await releaseLease(b, 'job', 'node-b');
    expect(await takeLease(b, 'job', 'node-b', 60_000)).toBe(false);
    await releaseLease(a, 'job', 'node-a');
    expect(await takeLease(b, 'job', 'node-b', 50)).toBe(true);
    expect(await takeLease(a, 'job', 'node-a', 60_000)).toBe(false);

    // Expired (a holder that died): taken over once `until` has passed.
    await new Promise((r) => setTimeout(r, 80));
    expect(await takeLease(a, 'job', 'node-a', 60_000)).toBe(true);
    expect(await takeLease(b, 'job', 'node-b', 60_000)).toBe(false);
  });

  it('nodes asking at the same moment: exactly one gets it', async () => {
    const config = testConfig(kind);
    const stores = await Promise.all([0, 1, 2, 3].map(() => testStore(kind, config)));
    for (let round = 0; round < 5; round++) {
      const name = `race-${round}`;
      const won = await Promise.all(stores.map((s, i) => takeLease(s.db, name, `node-${i}`, 60_000)));
      expect(won.filter(Boolean)).toHaveLength(1);
    }
  });
});
