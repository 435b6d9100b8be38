/**
 * The gateway's own identities (CA, server certificates, its client identity towards the
 * central database, signing identities): certificate + encrypted private key in the store
 * table `pki_identities`, so every instance sharing the store uses the same CA and the same
 * server certificate. Each identity is mirrored under <dataDir>/pki/ for operators (public
 * certificates in clear, private keys only in encrypted form).
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Config } from '../config/config.js';
import type { DB } from '../core/store/schema.js';
import { decryptPrivateKey, encryptPrivateKey } from './secrets.js';
import { parseNodeCert, x509 } from './x509.js';
import { normalizeSerial } from '../core/serial.js';

export type IdentityName =
  | 'root-ca'
  | 'issuing-ca'
  | 'server:dataplane'
  | 'server:admin'
  | 'server:central-sim'
  | 'central-client'
  | 'audit'
  | `signing:${string}`;

export interface StoredIdentity {
  name: string;
  serial: string;
  certPem: string;
  /** Encrypted PKCS#8 PEM, as stored. */
  encryptedKeyPem: string;
  createdAt: number;
}

export interface OpenIdentity extends StoredIdentity {
  cert: x509.X509Certificate;
  privateKey: KeyObject;
}

type KeyConfig = Pick<Config, 'masterKey' | 'dataDir'>;

export async function readIdentity(db: Kysely<DB>, name: IdentityName): Promise<StoredIdentity | undefined> {
  const row = await db.selectFrom('pki_identities').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) return undefined;
  return { name: row.name, serial: row.serial, certPem: row.cert_pem, encryptedKeyPem: row.key_pem, createdAt: Number(row.created_at) };
}

export function openIdentity(stored: StoredIdentity, config: KeyConfig): OpenIdentity {
  return { ...stored, cert: new x509.X509Certificate(stored.certPem), privateKey: decryptPrivateKey(stored.encryptedKeyPem, config) };
}

export async function loadIdentity(db: Kysely<DB>, config: KeyConfig, name: IdentityName): Promise<OpenIdentity | undefined> {
  const stored = await readIdentity(db, name);
  return stored ? openIdentity(stored, config) : undefined;
}

/** Inserts or replaces an identity (the private key is encrypted here, never stored in clear). */
export async function saveIdentity(db: Kysely<DB>, config: KeyConfig, name: IdentityName, certPem: string, privateKey: KeyObject): Promise<StoredIdentity> {
  const at = Date.now();
  const serial = normalizeSerial(parseNodeCert(certPem).serialNumber);
  const encryptedKeyPem = encryptPrivateKey(privateKey, config);
  const existing = await db.selectFrom('pki_identities').select('name').where('name', '=', name).executeTakeFirst();
  if (existing) {
    await db.updateTable('pki_identities').set({ serial, cert_pem: certPem, key_pem: encryptedKeyPem, updated_at: at }).where('name', '=', name).execute();
  } else {
    await db.insertInto('pki_identities').values({ name, serial, cert_pem: certPem, key_pem: encryptedKeyPem, created_at: at, updated_at: at }).execute();
  }
  return { name, serial, certPem, encryptedKeyPem, createdAt: at };
}

export function pkiDir(dataDir: string): string {
  return path.join(dataDir, 'pki');
}

/** File names of an identity's mirror: `server:dataplane` → server-dataplane.cert.pem / .key.pem. */
export function identityFiles(dataDir: string, name: string): { certFile: string; keyFile: string } {
  const base = name.replace(/[^A-Za-z0-9._-]/g, '-');
  return { certFile: path.join(pkiDir(dataDir), `${base}.cert.pem`), keyFile: path.join(pkiDir(dataDir), `${base}.key.pem`) };
}

/** Writes `content` only when it differs, with `mode`; keeps restarts from touching files needlessly. */
export function writeIfChanged(file: string, content: string, mode: number): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return;
  // Write-then-rename: several worker processes start together and mirror the same identity;
  // a reader never sees half a file.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, file);
}

/** Mirrors one identity: certificate (+ chain) world-readable, encrypted key owner-only. */
export function mirrorIdentity(dataDir: string, identity: StoredIdentity, chainPem = ''): { certFile: string; keyFile: string } {
  const files = identityFiles(dataDir, identity.name);
  writeIfChanged(files.certFile, identity.certPem + chainPem, 0o644);
  writeIfChanged(files.keyFile, identity.encryptedKeyPem, 0o600);
  return files;
}
