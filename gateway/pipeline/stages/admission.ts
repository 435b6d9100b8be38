/**
 * Admission: at most `max` requests at work in this process, whatever key or front they come
 * by. Past that, a request is refused at once (CONG_KET_NOI_QUA_TAI, 503 with Retry-After, in
 * the caller's protocol) before its body is read, so a sustained overload costs a short answer
 * per request instead of a growing pile of bodies, parsed trees and pending store writes. The
 * per-key limits (concurrency, rate) say who may use the gateway how much; this one says how
 * much the process takes on at all. A refusal here is answered and counted like any other, but
 * reaches the trail and the log summed per interval (../shed-report.ts): under overload each
 * refusal must cost little, and a flood must not grow the append-only trail.
 */
import { GatewayError } from '../../../core/errors.js';
import { overloadRefusals, requestsAdmitted } from '../../../core/metrics.js';
import type { Stage } from '../exchange.js';

export interface Admission extends Stage {
  /** Requests at work now. */
  readonly active: number;
}

export function admission(max: number): Admission {
  let active = 0;
  const free = () => {
    active--;
    requestsAdmitted.dec();
  };
  return {
    name: 'admission',
    get active() {
      return active;
    },
    run(x) {
      if (active >= max) {
        overloadRefusals.inc();
        x.shed = true;
        throw new GatewayError('CONG_KET_NOI_QUA_TAI', { retryAfterSeconds: 1 }, `${active} requests at work, limit ${max} per process`);
      }
      active++;
      requestsAdmitted.inc();
      x.hold(free);
    },
  };
}
