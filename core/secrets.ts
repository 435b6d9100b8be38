/**
 * The deployment's master key and the one way secrets are derived from it.
 *
 * - `config.masterKey` (NDXP_MASTER_KEY) when set. Production should set it from a secret
 *   manager: then neither a copy of the data directory nor a dump of the PostgreSQL database
 *   reveals a secret. Every gateway instance sharing one store must use the same master key.
 * - otherwise a random key generated once into `<dataDir>/masterKey` (mode 0600, owner only).
 *   This keeps the "start on embedded defaults" promise (no secret to invent before the first
 *   start) while still never writing a key in clear.
 *
 * The master key is never used directly: `deriveSecret(config, purpose)` derives 32 bytes with
 * HKDF-SHA256 bound to one purpose, so no two uses ever share a key.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.js';

export type MasterKeySettings = Pick<Config, 'masterKey' | 'dataDir'>;

export const MASTER_KEY_FILE = 'masterKey';

/** The master key file path for a data directory. */
export function masterKeyFile(dataDir: string): string {
  return path.join(dataDir, MASTER_KEY_FILE);
}

/** Master key bytes: config.masterKey, or the data directory's generated key file (created on first use). */
export function masterKey(config: MasterKeySettings): Buffer {
  if (config.masterKey) return Buffer.from(config.masterKey, 'utf8');
  const file = masterKeyFile(config.dataDir);
  mkdirSync(config.dataDir, { recursive: true });
  try {
    // 'wx': exactly one process creates it, even when several start together on a new data dir.
    writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const value = readFileSync(file, 'utf8').trim();
  if (value.length < 32) throw new MasterKeyError(`Tệp khóa chủ ${file} bị hỏng hoặc quá ngắn`);
  // Tighten permissions if an operator copied the file in with a looser mode.
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch {
    /* read-only volume: the key still works */
  }
  return Buffer.from(value, 'utf8');
}

export class MasterKeyError extends Error {
  readonly code = 'KHOA_CHU_KHONG_HOP_LE';
  constructor(message: string) {
    super(`${message} (KHOA_CHU_KHONG_HOP_LE)`);
    this.name = 'MasterKeyError';
  }
}

/** Every purpose a secret is derived for. */
export type SecretPurpose =
  | 'private-keys-at-rest/v1'
  | 'audit-personal-id/v1'
  | 'connection-key-pepper/v1'
  | 'central-token'
  | 'access-token';

/**
 * HKDF parameters per purpose. The convention is salt "ndxp-gateway" and the purpose as info;
 * the two older purposes keep the parameters they were first derived with, so tokens and
 * stand-in credentials derived before stay byte-identical.
 */
function hkdfParameters(purpose: SecretPurpose): { salt: string; info: string } {
  switch (purpose) {
    case 'central-token':
    case 'access-token':
      return { salt: '', info: `ndxp:${purpose}` };
    default:
      return { salt: 'ndxp-gateway', info: purpose };
  }
}

/** 32 bytes for one purpose, derived from the deployment's master key (same on every node). */
export function deriveSecret(config: MasterKeySettings, purpose: SecretPurpose): Buffer {
  const { salt, info } = hkdfParameters(purpose);
  return Buffer.from(hkdfSync('sha256', masterKey(config), salt, info, 32));
}
