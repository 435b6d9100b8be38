/**
 * Identifiers the gateway hands out. Tracking ids sort by time (so operators can read age from
 * them and the outbox index stays append-mostly) and carry 64 random bits.
 *
 * Identifiers callers hand in (tracking ids they ask about, their own record and batch ids) are
 * echoed in answers and kept in the audit trail, so they are bounded here: a value that cannot
 * be an id is never echoed or stored at full length.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

export const newRequestId = (): string => randomUUID();

export function newTrackingId(): string {
  return `TD${Date.now().toString(36).toUpperCase().padStart(9, '0')}${randomBytes(8).toString('hex').toUpperCase()}`;
}

/** `TD` + time (base 36, 9 characters until the year 5188) + 16 hex digits, as newTrackingId makes them. */
const TRACKING_ID = /^TD[0-9A-Z]{9}[0-9A-F]{16}$/;

/** Whether a caller's string can be a tracking id this gateway issued (anything else is not looked up). */
export function isTrackingId(value: string): boolean {
  return TRACKING_ID.test(value);
}

/** Longest identifier a caller may give for its own records and batches (vendor B employee/@id, batchId, vendor A SoHieuCanBo). */
export const MAX_CALLER_ID_LENGTH = 64;

/** A caller's value as it may be echoed: itself when short, else its first characters and an ellipsis. */
export function echoPreview(value: string, max = 40): string {
  // Never cut a surrogate pair in half: the result goes into XML and JSON answers.
  return value.length <= max ? value : `${value.slice(0, max - 1).replace(/[\uD800-\uDBFF]$/, '')}…`;
}

/** A long list as the audit trail keeps it: how many, and a SHA-256 over the items (one per line). */
export function listDigest(items: readonly string[]): { count: number; sha256: string } {
  const h = createHash('sha256');
  for (const item of items) h.update(item).update('\n');
  return { count: items.length, sha256: h.digest('hex') };
}
