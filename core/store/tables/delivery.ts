/** Row types of the delivery area's tables, as Kysely sees them (DDL: ../migrations/005_delivery.ts). */

/**
 * The delivery outbox: one row per record the gateway accepted (or refused by validation, so a
 * status query can answer for it). A row is written BEFORE the legacy client hears "accepted",
 * and it is the source of truth for what became of the record; the BullMQ queue only schedules
 * work and may be lost (Redis keeps nothing on disk) — the relay rebuilds it from these rows.
 */
export interface OutboxRow {
  tracking_id: string;
  kind: 'profile' | 'unit';
  /** soDinhDanh of a profile, maDinhDanh of a unit: the identity versions are ordered within. */
  subject_id: string | null;
  /** The vendor's own id of the record (row number, employee id …), for status answers. */
  record_id: string | null;
  /** ngayCapNhat as epoch ms, for ordering and coalescing; 0 when the record carries none. */
  version_ms: number;
  /** ngayCapNhat exactly as sent. */
  version: string | null;
  idempotency_key: string | null;
  /** The signed record as JSON, exactly the bytes that are (re)sent. */
  body: string | null;
  /** X-Ma-Don-Vi: the (re-mapped) sending unit. */
  unit_code: string;
  software_id: string | null;
  key_id: string | null;
  front: string | null;
  request_id: string | null;
  state: string;
  attempts: number;
  /** Epoch ms before which no new attempt is made (backoff, Retry-After). */
  next_attempt_at: number;
  last_error: string | null;
  http_status: number | null;
  /** The central database's KetQua, JSON. */
  central_answer: string | null;
  /** For invalid records: FieldIssue[] as JSON. */
  errors: string | null;
  /** 1 once a queue job was added for the row (0: the relay must enqueue it). */
  enqueued: number;
  /** Node holding the send claim, and until when (a crashed holder's claim expires). */
  lease_owner: string | null;
  lease_until: number;
  /** Dead-letter / discard reason. */
  reason: string | null;
  created_at: number;
  /** Start of the age window for dead-lettering (maxAgeHours): acceptance, reset by a replay. */
  window_start: number;
  updated_at: number;
  delivered_at: number | null;
}

export interface DeliveryTables {
  outbox: OutboxRow;
}
