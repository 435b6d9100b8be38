/**
 * Vocabulary of connection keys shared by the service, the validator, the CLI and the admin API.
 * The vendors themselves (and the operations each allows) come from adapters/registry.ts.
 */
import type { Config } from '../../config/config.js';
import type { Operation, VendorId } from '../../adapters/types.js';

export const ENCODINGS = ['unicode', 'tcvn3'] as const;
export type KeyEncoding = (typeof ENCODINGS)[number];

export const KEY_STATUSES = ['active', 'suspended', 'cancelled'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

export const BODY_RETENTIONS = ['off', 'metadata', 'full'] as const;
export type BodyRetention = (typeof BODY_RETENTIONS)[number];

/**
 * Every operation, in the order stored lists keep. Which vendors exist and what each one's
 * protocol can ask for is the front registry's (adapters/registry.ts: vendorIds, operationsOf).
 */
export const OPERATIONS: readonly Operation[] = ['submitProfiles', 'upsertUnit', 'status', 'read'];

/** Per-key overrides of the deployment's rate limits (gateway/ratelimit reads them). */
export type KeyLimits = Partial<Pick<Config['rateLimit'], 'requestsPerSecond' | 'recordsPerSecond' | 'burstSeconds' | 'concurrentPerKey'>>;
export const LIMIT_FIELDS = ['requestsPerSecond', 'recordsPerSecond', 'burstSeconds', 'concurrentPerKey'] as const;

/** What the pipeline learns about an authenticated caller's key (cached; do not mutate). */
export interface KeyIdentity {
  keyId: string;
  softwareId: string;
  unitCode: string;
  vendor: VendorId;
  encoding: KeyEncoding;
  operations: readonly Operation[];
  certSerial?: string;
  certSubject?: string;
  /** ISO 8601 instant after which the key no longer works. */
  expiresAt?: string;
  bodyRetention?: BodyRetention;
  limits?: KeyLimits;
}

/**
 * Why a key was refused. Only logs, metrics and the audit trail see this; the caller always
 * hears KHOA_KET_NOI_KHONG_HOP_LE, so nobody can probe which key ids exist or which check failed.
 */
export const KEY_REJECT_REASONS = [
  'missing_key',
  'malformed_key',
  'unknown_key',
  'bad_secret',
  'suspended',
  'cancelled',
  'expired',
  'cert_mismatch',
  'wrong_front',
  'software_mismatch',
  'operation_not_allowed',
] as const;
export type KeyRejectReason = (typeof KEY_REJECT_REASONS)[number];

/** A key as admins see it: everything but the secret (and its hash). */
export interface KeyView {
  keyId: string;
  softwareId: string;
  unitCode: string;
  vendor: string;
  encoding: string;
  operations: string[];
  /** True when the key allows every operation of its vendor, including ones added later. */
  allOperations: boolean;
  certSerial: string | null;
  certSubject: string | null;
  status: KeyStatus;
  statusReason: string | null;
  expiresAt: string | null;
  /** True when expiresAt has passed (status may still read active). */
  expired: boolean;
  contact: { name: string | null; agency: string | null; phone: string | null; email: string | null };
  bodyRetention: string | null;
  limits: KeyLimits | null;
  source: string;
  /** Until when the secret replaced by the last rotation keeps working; null when none does. */
  previousSecretValidUntil: string | null;
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
  cancelledAt: string | null;
}

/** Returned once, by create and rotate: the only time the secret is ever shown. */
export interface KeyWithSecret extends KeyView {
  /** The secret part alone. */
  secret: string;
  /** What the client software is configured with: "<keyId>.<secret>". */
  connectionKey: string;
}
