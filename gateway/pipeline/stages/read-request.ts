/**
 * The front reads its envelope (within the XML limits): the call, its credentials and the
 * operation the key must allow. Bad input is the front's GatewayError, never a crash.
 */
import type { RequestLimits } from '../../../adapters/types.js';
import type { Stage } from '../exchange.js';

export function readRequest(limits: RequestLimits): Stage {
  return {
    name: 'read-request',
    run(x) {
      const front = x.protocol!;
      const call = front.readRequest(x.body!, x.meta, limits);
      x.call = call;
      x.operation = call.vendorOperation;
      x.credentials = call.credentials;
      x.use = { front: front.id, operation: call.operation };
    },
  };
}
