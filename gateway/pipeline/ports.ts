/**
 * What the request pipeline needs from the rest of the gateway, as small interfaces. The
 * pipeline depends on these shapes only, so each stage can be read and tested on its own:
 * keys (gateway/keys), abuse protection (gateway/ratelimit), unit re-mapping and signing
 * (adapters/national, certs), delivery (gateway/delivery), audit (gateway/audit).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Operation, PresentedCredentials, VendorId } from '../../adapters/types.js';

export type { KeyIdentity } from '../keys/types.js';
import type { KeyIdentity, KeyLimits } from '../keys/types.js';

/** What a key check is asked: through which front, for which operation ('*' = any: whoami). */
export interface KeyUse {
  front: VendorId | '*';
  operation: Operation | '*';
}

export interface KeyCheck {
  /** Checks presented credentials (connection key, or a bearer token issued by POST /token). */
  validate(presented: PresentedCredentials, peer: { serial: string; subject: string }, use: KeyUse): KeyIdentity;
  touch(keyId: string): void;
}

/**
 * Refusals that look like guessing (a key id or secret that does not match) count towards the
 * lockout; a genuine key that is suspended, cancelled, expired or used on the wrong front does
 * not, so an installation retrying after its key was suspended is not locked out once the key is
 * active again.
 */
const GUESS_REASONS = new Set(['missing_key', 'malformed_key', 'unknown_key', 'bad_secret', 'bad_token']);
export function isGuess(err: unknown): boolean {
  const reason = (err as { internalReason?: string })?.internalReason;
  return (err as { code?: string })?.code === 'KHOA_KET_NOI_KHONG_HOP_LE' && (reason === undefined || GUESS_REASONS.has(reason));
}

export interface ClientRef {
  certSerial?: string;
  remoteAddress: string;
}

export interface AbuseGuard {
  assertNotLockedOut(client: ClientRef): Promise<void>;
  /** Counts a guess towards the lockout (what it led to is the limiter's business). */
  noteInvalidKey(client: ClientRef): Promise<unknown>;
  consume(args: { keyId: string; unitCode: string; records: number; overrides?: KeyLimits | null }): Promise<void>;
  acquireSlot(keyId: string, max?: number | null): () => void;
}

/** Revocations as the certificate watcher (certs/watch.ts) knows them. */
export interface CertStatus {
  isRevoked(serial: string): boolean;
  onChange(cb: () => void): void;
}

/** Headers the gateway sets towards the central database on a pass-through (never the caller's credentials). */
export interface ProxyHeaders {
  unitCode: string;
  softwareId: string;
  requestId: string;
}

/** The JSON pass-through to the central database's read paths (dataplane/passthrough.ts). */
export type PassThrough = (req: IncomingMessage, res: ServerResponse, headers: ProxyHeaders) => Promise<void>;

import type { ParsedRecord, ParsedUnit } from '../../adapters/types.js';

export type { PreparedRecord, PreparedUnit } from '../../adapters/national/prepare.js';
import type { PreparedRecord, PreparedUnit } from '../../adapters/national/prepare.js';

export interface Sender {
  softwareId: string;
  /** The sending unit as presented (may be a pre-2025 code). */
  unitCode: string;
  /** The connection key's unit: every record's unit must be it or lie below it. */
  keyUnitCode: string;
  front: string;
}

/** Re-map units, add provenance, validate, sign (adapters/national + certs). */
export interface RecordPreparer {
  prepareRecords(parsed: ParsedRecord[], sender: Sender): Promise<PreparedRecord[]>;
  prepareUnit(parsed: ParsedUnit, sender: Sender): Promise<PreparedUnit>;
  /** The sending unit's current code (re-mapped), used as X-Ma-Don-Vi towards the central database. */
  currentUnitCode(code: string): string;
}
