/** A JSON endpoint's credentials: X-Connection-Key or a bearer token, for what the endpoint does. */
import { jsonCredentials } from '../../../adapters/json/credentials.js';
import type { Operation, VendorId } from '../../../adapters/types.js';
import type { Stage } from '../exchange.js';
import type { KeyUse } from '../ports.js';

export function headerCredentials(front: VendorId | '*', operation: Operation | '*'): Stage {
  const use: KeyUse = Object.freeze({ front, operation });
  return {
    name: 'header-credentials',
    run(x) {
      x.credentials = jsonCredentials(x.req.headers);
      x.use = use;
    },
  };
}
