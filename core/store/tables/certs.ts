/** Row types of the certs area's tables, as Kysely sees them (DDL: ../migrations/002_certs.ts). */

/**
 * Certificates area (certs/). Epoch-ms bigint timestamps; serials normalised as Node's TLS
 * layer reports them (certs/serial.ts).
 */
export interface CertTables {
  /** Every certificate our CA issued (CAs, servers, clients, admins, signing). Source of truth for roles and revocation. */
  certificates: {
    serial: string;
    /** ca | server | client | admin | signing | central-client | audit */
    kind: string;
    subject: string;
    cn: string;
    unit_code: string | null;
    /** Admin certificates: network-admin | auditor. */
    role: string | null;
    /** JSON array of SAN strings ("DNS:…", "IP:…"), or null. */
    sans: string | null;
    not_before: number;
    not_after: number;
    /** active | revoked (expiry is computed from not_after). */
    status: string;
    revoked_at: number | null;
    /** RFC 5280 reason name: keyCompromise, superseded, … */
    revocation_reason: string | null;
    /** Uppercase hex SHA-256 of the DER. */
    fingerprint_sha256: string;
    pem: string;
    created_at: number;
    created_by: string;
  };
  /** CA certificates we trust besides our own (Ministry CA, national platform CA). */
  trust_anchors: {
    fingerprint_sha256: string;
    subject: string;
    not_before: number;
    not_after: number;
    pem: string;
    added_at: number;
    added_by: string;
  };
  /**
   * The gateway's own identities (root CA, issuing CA, server certs, central-client, signing
   * identities per unit, audit signing) with their private keys, encrypted (certs/secrets.ts).
   * Kept in the store, not only on disk, so every instance sharing the store uses one CA.
   */
  pki_identities: {
    /** root-ca | issuing-ca | server:dataplane | server:admin | server:central-sim | central-client | audit | signing:<unit> */
    name: string;
    serial: string;
    cert_pem: string;
    /** Encrypted PKCS#8 PEM. */
    key_pem: string;
    created_at: number;
    updated_at: number;
  };
}
