/**
 * The hash chain and checkpoint statements, in one place, with no dependency on the store or
 * the configuration: the same code runs inside the gateway (`verifyChain`) and in an auditor's
 * offline `verify-bundle`, so both compute exactly the same bytes.
 *
 * Entry hash = SHA-256( "ndxp-audit-entry/1\n" + prev_hash + "\n" + canonical JSON of the hashed
 * fields ). The hashed fields are every column except `hash` itself and the encrypted bodies:
 * the bodies are bound to the entry through the hashed `request_sha256`/`response_sha256` (a
 * decrypted body that does not match its digest is reported as tampered), which keeps export
 * bundles verifiable without shipping anyone's encrypted bodies. `seq` is hashed, so moving an
 * entry to another position breaks its hash.
 */
import { X509Certificate, createHash, createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** Columns covered by the entry hash, in canonical (alphabetical) order. */
export const HASHED_FIELDS = [
  'actor',
  'at',
  'body_retention',
  'cert_serial',
  'cert_subject',
  'code',
  'details',
  'front',
  'key_id',
  'kind',
  'latency_ms',
  'node',
  'operation',
  'outcome',
  'personal_id_digests',
  'personal_ids_masked',
  'remote_address',
  'request_bytes',
  'request_id',
  'request_sha256',
  'response_bytes',
  'response_sha256',
  'seq',
  'software_id',
  'target',
  'tracking_ids',
  'unit_code',
] as const;

export type HashedField = (typeof HASHED_FIELDS)[number];

/** An entry as the chain sees it: hashed fields, prev_hash and hash. Values are strings, numbers or null. */
export type ChainEntry = { [K in HashedField]: string | number | null } & { prev_hash: string; hash: string };

function normalise(value: unknown): string | number | null {
  if (value === undefined || value === null) return null;
  // PostgreSQL bigint may arrive as string if a type parser is missing; compare as numbers.
  if (typeof value === 'bigint') return Number(value);
  return value as string | number;
}

const NUMERIC = new Set<string>(['seq', 'at', 'latency_ms', 'request_bytes', 'response_bytes']);
const KEY_PREFIXES = HASHED_FIELDS.map((f) => `${JSON.stringify(f)}:`);

/** The exact text hashed for an entry (also what a third-party verifier re-implements). */
export function canonicalEntry(entry: Record<string, unknown>): string {
  let out = '{';
  for (let i = 0; i < HASHED_FIELDS.length; i++) {
    const f = HASHED_FIELDS[i];
    let v = normalise(entry[f]);
    if (typeof v === 'string' && NUMERIC.has(f)) v = Number(v);
    out += (i ? ',' : '') + KEY_PREFIXES[i] + (v === null ? 'null' : typeof v === 'number' ? JSON.stringify(v) : JSON.stringify(v));
  }
  return out + '}';
}

export function entryHash(entry: Record<string, unknown>, prevHash: string): string {
  return createHash('sha256').update(`ndxp-audit-entry/1\n${prevHash}\n`).update(canonicalEntry(entry)).digest('hex');
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

export interface CheckpointStatement {
  seq: number;
  at: number;
  entry_count: number;
  chain_hash: string;
  node: string;
}

export interface CheckpointRecord extends CheckpointStatement {
  alg: string;
  signature: string;
  cert_der: string;
}

/** What a checkpoint signature covers. */
export function checkpointPayload(c: CheckpointStatement): Buffer {
  return Buffer.from(`ndxp-audit-checkpoint/1\nseq=${c.seq}\nat=${c.at}\nentries=${c.entry_count}\nchain=${c.chain_hash}\nnode=${c.node}\n`, 'utf8');
}

/** The signing identity shape `auditSigningIdentity(ctx)` (certs/material.ts) returns. */
export interface AuditSigningIdentity {
  alg: 'RS256' | 'ES256';
  certDerBase64: string;
  privateKey: KeyObject;
}

export function signPayload(identity: AuditSigningIdentity, payload: Buffer): string {
  const sig =
    identity.alg === 'ES256'
      ? cryptoSign('sha256', payload, { key: identity.privateKey, dsaEncoding: 'ieee-p1363' })
      : cryptoSign('sha256', payload, identity.privateKey);
  return sig.toString('base64');
}

/** Verifies a signature made by signPayload with the certificate's public key. */
export function verifyPayload(alg: string, certDerBase64: string, payload: Buffer, signatureBase64: string): boolean {
  try {
    const cert = new X509Certificate(Buffer.from(certDerBase64, 'base64'));
    const key = createPublicKey(cert.publicKey.export({ type: 'spki', format: 'pem' }));
    const sig = Buffer.from(signatureBase64, 'base64');
    if (alg === 'ES256') return cryptoVerify('sha256', payload, { key, dsaEncoding: 'ieee-p1363' }, sig);
    if (alg === 'RS256') return cryptoVerify('sha256', payload, key, sig);
    return false;
  } catch {
    return false;
  }
}

export function signCheckpoint(identity: AuditSigningIdentity, statement: CheckpointStatement): CheckpointRecord {
  return { ...statement, alg: identity.alg, signature: signPayload(identity, checkpointPayload(statement)), cert_der: identity.certDerBase64 };
}

export function verifyCheckpointSignature(c: CheckpointRecord): boolean {
  return verifyPayload(c.alg, c.cert_der, checkpointPayload(c), c.signature);
}

/** SHA-256 fingerprint (hex, uppercase, colon-free) of a DER certificate given as base64. */
export function certFingerprint(certDerBase64: string): string {
  return sha256Hex(Buffer.from(certDerBase64, 'base64')).toUpperCase();
}
