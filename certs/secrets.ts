/**
 * Private keys at rest. Every private key the gateway keeps (CA keys, server keys, its own
 * client and signing identities) is stored as encrypted PKCS#8 PEM (PBES2, AES-256-CBC), in the
 * store and mirrored under <dataDir>/pki/. The passphrase is derived from the deployment's
 * master key (core/secrets.ts): the SQLite file, a PostgreSQL backup or an exported pki/ folder
 * are useless without it.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { deriveSecret, MasterKeyError, type MasterKeySettings } from '../core/secrets.js';

const passphraseCache = new Map<string, string>();

/** The passphrase protecting private keys at rest (base64 of 32 HKDF-SHA256 bytes). */
export function privateKeyPassphrase(config: MasterKeySettings): string {
  const cacheKey = config.masterKey ? `m:${config.masterKey}` : `f:${config.dataDir}`;
  const cached = passphraseCache.get(cacheKey);
  if (cached) return cached;
  const derived = deriveSecret(config, 'private-keys-at-rest/v1').toString('base64');
  passphraseCache.set(cacheKey, derived);
  return derived;
}

/** Encrypted PKCS#8 PEM ("BEGIN ENCRYPTED PRIVATE KEY") for storage. */
export function encryptPrivateKey(key: KeyObject, config: MasterKeySettings): string {
  return key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: privateKeyPassphrase(config) }) as string;
}

/** Opens a stored key. A wrong master key is reported as such, never as a generic crypto error. */
export function decryptPrivateKey(pem: string, config: MasterKeySettings): KeyObject {
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
