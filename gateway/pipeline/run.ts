/**
 * Runs one exchange through its route: the stages in order until one answers or refuses, then
 * the epilogue. A stage that finishes synchronously costs no await (the hot path stays cheap).
 */
import type { AppContext } from '../../core/context.js';
import { asGatewayError, type Exchange } from './exchange.js';
import { epilogue } from './epilogue.js';

export async function runExchange(x: Exchange, ctx: AppContext): Promise<void> {
  const stages = x.route.stages;
  try {
    for (let i = 0; i < stages.length && !x.done; i++) {
      const pending = stages[i].run(x);
      if (pending !== undefined) await pending;
    }
  } catch (err) {
    x.refuse(asGatewayError(err, ctx, x.requestId));
  } finally {
    // Slots are the request's while it works, not while the trail and the socket take the answer;
    // a pass-through's work is its relay, which the epilogue runs: it keeps them until then.
    if (!x.relay || x.error) x.releaseAll();
  }
  try {
    await epilogue(x, ctx);
  } finally {
    x.releaseAll();
  }
}
