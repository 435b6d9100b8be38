/**
 * What the trail does to sensitive values before they reach the store:
 * - personal ids: kept masked (last 4 digits visible) plus a keyed HMAC-SHA256 digest of the
 *   full id, so an auditor who types the full id finds its entries while a copy of the database
 *   does not reveal ids (an unkeyed hash of a 12-digit CCCD would fall to brute force in hours).
 *   The HMAC key is derived (HKDF) from the gateway master key (certs/secrets.ts), which every
 *   node sharing one store already must share.
 * - full bodies: AES-256-GCM with the first key of `config.audit.encryptionKeys`; the key id
 *   (first 8 bytes of SHA-256 of the key, hex) travels with the ciphertext so any configured key
 *   decrypts, and rotation is "put the new key first, keep the old ones after it".
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { deriveSecret, type MasterKeySettings } from '../../core/secrets.js';

export function maskPersonalId(id: string): string {
  const s = id.trim();
  if (s.length <= 4) return '*'.repeat(s.length);
  return '*'.repeat(s.length - 4) + s.slice(-4);
}

/** Whitespace is not part of an id; digests must match however the id was typed. */
export function normalisePersonalId(id: string): string {
  return id.replace(/\s+/g, '');
}

export type PersonalIdDigester = (id: string) => string;

export function personalIdDigester(config: MasterKeySettings): PersonalIdDigester {
  // One key object for every digest: given as a Buffer, each HMAC would import the key again.
  const key = createSecretKey(deriveSecret(config, 'audit-personal-id/v1'));
  return (id) => createHmac('sha256', key).update(normalisePersonalId(id), 'utf8').digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Body encryption

export interface BodyKey {
  id: string;
  key: Buffer;
}

export class AuditKeyError extends Error {
  readonly code = 'KHOA_MA_HOA_NHAT_KY_KHONG_HOP_LE';
  constructor(message: string) {
    super(`${message} (KHOA_MA_HOA_NHAT_KY_KHONG_HOP_LE)`);
    this.name = 'AuditKeyError';
  }
}

/** Parses `config.audit.encryptionKeys` (base64, 32 bytes each, newest first). */
export function parseBodyKeys(encoded: string[]): BodyKey[] {
  return encoded.map((b64, i) => {
    const key = Buffer.from(b64, 'base64');
    if (key.length !== 32) throw new AuditKeyError(`Khóa mã hóa nhật ký thứ ${i + 1} (audit.encryptionKeys) phải là 32 byte mã hóa base64`);
    return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
  });
}

/** A fresh key, base64, for `audit.encryptionKeys`. */
export function generateBodyKey(): string {
  return randomBytes(32).toString('base64');
}

/**
 * `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts). The AAD names the part and the
 * plaintext digest that the hashed entry carries, so a ciphertext cannot be moved to another
 * entry or swapped between request and response without decryption failing.
 */
export function encryptBody(key: BodyKey, plain: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  const tag = cipher.getAuthTag();
  return ['v1', key.id, iv.toString('base64url'), tag.toString('base64url'), ct.toString('base64url')].join('.');
}

export function bodyKeyId(sealed: string): string | undefined {
  const parts = sealed.split('.');
  return parts[0] === 'v1' ? parts[1] : undefined;
}

export function decryptBody(keys: BodyKey[], sealed: string, aad: string): Buffer {
  const [version, keyId, iv, tag, ct] = sealed.split('.');
  if (version !== 'v1' || !keyId || iv === undefined || tag === undefined || ct === undefined) throw new AuditKeyError('Nội dung mã hóa không đúng định dạng');
  const key = keys.find((k) => k.id === keyId);
  if (!key) throw new AuditKeyError(`Không có khóa ${keyId} trong audit.encryptionKeys để giải mã nội dung này`);
  const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
  } catch {
    throw new AuditKeyError('Giải mã thất bại: nội dung đã bị thay đổi hoặc sai khóa');
  }
}

export function bodyAad(part: 'request' | 'response', sha256: string): string {
  return `ndxp-audit-body/1:${part}:${sha256}`;
}
