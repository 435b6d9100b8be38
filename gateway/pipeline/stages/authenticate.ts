/**
 * The connection key (or bearer token) presented, checked for the door and operation it is used
 * for. A refusal is counted by reason; one that looks like guessing counts towards the lockout.
 * The same stage serves every front and every JSON endpoint.
 */
import { GatewayError } from '../../../core/errors.js';
import { keyRejections } from '../../../core/metrics.js';
import type { Exchange, Stage } from '../exchange.js';
import { isGuess, type AbuseGuard, type KeyCheck } from '../ports.js';

const NO_CREDENTIALS = Object.freeze({});

export function authenticate(keys: KeyCheck, guard: AbuseGuard): Stage {
  async function refused(x: Exchange, err: unknown): Promise<never> {
    if (err instanceof GatewayError) {
      keyRejections.inc({ reason: err.internalReason ?? err.code });
      if (isGuess(err)) await guard.noteInvalidKey(x.client());
    }
    throw err;
  }
  return {
    name: 'authenticate',
    run(x) {
      try {
        x.identity = keys.validate(x.credentials ?? NO_CREDENTIALS, x.peer!, x.use);
      } catch (err) {
        return refused(x, err);
      }
      keys.touch(x.identity.keyId);
    },
  };
}
