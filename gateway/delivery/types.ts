/**
 * The boundary between the request pipeline and delivery to the central database. The pipeline
 * hands over signed, validated records; delivery makes them durable (outbox) and either sends
 * them within the caller's deadline or queues them, and answers what became of each.
 */
import type { DonVi, HoSo, KetQua } from '../../adapters/national/profile.js';
import type { FieldIssue } from '../../adapters/types.js';

export interface Origin {
  requestId: string;
  keyId: string;
  softwareId: string;
  /** Sending unit after re-mapping: the X-Ma-Don-Vi the central database is called with. */
  unitCode: string;
  /** Vendor front the record arrived through. */
  front: string;
}

export interface ProfileSubmission {
  trackingId: string;
  record: HoSo;
  origin: Origin;
  /** The vendor's own id of the record (row, employee id), echoed by status queries. */
  recordId?: string;
}

export interface UnitSubmission {
  trackingId: string;
  unit: DonVi;
  origin: Origin;
  /** The vendor's own id of the unit record, echoed by status queries. */
  recordId?: string;
}

/** What the caller is told about one record. */
export interface DeliveryOutcome {
  trackingId: string;
  /** delivered: applied (or unchanged) by the central database; stale: an older version (409);
   *  queued: durable in the outbox, delivery goes on in the background; rejected: a final refusal
   *  by the central database (400/401/403/422); failed: not accepted by the gateway (nothing stored). */
  state: 'delivered' | 'stale' | 'queued' | 'rejected' | 'failed';
  central?: KetQua;
  httpStatus?: number;
  message?: string;
}

export type TrackingStateName =
  | 'invalid'
  | 'pending'
  | 'queued'
  | 'delivering'
  | 'delivered'
  | 'stale'
  | 'rejected'
  | 'dead'
  | 'superseded'
  | 'discarded';

export interface TrackingState {
  trackingId: string;
  state: TrackingStateName;
  attempts: number;
  lastError?: string;
  central?: KetQua;
  /** For invalid records: the errors they were refused with. */
  errors?: FieldIssue[];
  soDinhDanh?: string;
  recordId?: string;
  /** The sending unit (Origin.unitCode): status queries answer only that unit's keys. */
  unitCode: string;
  createdAt: number;
  updatedAt: number;
  deliveredAt?: number;
}

export interface Delivery {
  submitProfiles(items: ProfileSubmission[], options?: { deadlineMs?: number }): Promise<DeliveryOutcome[]>;
  submitUnit(item: UnitSubmission, options?: { deadlineMs?: number }): Promise<DeliveryOutcome>;
  /** Remembers records refused by validation so a later status query can answer for them. */
  recordInvalid(items: { trackingId: string; recordId: string; soDinhDanh?: string; errors: FieldIssue[]; origin: Origin }[]): Promise<void>;
  track(trackingIds: string[]): Promise<(TrackingState | undefined)[]>;
  close(): Promise<void>;
}
