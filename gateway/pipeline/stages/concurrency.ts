/** One of the key's concurrent-request slots (QUA_NHIEU_YEU_CAU_DONG_THOI when none is free); given back before the epilogue. */
import type { Stage } from '../exchange.js';
import type { AbuseGuard } from '../ports.js';

export function concurrency(guard: AbuseGuard): Stage {
  return {
    name: 'concurrency',
    run(x) {
      const identity = x.identity!;
      x.hold(guard.acquireSlot(identity.keyId, identity.limits?.concurrentPerKey));
    },
  };
}
