/**
 * Revocation and CRLs. A revocation is a row update plus a 'certs' revision bump in one
 * transaction: every instance's watcher sees it within one poll (default 1 s) and refuses the
 * certificate on new handshakes (the CRL in the TLS context) and on every request (serial check).
 */
import type { Kysely } from 'kysely';
import type { AppContext } from '../core/context.js';
import type { DB } from '../core/store/schema.js';
import type { Config } from '../config/config.js';
import { bumpRevision } from '../core/store/revisions.js';
import { loadCa, type CaPair, type CaSigner } from './ca.js';
import { normalizeSerial } from '../core/serial.js';
import { RSA_SIGN, x509 } from './x509.js';
import { CertError, REVOCATION_REASONS, isRevocationReason, type RevocationReason } from './types.js';

export interface RevocationResult {
  serial: string;
  subject: string;
  kind: string;
  status: 'revoked';
  revokedAt: string;
  reason: RevocationReason;
  /** True when it was already revoked (nothing changed). */
  alreadyRevoked: boolean;
}

export async function revokeCertificate(ctx: AppContext, serialInput: string, reasonInput: string, actor: string): Promise<RevocationResult> {
  const serial = normalizeSerial(serialInput);
  try {
    if (!serial) throw new CertError('SO_SERI_KHONG_HOP_LE', `Số sê-ri "${serialInput}" không hợp lệ (cần dạng hex)`);
    if (!isRevocationReason(reasonInput)) {
      throw new CertError('LY_DO_THU_HOI_KHONG_HOP_LE', `Lý do thu hồi "${reasonInput}" không hợp lệ; dùng một trong: ${Object.keys(REVOCATION_REASONS).join(', ')}`);
    }
    const reason = reasonInput;
    const result = await ctx.store.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('certificates').select(['serial', 'subject', 'kind', 'status', 'revoked_at', 'revocation_reason']).where('serial', '=', serial).executeTakeFirst();
      if (!row) throw new CertError('CHUNG_THU_KHONG_TON_TAI', `Không có chứng thư số sê-ri ${serial} do cổng cấp`);
      if (row.kind === 'ca') {
        throw new CertError('KHONG_THU_HOI_CA', 'Không thu hồi CA của cổng bằng lệnh này; dùng "ndxp certs init --force" để thay CA (mọi chứng thư cũ sẽ mất hiệu lực)');
      }
      if (row.status === 'revoked') {
        return { serial, subject: row.subject, kind: row.kind, status: 'revoked' as const, revokedAt: new Date(Number(row.revoked_at)).toISOString(), reason: (row.revocation_reason ?? 'unspecified') as RevocationReason, alreadyRevoked: true };
      }
      const at = Date.now();
      await trx.updateTable('certificates').set({ status: 'revoked', revoked_at: at, revocation_reason: reason }).where('serial', '=', serial).execute();
      await bumpRevision(trx, 'certs');
      return { serial, subject: row.subject, kind: row.kind, status: 'revoked' as const, revokedAt: new Date(at).toISOString(), reason, alreadyRevoked: false };
    });
    ctx.log.info('Đã thu hồi chứng thư', { serial, reason, actor, already: result.alreadyRevoked });
    ctx.audit.record({
      kind: 'admin',
      actor,
      operation: 'certs.revoke',
      target: serial,
      outcome: result.alreadyRevoked ? 'unchanged' : 'ok',
      certSerial: serial,
      certSubject: result.subject,
      details: { reason, kind: result.kind },
    });
    return result;
  } catch (err) {
    ctx.audit.record({ kind: 'admin', actor, operation: 'certs.revoke', target: serial || serialInput, outcome: 'failed', code: (err as { code?: string }).code ?? 'LOI_HE_THONG', details: { reason: reasonInput } });
    throw err;
  }
}

/** DER INTEGER for the CRLNumber extension (RFC 5280 §5.2.3). */
function derInteger(value: number): Uint8Array {
  const bytes: number[] = [];
  let v = Math.floor(value);
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return new Uint8Array([0x02, bytes.length, ...bytes]);
}

