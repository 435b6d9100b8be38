/**
 * Idempotency keys for writes to the central database. The key is derived from the record's
 * identity, its version and a digest of the exact signed body, so:
 *  - every resend of the same outbox row (our retries, a replay, another gateway process) carries
 *    the same key and the central database answers the first result again instead of writing;
 *  - a legacy client resending the same record gets the same key only if the body is byte-for-byte
 *    the same; a re-signed copy (new signature, same ngayCapNhat) gets a new key, which the central
 *    database treats as an equal version (200 KHONG_DOI) rather than 422 KHOA_TRUNG.
 */
import { createHash } from 'node:crypto';

/** Stable JSON: object keys sorted, no whitespace (enough for digesting; RFC 8785 number forms are what JSON.stringify gives for our data). */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stableJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

const b64url = (buf: Buffer): string => buf.toString('base64url');

/** Key of one record write: 43 base64url characters (SHA-256), within the contract's 16..128. */
export function recordIdempotencyKey(kind: 'profile' | 'unit', subjectId: string, version: string, body: unknown): string {
  const bodyDigest = createHash('sha256').update(stableJson(body)).digest();
  return b64url(createHash('sha256').update(`ndxp/1\n${kind}\n${subjectId}\n${version}\n`).update(bodyDigest).digest());
}

/** Key of a batch call: derived from its members' keys in order, so the same batch resent is the same call. */
export function batchIdempotencyKey(memberKeys: string[]): string {
  return b64url(createHash('sha256').update(`ndxp/1\nbatch\n${memberKeys.join('\n')}`).digest());
}

/** ngayCapNhat → epoch ms for ordering; 0 when absent or unparseable (then the central database decides). */
export function versionMillis(version: string | undefined): number {
  if (!version) return 0;
  const ms = Date.parse(version);
  return Number.isFinite(ms) ? ms : 0;
}
