/**
 * The one cache of units' record-signing identities. Opening an identity costs two store reads
 * and a private-key decryption; signing happens per record. An identity is kept until the
 * certificates change (a new `issue-signing`, a revocation: the certificate watcher's
 * onChange). A unit without a usable certificate is refused from the cache for a moment, so a
 * batch of its records looks it up once, and an admin's fix is seen a second later.
 */
import type { AppContext } from '../core/context.js';
import { signingIdentity, type SigningIdentity } from './material.js';

const REFUSAL_TTL_MS = 1000;

export type UnitSigner = (unitCode: string) => Promise<SigningIdentity>;

export function createUnitSigner(ctx: AppContext, certs: { onChange(cb: () => void): void }): UnitSigner {
  let identities = new Map<string, { identity: Promise<SigningIdentity>; refusedAt?: number }>();
  certs.onChange(() => {
    identities = new Map();
  });
  return (unit) => {
    const cached = identities.get(unit);
    if (cached && (cached.refusedAt === undefined || Date.now() - cached.refusedAt < REFUSAL_TTL_MS)) return cached.identity;
    const entry: { identity: Promise<SigningIdentity>; refusedAt?: number } = { identity: signingIdentity(ctx, unit) };
    entry.identity.catch(() => {
      entry.refusedAt = Date.now();
    });
    identities.set(unit, entry);
    return entry.identity;
  };
}