interface RevokedRow {
  serial: string;
  revoked_at: number | null;
  revocation_reason: string | null;
}

async function signCrl(signer: CaSigner, rows: RevokedRow[], thisUpdate: Date, nextUpdate: Date): Promise<x509.X509Crl> {
  const extensions: x509.Extension[] = [new x509.Extension('2.5.29.20', false, derInteger(Math.floor(thisUpdate.getTime() / 1000)))];
  if (signer.keyId) extensions.push(new x509.AuthorityKeyIdentifierExtension(signer.keyId));
  return x509.X509CrlGenerator.create({
    issuer: signer.cert.subjectName,
    thisUpdate,
    nextUpdate,
    signingAlgorithm: RSA_SIGN,
    signingKey: signer.signingKey,
    extensions,
    entries: rows.map((r) => {
      const reason = r.revocation_reason && isRevocationReason(r.revocation_reason) ? REVOCATION_REASONS[r.revocation_reason] : 0;
      return {
        serialNumber: r.serial.length % 2 ? `0${r.serial}` : r.serial,
        revocationDate: new Date(Number(r.revoked_at ?? Date.now())),
        // RFC 5280 §5.3.1: omit reasonCode rather than use unspecified.
        ...(reason ? { reason: reason as x509.X509CrlReason } : {}),
      };
    }),
  });
}

/** RFC 7468 "X509 CRL" label: what OpenSSL (and so Node's TLS) reads; @peculiar/x509 writes "CRL". */
export function crlToPem(crl: x509.X509Crl): string {
  const b64 = Buffer.from(crl.rawData).toString('base64');
  return `-----BEGIN X509 CRL-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END X509 CRL-----\n`;
}

export interface CrlSet {
  /** CRL of the issuing CA: every revoked certificate it issued. This is the one to publish. */
  issuing: x509.X509Crl;
  /** CRL of the root: revoked CA certificates (normally empty); OpenSSL needs it to check the whole chain. */
  root: x509.X509Crl;
  issuingPem: string;
  rootPem: string;
  thisUpdate: Date;
  nextUpdate: Date;
}

/**
 * Builds and signs both CRLs from the store. `validityDays`: 7 for publication; the TLS
 * context uses a longer one because it is rebuilt on every change and refreshed daily anyway,
 * and an expired CRL inside OpenSSL would refuse every client.
 */
export async function buildCrls(db: Kysely<DB>, config: Pick<Config, 'masterKey' | 'dataDir'>, options: { validityDays?: number; ca?: CaPair } = {}): Promise<CrlSet> {
  const ca = options.ca ?? (await loadCa(db, config));
  const rows = await db.selectFrom('certificates').select(['serial', 'kind', 'revoked_at', 'revocation_reason']).where('status', '=', 'revoked').orderBy('revoked_at').execute();
  // Backdated a little: an instance whose clock runs behind must not see a "not yet valid" CRL.
  const thisUpdate = new Date(Date.now() - 5 * 60_000);
  const nextUpdate = new Date(Date.now() + (options.validityDays ?? 7) * 86_400_000);
  const leafRows = rows.filter((r) => r.kind !== 'ca');
  const caRows = rows.filter((r) => r.kind === 'ca' && r.serial !== ca.root.serial && r.serial !== ca.issuing.serial);
  const issuing = await signCrl(ca.issuing, leafRows, thisUpdate, nextUpdate);
  const root = await signCrl(ca.root, caRows, thisUpdate, nextUpdate);
  return { issuing, root, issuingPem: crlToPem(issuing), rootPem: crlToPem(root), thisUpdate, nextUpdate };
}

/** The publishable CRL of the issuing CA, as PEM and DER. */
export async function currentCrl(ctx: AppContext): Promise<{ pem: string; der: Buffer; thisUpdate: string; nextUpdate: string; revokedCount: number }> {
  const set = await buildCrls(ctx.store.db, ctx.config);
  return {
    pem: set.issuingPem,
    der: Buffer.from(set.issuing.rawData),
    thisUpdate: set.thisUpdate.toISOString(),
    nextUpdate: set.nextUpdate.toISOString(),
    revokedCount: set.issuing.entries.length,
  };
}
