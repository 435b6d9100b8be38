/**
 * Shapes of the admin API's answers as the console reads them (see /openapi.json). Only what
 * the pages display; the gateway remains the authority on every field.
 */
export type Role = 'network-admin' | 'auditor';

export interface Caller {
  actor: string;
  role: Role;
  certSerial: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  code?: string;
}

export interface KeyView {
  keyId: string;
  softwareId: string;
  unitCode: string;
  vendor: string;
  encoding: string;
  operations: string[];
  allOperations: boolean;
  certSerial: string | null;
  certSubject: string | null;
  status: string;
  statusReason: string | null;
  expiresAt: string | null;
  expired: boolean;
  contact: { name: string | null; agency: string | null; phone: string | null; email: string | null };
  bodyRetention: string | null;
  limits: Record<string, number> | null;
  source: string;
  previousSecretValidUntil: string | null;
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
  cancelledAt: string | null;
}

export interface KeyWithSecret extends KeyView {
  secret: string;
  connectionKey: string;
}

export interface ImportReport {
  format: string;
  rows: number;
  created: number;
  updated: number;
  cancelled: number;
  unchanged: number;
  dryRun: boolean;
  applied: boolean;
  containsClearSecrets?: boolean;
  errors: { row?: number; line?: number; keyId?: string; field?: string; message: string }[];
  changes: { row: number; keyId: string; action: string; fields?: string[] }[];
}

export interface Lockout {
  id: string;
  kind: string;
  subject: string;
  level: number;
  failures: number;
  durationSeconds: number;
  lockedAt: string;
  lockedUntil: string;
  retryAfterSeconds: number;
  lastRemoteAddress?: string;
  source: string;
}

export interface Certificate {
  serial: string;
  kind: string;
  subject: string;
  cn: string;
  unit?: string;
  role?: string;
  status: string;
  state: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  expiryWarning: boolean;
  revokedAt?: string;
  revocationReason?: string;
  fingerprintSha256: string;
  createdAt: string;
  createdBy: string;
}

export interface IssuedCertificate {
  serial: string;
  subject: string;
  notAfter: string;
  certPem: string;
  chainPem: string;
  keyPem?: string;
  p12Base64?: string;
}

export interface TrustAnchor {
  fingerprintSha256: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  addedAt?: string;
  addedBy?: string;
}

export interface RemapRule {
  id: number;
  kind: string;
  maCu: string;
  maMoi: string;
  tuNgay: string;
  ghiChu?: string;
  createdAt: string;
  createdBy: string;
}

export interface Unit {
  maDinhDanh: string;
  ten: string;
  maDonViCha?: string;
  cap: number;
  hieuLucTu: string;
  hieuLucDen?: string;
  maCu?: string[];
}

export interface Breaker {
  node: string;
  state: 'closed' | 'open' | 'half-open';
  consecutiveFailures: number;
  openedAt?: number;
  probeAt?: number;
  lastError?: string;
  updatedAt: number;
  stale: boolean;
}

export interface QueueStatus {
  depth: Record<string, number>;
  waiting: number;
  oldestWaiting?: { trackingId: string; createdAt: string; ageSeconds: number };
  ratePerMinute: { last1: number; last5: number; last15: number };
  breakers: Breaker[];
  redis: { reachable: boolean; jobs?: Record<string, number>; code?: string; message?: string };
}

export interface DeadLetter {
  trackingId: string;
  kind: string;
  soDinhDanh?: string;
  maDinhDanh?: string;
  unitCode: string;
  attempts: number;
  reason: string;
  lastError?: string;
  httpStatus?: number;
  createdAt: string;
  deadSince: string;
}

export interface Series {
  buckets: number[];
  series: Record<string, number[]>;
}

export interface Overview {
  generatedAt: string;
  from: string;
  to: string;
  bucketMinutes: number;
  traffic: { perFront: Series; perUnit: Series; total: number };
  refusals: { code: string; count: number }[];
  latency: { buckets: number[]; p50: (number | null)[]; p95: (number | null)[]; p99: (number | null)[]; overall: { p50: number | null; p95: number | null; p99: number | null; samples: number } };
  queue: QueueStatus;
  deadLetters: { count: number; latest: DeadLetter[] };
  expiring: {
    withinDays: number;
    certificates: { serial: string; kind: string; cn: string; unit?: string; notAfter: string; daysLeft: number }[];
    keys: { keyId: string; softwareId: string; unitCode: string; expiresAt: string; daysLeft: number }[];
  };
  central: { reachable: boolean; checkedAt: string; latencyMs?: number; code?: string; message?: string; detail?: string };
}

export interface AuditEntry {
  seq: number;
  at: string;
  atMs: number;
  node: string;
  kind: string;
  requestId: string | null;
  trackingIds: string[];
  certSubject: string | null;
  certSerial: string | null;
  keyId: string | null;
  softwareId: string | null;
  unitCode: string | null;
  front: string | null;
  operation: string | null;
  personalIds: string[];
  outcome: string;
  code: string | null;
  latencyMs: number | null;
  requestBytes: number | null;
  responseBytes: number | null;
  actor: string | null;
  target: string | null;
  details: Record<string, unknown> | null;
  remoteAddress: string | null;
  bodyRetention: string;
  hasRequestBody: boolean;
  hasResponseBody: boolean;
  hash: string;
}

export interface ChainVerification {
  ok: boolean;
  problem?: { code?: string; message?: string; seq?: number };
  firstSeq?: number;
  lastSeq?: number;
  entries: number;
  checkpointsVerified: number;
  lastCheckpointSeq?: number;
  entriesAfterLastCheckpoint: number;
  headSeq: number;
  signers: { subject?: string; serial?: string }[];
}
