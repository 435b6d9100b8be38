/** A JSON read counts as one request (no records) against the key's and the unit's rate limits. */
import type { Stage } from '../exchange.js';
import type { AbuseGuard } from '../ports.js';

export function requestLimit(guard: AbuseGuard): Stage {
  return {
    name: 'request-limit',
    run(x) {
      const identity = x.identity!;
      return guard.consume({ keyId: identity.keyId, unitCode: identity.unitCode, records: 0, overrides: identity.limits });
    },
  };
}
