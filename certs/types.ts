/** Shared types of the certificates area. */
import type { AdminRole } from '../core/admin-module.js';
import { OperatorError, type ErrorCode } from '../core/errors.js';

export type CertKind = 'ca' | 'server' | 'client' | 'admin' | 'signing' | 'central-client' | 'audit';
/** Kinds an operator (CLI, admin API) may ask issueCertificate for. */
export type IssuableKind = 'client' | 'admin' | 'signing' | 'server' | 'central-client' | 'audit';

export interface IssueRequest {
  kind: IssuableKind;
  /** Client: software id; admin: the person's name; server: main host name. */
  cn: string;
  /** Unit code (mã định danh đơn vị): required for client and signing certificates. */
  unit?: string;
  /** Admin certificates: network-admin | auditor. */
  role?: AdminRole;
  /** Validity in days (default per kind). */
  days?: number;
  /** Server certificates: DNS names / IP addresses. */
  sans?: string[];
  /** Write cert/key/CA (and .p12) files into this directory. */
  outDir?: string;
  /** Also write a PKCS#12 bundle protected by this password (requires outDir to produce a file; the bytes are returned either way). */
  p12Password?: string;
  /** PKCS#12 encryption: '3des' (default; every Windows/.NET/Java version imports it) or 'aes256' (modern only). */
  p12Cipher?: '3des' | 'aes256';
  /** Write the key file encrypted (PKCS#8, AES-256-CBC) under this password instead of in clear. */
  keyPassword?: string;
  /** Explicit validity window; for back-dated or post-dated certificates (migration, tests). */
  notBefore?: Date;
  notAfter?: Date;
}

export interface IssuedCertificate {
  serial: string;
  subject: string;
  /** ISO 8601. */
  notAfter: string;
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  p12File?: string;
  certPem: string;
  /** Unencrypted PKCS#8 PEM, in memory only: never stored, never logged. */
  keyPem: string;
  /** CA chain for this certificate: issuing CA then root, PEM. */
  chainPem: string;
  /** PKCS#12 bytes when p12Password was given. */
  p12?: Buffer;
}

/** What the watcher and listings know of one certificate. */
export interface CertificateInfo {
  serial: string;
  kind: CertKind;
  subject: string;
  cn: string;
  unit?: string;
  role?: AdminRole;
  status: 'active' | 'revoked';
  notBefore: number;
  notAfter: number;
  revokedAt?: number;
  revocationReason?: RevocationReason;
  fingerprintSha256: string;
}

/** RFC 5280 §5.3.1 CRLReason names (certificateHold is deliberately absent: revocation here is final). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export function isRevocationReason(value: string): value is RevocationReason {
  return Object.prototype.hasOwnProperty.call(REVOCATION_REASONS, value);
}

/** A certificate problem an operator made (bad request); the CLI maps it to exit 1, the admin API to its catalogue status. */
export class CertError extends OperatorError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.name = 'CertError';
  }
}

/** A CA certificate trusted besides the gateway's own (admin `/certs/trust-anchors`, `ndxp certs trust`). */
export interface TrustAnchor {
  fingerprintSha256: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  selfSigned: boolean;
  addedAt: string;
  addedBy: string;
  pem: string;
}
