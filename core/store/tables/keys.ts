/** Row types of the keys area's tables, as Kysely sees them (DDL: ../migrations/003_keys.ts). */

/**
 * Connection keys issued by (or imported from) the Ministry of Home Affairs, one per piece of
 * legacy software at one unit. The secret itself is never stored: only a peppered hash of it
 * (gateway/keys/token.ts). Timestamps are epoch milliseconds.
 */
export interface ConnectionKeyTable {
  /** Public id, shown in listings and logs (e.g. KN + 12 base32 characters). */
  key_id: string;
  /** "v1$<base64url HMAC-SHA256(pepper, SHA-256(secret))>". */
  secret_hash: string;
  /** The hash that was current before the last rotation; valid until previous_valid_until. */
  previous_secret_hash: string | null;
  previous_valid_until: number | null;
  software_id: string;
  unit_code: string;
  /** vendor-a-asmx | vendor-b-jaxws | vendor-c-xmlpost | json */
  vendor: string;
  /** unicode | tcvn3: how this installation writes Vietnamese text. */
  encoding: string;
  /** JSON array of allowed operations (submitProfiles, upsertUnit, status, read), or "*" (JSON string): every operation of the vendor, current and future. */
  operations: string;
  /** Normalised serial (uppercase hex, no colons, no leading zeros) the client certificate must have. */
  cert_serial: string | null;
  /** Subject attributes the client certificate must carry, e.g. "CN=pm-a,O=So Noi vu". */
  cert_subject: string | null;
  /** active | suspended | cancelled (final). */
  status: string;
  /** Why the key was last suspended or cancelled, as the admin wrote it. */
  status_reason: string | null;
  expires_at: number | null;
  contact_name: string | null;
  contact_agency: string | null;
  contact_phone: string | null;
  contact_email: string | null;
  /** Per-key audit body retention override: off | metadata | full; null = deployment default. */
  body_retention: string | null;
  /** JSON object of rate-limit overrides; null = deployment defaults. */
  limits: string | null;
  /** local (created here) | import (from the Ministry's list). */
  source: string;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
  cancelled_at: number | null;
}

export interface KeyTables {
  connection_keys: ConnectionKeyTable;
}
