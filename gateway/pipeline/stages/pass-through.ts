/**
 * GET /api/v1/profiles/{soDinhDanh}, /api/v1/units/{maDinhDanh}/tree: handed on to the central
 * database with the gateway's own identity (the relay, dataplane/passthrough.ts, writes the
 * answer after the epilogue has put the exchange in the trail).
 */
import type { Stage } from '../exchange.js';
import type { PassThrough } from '../ports.js';

/** The central database's read paths the JSON front passes through. */
export const READ_PATHS = [/^\/api\/v1\/profiles\/[0-9]{12}$/, /^\/api\/v1\/units\/[0-9A-Z.]{1,35}\/tree$/];

const PERSONAL_ID = /[0-9]{12}$/;

export function passThrough(relay: PassThrough, currentUnitCode: (code: string) => string): Stage {
  return {
    name: 'pass-through',
    run(x) {
      const identity = x.identity!;
      const path = x.meta.path;
      const headers = { unitCode: currentUnitCode(identity.unitCode), softwareId: identity.softwareId, requestId: x.requestId };
      x.trail = 'all';
      x.outcome = 'proxied';
      x.trailOperation = `GET ${path.replace(PERSONAL_ID, '{soDinhDanh}')}`;
      x.personalIds = path.match(PERSONAL_ID) ?? [];
      x.relay = (req, res) => relay(req, res, headers);
    },
  };
}
