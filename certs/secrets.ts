/**
 * Private keys at rest. Every private key the gateway keeps (CA keys, server keys, its own
 * client and signing identities) is stored as encrypted PKCS#8 PEM (PBES2, AES-256-CBC), in the
 * store and mirrored under <dataDir>/pki/. The passphrase is derived from a master key:
 *
 * - `config.masterKey` (NDXP_MASTER_KEY) when set. Production should set it from a secret
 *   manager: then neither a copy of the data directory nor a dump of the PostgreSQL database
 *   reveals a single private key. Every gateway instance sharing one store must use the same
 *   master key, since they share the CA.
 * - otherwise a random key generated once into `<dataDir>/masterKey` (mode 0600, owner only).
 *   This keeps the "start on embedded defaults" promise (no secret to invent before the first
 *   start) while still never writing a key in clear: the SQLite file, a PostgreSQL backup or an
 *   exported pki/ folder are useless without this separate file.
 *
 * The master key is not used directly: HKDF derives a purpose-bound passphrase from it, so the
 * same master key can later protect other secrets without ever reusing one derived key.
 */
import { createPrivateKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.js';

export const MASTER_KEY_FILE = 'masterKey';

/** The master key file path for a data directory. */
export function masterKeyFile(dataDir: string): string {
  return path.join(dataDir, MASTER_KEY_FILE);
}

/** Master key bytes: config.masterKey, or the data directory's generated key file (created on first use). */
export function masterKey(config: Pick<Config, 'masterKey' | 'dataDir'>): Buffer {
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

const passphraseCache = new Map<string, string>();

/** The passphrase protecting private keys at rest (base64 of 32 HKDF-SHA256 bytes). */
export function privateKeyPassphrase(config: Pick<Config, 'masterKey' | 'dataDir'>): string {
  const cacheKey = config.masterKey ? `m:${config.masterKey}` : `f:${config.dataDir}`;
  const cached = passphraseCache.get(cacheKey);
  if (cached) return cached;
  const derived = Buffer.from(hkdfSync('sha256', masterKey(config), 'ndxp-gateway', 'private-keys-at-rest/v1', 32)).toString('base64');
  passphraseCache.set(cacheKey, derived);
  return derived;
}

/** Encrypted PKCS#8 PEM ("BEGIN ENCRYPTED PRIVATE KEY") for storage. */
export function encryptPrivateKey(key: KeyObject, config: Pick<Config, 'masterKey' | 'dataDir'>): string {
  return key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: privateKeyPassphrase(config) }) as string;
}

/** Opens a stored key. A wrong master key is reported as such, never as a generic crypto error. */
export function decryptPrivateKey(pem: string, config: Pick<Config, 'masterKey' | 'dataDir'>): KeyObject {
  if (!pem.includes('BEGIN ENCRYPTED PRIVATE KEY')) {
    throw new MasterKeyError('Khóa bí mật lưu trữ không được mã hóa; từ chối sử dụng');
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase: privateKeyPassphrase(config) });
  } catch {
    throw new MasterKeyError(
      'Không giải mã được khóa bí mật đã lưu: khóa chủ (NDXP_MASTER_KEY hoặc tệp masterKey trong thư mục dữ liệu) không khớp với khóa đã dùng khi tạo. Mọi phiên bản cổng dùng chung CSDL phải dùng cùng một khóa chủ',
    );
  }
}

/** Unencrypted PKCS#8 PEM, for handing to TLS in memory or to an operator who asked for a bundle. */
export function plainPrivateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}
