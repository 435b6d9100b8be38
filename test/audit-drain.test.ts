/**
 * Regression: an event recorded while a batch was being written was taken by the running write
 * loop, and its flush timer then fired on an EMPTY buffer; that drain left a settled promise
 * behind as "the drain in progress", so the trail never wrote again and every durable write
 * (queued acknowledgements, operator actions) timed out. Found by the delivery tests.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, cleanup, testContext } from './helpers/env.js';
import { searchAudit } from '../gateway/audit/search.js';

afterAll(cleanup);

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p.then(() => 'written'), new Promise<string>((r) => setTimeout(() => r('stalled'), ms))]);

describe.each(STORE_KINDS)('audit trail write loop (%s)', (kind) => {
  it('keeps writing after events were absorbed by a running write', async () => {
    const ctx = await testContext(kind);
    for (let round = 0; round < 5; round++) {
      const durable = ctx.audit.recordDurable({ kind: 'admin', operation: 'test.loop', outcome: 'ok', actor: 'test' }); // starts a write
      ctx.audit.record({ kind: 'admin', operation: 'test.loop', outcome: 'ok', actor: 'test' }); // arms the flush timer, joins the running loop
      await durable;
      await new Promise((r) => setTimeout(r, ctx.config.audit.flushIntervalMs * 3)); // the timer fires on an empty buffer
    }
    expect(await within(ctx.audit.recordDurable({ kind: 'admin', operation: 'test.loop', outcome: 'ok', actor: 'test' }), 5000)).toBe('written');
    await ctx.audit.flush();
    expect((await searchAudit(ctx.store, ctx.config, { operation: 'test.loop' })).items).toHaveLength(11);
  });
});
