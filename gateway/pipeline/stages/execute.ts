/**
 * The operation itself (../execute.ts: rate limits by record count, map, check, sign, deliver),
 * its records counted by status, its answer rendered by the front.
 */
import { recordsTotal } from '../../../core/metrics.js';
import type { Stage } from '../exchange.js';
import { execute as run, type ExecuteDeps } from '../execute.js';

export function execute(deps: ExecuteDeps): Stage {
  return {
    name: 'execute',
    async run(x) {
      const call = x.call!;
      const identity = x.identity!;
      const done = await run(call, identity, { requestId: x.requestId, keyId: identity.keyId, softwareId: identity.softwareId, front: x.front }, deps);
      x.personalIds = done.personalIds;
      x.trackingIds = done.trackingIds;
      x.queued = done.queued;
      x.details = done.auditDetails;
      x.outOfScope = done.outOfScope;
      for (const r of done.result.results) recordsTotal.inc({ front: x.front, status: r.status });
      x.outcome = summarise(done.result.results.map((r) => r.status));
      x.answer = x.protocol!.renderResult(call, done.result);
    },
  };
}

function summarise(statuses: string[]): string {
  if (statuses.length === 0) return 'ok';
  const set = new Set(statuses);
  if (set.size === 1) return statuses[0].toLowerCase();
  return 'mixed';
}
