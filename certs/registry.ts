/** Read side of the certificate registry: listings for the CLI and the admin API. */
import type { Kysely } from 'kysely';
import type { DB } from '../core/store/schema.js';
import type { Config } from '../config/config.js';
import { normalizeSerial } from '../core/serial.js';
import type { CertKind } from './types.js';

export type CertState = 'active' | 'revoked' | 'expired' | 'not-yet-valid';

export interface CertificateListing {
  serial: string;
  kind: CertKind;
  subject: string;
  cn: string;
  unit?: string;
  role?: string;
  sans?: string[];
  status: 'active' | 'revoked';
  /** Status with time applied: what a TLS handshake would say right now. */
  state: CertState;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  /** Active and expiring within config.tls.expiryWarningDays. */
  expiryWarning: boolean;
  revokedAt?: string;
  revocationReason?: string;
  fingerprintSha256: string;
  createdAt: string;
  createdBy: string;
}

export interface ListFilter {
  kind?: string;
  status?: CertState;
  unit?: string;
  /** Only certificates with an expiry warning. */
  expiring?: boolean;
}

type Row = Omit<DB['certificates'], 'pem'>;

export function toListing(r: Row, config: Pick<Config, 'tls'>, now = Date.now()): CertificateListing {
  const notAfter = Number(r.not_after);
  const notBefore = Number(r.not_before);
  const state: CertState = r.status === 'revoked' ? 'revoked' : notAfter < now ? 'expired' : notBefore > now ? 'not-yet-valid' : 'active';
  const daysLeft = Math.floor((notAfter - now) / 86_400_000);
  return {
    serial: r.serial,
    kind: r.kind as CertKind,
    subject: r.subject,
    cn: r.cn,
    unit: r.unit_code ?? undefined,
    role: r.role ?? undefined,
    sans: r.sans ? (JSON.parse(r.sans) as string[]) : undefined,
    status: r.status === 'revoked' ? 'revoked' : 'active',
    state,
    notBefore: new Date(notBefore).toISOString(),
    notAfter: new Date(notAfter).toISOString(),
    daysLeft,
    expiryWarning: state === 'active' && notAfter - now <= config.tls.expiryWarningDays * 86_400_000,
    revokedAt: r.revoked_at === null ? undefined : new Date(Number(r.revoked_at)).toISOString(),
    revocationReason: r.revocation_reason ?? undefined,
    fingerprintSha256: r.fingerprint_sha256,
    createdAt: new Date(Number(r.created_at)).toISOString(),
    createdBy: r.created_by,
  };
}

const COLUMNS = ['serial', 'kind', 'subject', 'cn', 'unit_code', 'role', 'sans', 'not_before', 'not_after', 'status', 'revoked_at', 'revocation_reason', 'fingerprint_sha256', 'created_at', 'created_by'] as const;

export async function listCertificates(db: Kysely<DB>, config: Pick<Config, 'tls'>, filter: ListFilter = {}): Promise<CertificateListing[]> {
  let q = db.selectFrom('certificates').select(COLUMNS).orderBy('created_at', 'desc');
  if (filter.kind) q = q.where('kind', '=', filter.kind);
  if (filter.unit) q = q.where('unit_code', '=', filter.unit);
  const rows = await q.execute();
  return rows
    .map((r) => toListing(r, config))
    .filter((c) => (!filter.status || c.state === filter.status) && (!filter.expiring || c.expiryWarning));
}

export async function getCertificate(db: Kysely<DB>, config: Pick<Config, 'tls'>, serial: string): Promise<(CertificateListing & { pem: string }) | undefined> {
  const s = normalizeSerial(serial);
  if (!s) return undefined;
  const row = await db.selectFrom('certificates').selectAll().where('serial', '=', s).executeTakeFirst();
  return row ? { ...toListing(row, config), pem: row.pem } : undefined;
}
