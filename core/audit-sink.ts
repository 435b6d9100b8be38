/**
 * What the audit trail records. Every stage that refuses, accepts, delivers or administers
 * something hands an AuditEvent to the AuditSink; the trail (trail.ts) masks, digests, chains
 * and stores it.
 */
export type AuditKind = 'exchange' | 'refusal' | 'delivery' | 'admin';

export interface AuditEvent {
  kind: AuditKind;
  /** Epoch ms; default: now. */
  at?: number;
  requestId?: string;
  /** Links an exchange to the delivery attempts of its records. */
  trackingIds?: string[];
  certSubject?: string;
  certSerial?: string;
  keyId?: string;
  softwareId?: string;
  unitCode?: string;
  /** Vendor front / plane: vendor-a-asmx, vendor-b-jaxws, vendor-c-xmlpost, json, token, admin, tls. */
  front?: string;
  /** Vendor or admin operation: DongBoHoSo, submitRecords, keys.create, certs.revoke, … */
  operation?: string;
  /** Full personal ids of the records concerned; the trail stores them masked plus a keyed digest for exact search. */
  personalIds?: string[];
  /** ok, accepted, queued, invalid, refused, delivered, stale, rejected, failed, dead, … */
  outcome: string;
  /** Machine code of a refusal or error (KHOA_KET_NOI_KHONG_HOP_LE, …). */
  code?: string;
  latencyMs?: number;
  requestBytes?: number;
  responseBytes?: number;
  /** Bodies: digested always; kept per retention policy (off | metadata | full, encrypted). */
  requestBody?: Buffer | string;
  responseBody?: Buffer | string;
  /** Retention for this event's bodies; default: the deployment's setting. */
  bodyRetention?: 'off' | 'metadata' | 'full';
  /** Admin actions: who did it (certificate subject, or cli:<user>). */
  actor?: string;
  /** Admin actions: what was acted on (key id, serial, tracking id …). */
  target?: string;
  /** Small structured details (never secrets). */
  details?: Record<string, unknown>;
  /** Client address. */
  remoteAddress?: string;
}

export interface AuditSink {
  /** Queues the event for the next batched write (within flushIntervalMs). */
  record(event: AuditEvent): void;
  /** Resolves once the event is durably in the store; used before telling a client "accepted". */
  recordDurable(event: AuditEvent): Promise<void>;
  /** Writes everything queued so far. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
