/**
 * Connection key tokens: `<keyId>.<secret>`.
 *
 * - keyId: "KN" + 12 base32 characters (60 random bits). Public: it appears in listings, logs,
 *   the audit trail and metrics, so an admin can name a key without knowing its secret.
 * - secret: 32 random bytes, base64url (43 characters). Shown once, at create or rotate.
 *
 * The store keeps `v1$` + base64url(HMAC-SHA256(pepper, SHA-256(secret))):
 * - Why no slow KDF (bcrypt, scrypt, Argon2): those exist to make guessing LOW-entropy
 *   passwords expensive. Our secrets carry 256 random bits; no amount of hashing speed makes
 *   2^256 guesses feasible, while a deliberately slow hash on every data-plane request would
 *   cost milliseconds of CPU per call and hand attackers a cheap denial of service.
 * - Why a pepper: the Ministry's imported keys may carry secrets we did not generate and whose
 *   entropy we cannot vouch for. The pepper is derived from the deployment's master key
 *   (NDXP_MASTER_KEY, or the data directory's generated key file), which does not live in the
 *   store, so a leaked database dump alone does not let anyone test guesses offline.
 * - Why hash SHA-256(secret) rather than the secret: the Ministry's list may give only the
 *   SHA-256 of a secret (never the secret); we can then compute the stored hash without it.
 * Comparison is constant-time (timingSafeEqual) on equal-length digests.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { deriveSecret, type MasterKeySettings } from '../../core/secrets.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const KEY_ID_PREFIX = 'KN';
const HASH_VERSION = 'v1';

/** Key ids we issue, and those the Ministry's list may carry (no dot: the dot ends the id). */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{3,64}$/;
/** Longest token we even look at; anything longer is malformed, not hashed. */
const MAX_TOKEN_LENGTH = 512;
/** Minimum length of a secret given in clear by an import (ours are 43). */
export const MIN_IMPORTED_SECRET_LENGTH = 16;

export function generateKeyId(): string {
  const bytes = randomBytes(12);
  let id = KEY_ID_PREFIX;
  for (let i = 0; i < 12; i++) id += BASE32[bytes[i] & 31];
  return id;
}

export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function formatToken(keyId: string, secret: string): string {
  return `${keyId}.${secret}`;
}

/**
 * Splits a presented token. `keyId` is set only when the text before the first dot looks like a
 * key id; the validator then also tries the whole text as a bare secret (some imported keys are
 * configured without their id).
 */
export function parseToken(presented: string): { keyId?: string; secret: string } | undefined {
  const text = presented.trim();
  if (text.length === 0 || text.length > MAX_TOKEN_LENGTH || /[\s\u0000-\u001f]/.test(text)) return undefined;
  const dot = text.indexOf('.');
  if (dot > 0) {
    const keyId = text.slice(0, dot);
    const secret = text.slice(dot + 1);
    if (KEY_ID_PATTERN.test(keyId) && secret.length > 0) return { keyId, secret };
  }
  return { secret: text };
}

/** The deployment's pepper: HKDF of the master key, bound to this one purpose. */
export function derivePepper(config: MasterKeySettings): Buffer {
  return deriveSecret(config, 'connection-key-pepper/v1');
}

export function sha256(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Stored form from SHA-256(secret) bytes. */
export function hashFromDigest(pepper: Buffer, digest: Buffer): string {
  return `${HASH_VERSION}$${createHmac('sha256', pepper).update(digest).digest('base64url')}`;
}

export function hashSecret(pepper: Buffer, secret: string): string {
  return hashFromDigest(pepper, sha256(secret));
}

/** Constant-time check of a presented secret against a stored hash. */
export function verifySecret(pepper: Buffer, secret: string, stored: string): boolean {
  return hashesEqual(hashSecret(pepper, secret), stored);
}

export function hashesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  // Lengths of stored hashes are public (fixed by the format); only content must not leak.
  if (x.length !== y.length) return false;
  return timingSafeEqual(x, y);
}

/**
 * A fingerprint of the pepper kept in the store, so an instance started with a different master
 * key (every key would then look "bad_secret") says so loudly instead of silently refusing all.
 */
export function pepperFingerprint(pepper: Buffer): string {
  return createHmac('sha256', pepper).update('ndxp-keys-pepper-fingerprint').digest('base64url').slice(0, 22);
}
export const PEPPER_SETTING = 'keys.pepper_fingerprint';
