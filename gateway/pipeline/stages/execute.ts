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
      const counts: Record<string, number> = {};
      let codes: Set<string> | undefined;
      for (const r of done.result.results) {
        recordsTotal.inc({ front: x.front, status: r.status });
        counts[r.status] = (counts[r.status] ?? 0) + 1;
        if (r.status === 'INVALID' || r.status === 'ERROR') {
          codes ??= new Set();
          // A record refused without an issue of its own (MaKetQua 9 from a failed delivery) is named by its status.
          if (r.errors.length === 0) codes.add(r.status === 'ERROR' ? 'LOI_HE_THONG' : 'KHONG_HOP_LE');
          for (const e of r.errors) if (codes.size < 10) codes.add(e.code);
        }
      }
      x.recordCount = done.result.results.length;
      x.recordStatus = counts;
      x.recordCodes = codes && [...codes];
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
