/** Row types of the audit area's tables, as Kysely sees them (DDL: ../migrations/004_audit.ts). */

export interface AuditEntryRow {
  seq: number;
  at: number;
  node: string;
  kind: string;
  request_id: string | null;
  /** JSON array of strings. */
  tracking_ids: string | null;
  cert_subject: string | null;
  cert_serial: string | null;
  key_id: string | null;
  software_id: string | null;
  unit_code: string | null;
  front: string | null;
  operation: string | null;
  /** JSON array, e.g. ["********1234"]. */
  personal_ids_masked: string | null;
  /** JSON array of hex HMAC-SHA256 digests of the full ids, same order. */
  personal_id_digests: string | null;
  outcome: string;
  code: string | null;
  latency_ms: number | null;
  request_bytes: number | null;
  response_bytes: number | null;
  request_sha256: string | null;
  response_sha256: string | null;
  actor: string | null;
  target: string | null;
  /** JSON object. */
  details: string | null;
  remote_address: string | null;
  /** Retention actually applied: off | metadata | full. */
  body_retention: string;
  /** Encrypted bodies (see gateway/audit/bodies.ts); outside the hash, bound to the hashed digests. */
  request_body: string | null;
  response_body: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditCheckpointRow {
  /** Seq of the last entry covered. */
  seq: number;
  at: number;
  entry_count: number;
  /** Hash of entry `seq`. */
  chain_hash: string;
  alg: string;
  /** base64 signature over the canonical checkpoint statement (chain.ts). */
  signature: string;
  /** base64 DER of the signing certificate. */
  cert_der: string;
  node: string;
}

export interface AuditHeadRow {
  id: number;
  last_seq: number;
  last_hash: string;
  last_checkpoint_seq: number;
  last_checkpoint_at: number;
  updated_at: number;
}

export interface AuditArchiveRow {
  from_seq: number;
  to_seq: number;
  /** File name under <dataDir>/audit-archive/. */
  file: string;
  file_sha256: string;
  /** prev_hash of entry from_seq. */
  first_prev_hash: string;
  /** hash of entry to_seq: the live trail's next entry must chain to it. */
  last_hash: string;
  entry_count: number;
  created_at: number;
  node: string;
}

export interface AuditRefRow {
  seq: number;
  /** 'pid' (personal id digest) | 'tid' (tracking id). */
  ref_type: string;
  ref: string;
}

export interface AuditTables {
  audit_entries: AuditEntryRow;
  audit_checkpoints: AuditCheckpointRow;
  audit_head: AuditHeadRow;
  audit_archives: AuditArchiveRow;
  audit_refs: AuditRefRow;
}
