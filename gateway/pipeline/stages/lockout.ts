/** A client locked out for guessing keys is refused before its key (or its body) is even read. */
import type { Stage } from '../exchange.js';
import type { AbuseGuard } from '../ports.js';

export function lockout(guard: AbuseGuard): Stage {
  return { name: 'lockout', run: (x) => guard.assertNotLockedOut(x.client()) };
}
