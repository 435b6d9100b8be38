/**
 * Trust anchors besides our own CA: e.g. the Ministry's CA or the national platform's, whose
 * client certificates the data plane should accept, or whose server certificate the gateway
 * should trust when calling the central database. Each must be a CA certificate (basic
 * constraints CA, keyCertSign); a self-signed root is strongly preferred because OpenSSL only
 * accepts chains that end in a self-signed certificate of the trust store.
 */
import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { AppContext } from '../core/context.js';
import type { DB } from '../core/store/schema.js';
import { bumpRevision } from '../core/store/revisions.js';
import { oneLineSubject, parseNodeCert, sha256Fingerprint, splitPemCerts, x509 } from './x509.js';
import { CertError, type TrustAnchor } from './types.js';
import { X509Certificate } from 'node:crypto';

/** Reads PEM (one or more) or DER; returns PEM blocks. */
export function readCertificatesFromFile(file: string): string[] {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    throw new CertError('KHONG_DOC_DUOC_TEP', `Không đọc được tệp ${file}: ${(err as Error).message}`);
  }
  return certificatesFromBytes(data);
}

export function certificatesFromBytes(data: Buffer | string): string[] {
  const text = Buffer.isBuffer(data) ? data.toString('latin1') : data;
  if (text.includes('-----BEGIN CERTIFICATE-----')) return splitPemCerts(text);
  try {
    return [new X509Certificate(Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1')).toString()];
  } catch {
    throw new CertError('CHUNG_THU_KHONG_DOC_DUOC', 'Không đọc được chứng thư: cần PEM "BEGIN CERTIFICATE" hoặc DER');
  }
}

/** Checks one certificate is a usable CA anchor; returns its parsed form. */
function validateAnchor(pem: string): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = parseNodeCert(pem);
  } catch {
    throw new CertError('CHUNG_THU_KHONG_DOC_DUOC', 'Không đọc được chứng thư');
  }
  const subject = oneLineSubject(cert.subject);
  if (!cert.ca) throw new CertError('KHONG_PHAI_CA', `Chứng thư "${subject}" không phải chứng thư CA (basicConstraints CA:TRUE)`);
  // Node does not expose the keyUsage bits; read them with @peculiar/x509. Absent keyUsage is allowed (RFC 5280 §4.2.1.3).
  const ku = new x509.X509Certificate(cert.raw).getExtension(x509.KeyUsagesExtension);
  if (ku && (ku.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw new CertError('KHONG_PHAI_CA', `Chứng thư "${subject}" không được phép ký chứng thư (keyUsage thiếu keyCertSign)`);
  }
  if (Date.parse(cert.validTo) < Date.now()) throw new CertError('CA_HET_HAN', `Chứng thư CA "${subject}" đã hết hạn (${cert.validTo})`);
  if (cert.checkIssued(cert) && !cert.verify(cert.publicKey)) throw new CertError('CHU_KY_KHONG_HOP_LE', `Chữ ký tự ký của "${subject}" không hợp lệ`);
  return cert;
}

export async function addTrustAnchors(ctx: AppContext, pems: string[], actor: string): Promise<{ added: TrustAnchor[]; alreadyPresent: TrustAnchor[] }> {
  try {
    if (pems.length === 0) throw new CertError('KHONG_CO_CHUNG_THU', 'Tệp không chứa chứng thư nào');
    const parsed = pems.map((pem) => ({ pem: parseNodeCert(pem).toString(), cert: validateAnchor(pem) }));
    const added: TrustAnchor[] = [];
    const alreadyPresent: TrustAnchor[] = [];
    await ctx.store.db.transaction().execute(async (trx) => {
      for (const { pem, cert } of parsed) {
        const fingerprint = sha256Fingerprint(cert.raw);
        const existing = await trx.selectFrom('trust_anchors').selectAll().where('fingerprint_sha256', '=', fingerprint).executeTakeFirst();
        if (existing) {
          alreadyPresent.push(rowToAnchor(existing));
          continue;
        }
        const row = {
          fingerprint_sha256: fingerprint,
          subject: oneLineSubject(cert.subject),
          not_before: Date.parse(cert.validFrom),
          not_after: Date.parse(cert.validTo),
          pem,
          added_at: Date.now(),
          added_by: actor,
        };
        await trx.insertInto('trust_anchors').values(row).execute();
        added.push(rowToAnchor(row));
      }
      if (added.length) await bumpRevision(trx, 'trust');
    });
    for (const a of [...added, ...alreadyPresent]) {
      ctx.audit.record({ kind: 'admin', actor, operation: 'certs.trust.add', target: a.fingerprintSha256, outcome: added.includes(a) ? 'ok' : 'unchanged', certSubject: a.subject, details: { notAfter: a.notAfter, selfSigned: a.selfSigned } });
    }
    return { added, alreadyPresent };
  } catch (err) {
    ctx.audit.record({ kind: 'admin', actor, operation: 'certs.trust.add', outcome: 'failed', code: (err as { code?: string }).code ?? 'LOI_HE_THONG' });
    throw err;
  }
}

export async function removeTrustAnchor(ctx: AppContext, fingerprint: string, actor: string): Promise<TrustAnchor> {
  const fp = fingerprint.replace(/:/g, '').toUpperCase();
  const removed = await ctx.store.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('trust_anchors').selectAll().where('fingerprint_sha256', '=', fp).executeTakeFirst();
    if (!row) return undefined;
    await trx.deleteFrom('trust_anchors').where('fingerprint_sha256', '=', fp).execute();
    await bumpRevision(trx, 'trust');
    return rowToAnchor(row);
  });
  if (!removed) {
    ctx.audit.record({ kind: 'admin', actor, operation: 'certs.trust.remove', target: fp, outcome: 'failed', code: 'KHONG_TIM_THAY' });
    throw new CertError('KHONG_TIM_THAY', `Không có neo tin cậy với dấu vân tay ${fp}`);
  }
  ctx.audit.record({ kind: 'admin', actor, operation: 'certs.trust.remove', target: fp, outcome: 'ok', certSubject: removed.subject });
  return removed;
}

function rowToAnchor(row: DB['trust_anchors']): TrustAnchor {
  const cert = parseNodeCert(row.pem);
  return {
    fingerprintSha256: row.fingerprint_sha256,
    subject: row.subject,
    notBefore: new Date(Number(row.not_before)).toISOString(),
    notAfter: new Date(Number(row.not_after)).toISOString(),
    selfSigned: cert.checkIssued(cert),
    addedAt: new Date(Number(row.added_at)).toISOString(),
    addedBy: row.added_by,
    pem: row.pem,
  };
}

export async function listTrustAnchors(db: Kysely<DB>): Promise<TrustAnchor[]> {
  const rows = await db.selectFrom('trust_anchors').selectAll().orderBy('added_at').execute();
  return rows.map(rowToAnchor);
}
