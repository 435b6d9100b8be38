/**
 * Issuing certificates from the gateway's issuing CA: for legacy client software (one per
 * installation, bound to a unit), admins (carrying their role), signing identities, servers,
 * and the gateway's own client identity. `signCsr` signs a request generated on the client, so
 * its private key never leaves the client machine.
 *
 * The subject is always composed here (CN from the request, OU = unit or role, O = gateway):
 * a CSR cannot smuggle in "OU=network-admin", and roles come from the store, never from the
 * certificate text alone.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { AppContext } from '../core/context.js';
import type { AdminRole } from '../core/admin-module.js';
import type { DB } from '../core/store/schema.js';
import { bumpRevision } from '../core/store/revisions.js';
import { loadCa, type CaPair } from './ca.js';
import { newSerial, normalizeSerial } from '../core/serial.js';
import { plainPrivateKeyPem } from './secrets.js';
import { saveIdentity, mirrorIdentity, type IdentityName } from './identities.js';
import {
  LEAF_BITS,
  RSA_SIGN,
  certToPem,
  dn,
  generateRsaKey,
  generateEcKey,
  oneLineSubject,
  parseNodeCert,
  sanExtension,
  sha256Fingerprint,
  toPublicCryptoKey,
  x509,
} from './x509.js';
import { CertError, type CertKind, type IssueRequest, type IssuedCertificate } from './types.js';

export const ORGANIZATION = 'ndxp-gateway';

export const DEFAULT_DAYS: Record<CertKind, number> = {
  ca: 3650,
  client: 730,
  admin: 365,
  signing: 1095,
  server: 730,
  'central-client': 730,
  audit: 1825,
};

const UNIT_CODE = /^[0-9A-Z]+(\.[0-9A-Z]+)*$/;
const ADMIN_ROLES: AdminRole[] = ['network-admin', 'auditor'];
/** Tolerates clients whose clock runs a little behind ours. */
const BACKDATE_MS = 5 * 60_000;

export function validateCn(cn: string | undefined): string {
  const value = (cn ?? '').trim();
  // X.520 upper bound for commonName is 64 characters.
  if (!value || value.length > 64 || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new CertError('CN_KHONG_HOP_LE', `Tên chứng thư (CN) "${cn ?? ''}" không hợp lệ: cần 1–64 ký tự, không chứa ký tự điều khiển`);
  }
  return value;
}

export function validateUnit(unit: string | undefined, required: boolean): string | undefined {
  if (unit === undefined || unit === '') {
    if (required) throw new CertError('THIEU_MA_DON_VI', 'Cần mã định danh đơn vị (--unit) cho loại chứng thư này');
    return undefined;
  }
  if (unit.length > 35 || !UNIT_CODE.test(unit)) {
    throw new CertError('MA_DON_VI_KHONG_HOP_LE', `Mã định danh đơn vị "${unit}" không hợp lệ (dạng 000.00.00.H29, tối đa 35 ký tự)`);
  }
  return unit;
}

function validateDays(days: number | undefined, kind: CertKind): number {
  const value = days ?? DEFAULT_DAYS[kind];
  if (!Number.isInteger(value) || value < 1 || value > 3650) {
    throw new CertError('SO_NGAY_KHONG_HOP_LE', `Số ngày hiệu lực ${days} không hợp lệ (1–3650)`);
  }
  return value;
}

export interface LeafSpec {
  kind: Exclude<CertKind, 'ca'>;
  cn: string;
  unit?: string;
  role?: AdminRole;
  sans?: string[];
  notBefore: Date;
  notAfter: Date;
  /** Public key: a Node KeyObject (keys we generate) or the key of a verified CSR. */
  publicKey: KeyObject | x509.PublicKey;
}

function subjectFor(spec: Pick<LeafSpec, 'kind' | 'cn' | 'unit' | 'role'>): string {
  switch (spec.kind) {
    case 'admin':
      return dn([['CN', spec.cn], ['OU', spec.role ?? ''], ['O', ORGANIZATION]]);
    case 'client':
    case 'signing':
      return dn([['CN', spec.cn], ['OU', spec.unit ?? ''], ['O', ORGANIZATION]]);
    default:
      return dn([['CN', spec.cn], ['O', ORGANIZATION]]);
  }
}

function keyUsageFor(kind: LeafSpec['kind'], rsa: boolean): x509.KeyUsagesExtension {
  const F = x509.KeyUsageFlags;
  if (kind === 'signing' || kind === 'audit') return new x509.KeyUsagesExtension(F.digitalSignature | F.nonRepudiation, true);
  // keyEncipherment only means something for RSA key transport (TLS 1.2 RSA key exchange).
  return new x509.KeyUsagesExtension(rsa ? F.digitalSignature | F.keyEncipherment : F.digitalSignature, true);
}

function ekuFor(kind: LeafSpec['kind']): x509.ExtendedKeyUsageExtension | undefined {
  switch (kind) {
    case 'server':
      return new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false);
    case 'client':
    case 'admin':
    case 'central-client':
      return new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false);
    default:
      return undefined;
  }
}

/** Clamps a leaf's validity into the issuing CA's: a certificate outliving its CA would fail verification anyway. */
function clampToCa(ca: CaPair, notAfter: Date): Date {
  return notAfter.getTime() > ca.issuing.cert.notAfter.getTime() ? ca.issuing.cert.notAfter : notAfter;
}

/**
 * Signs one leaf certificate with the issuing CA and records it in `certificates` (bumping the
 * 'certs' revision so every instance's watcher learns the new serial, e.g. an admin's role).
 */
export async function signLeaf(db: Kysely<DB>, ca: CaPair, spec: LeafSpec, actor: string): Promise<{ serial: string; certPem: string; subject: string; notAfter: Date; notBefore: Date }> {
  const serial = newSerial();
  const publicKey = spec.publicKey instanceof x509.PublicKey ? spec.publicKey : await toPublicCryptoKey(spec.publicKey);
  const nodePublic = spec.publicKey instanceof x509.PublicKey ? createPublicKey({ key: Buffer.from(spec.publicKey.rawData), format: 'der', type: 'spki' }) : spec.publicKey;
  const rsa = nodePublic.asymmetricKeyType === 'rsa';
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    keyUsageFor(spec.kind, rsa),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
  ];
  if (ca.issuing.keyId) extensions.push(new x509.AuthorityKeyIdentifierExtension(ca.issuing.keyId));
  const eku = ekuFor(spec.kind);
  if (eku) extensions.push(eku);
  if (spec.sans?.length) extensions.push(sanExtension(spec.sans));
  // X.509 times have whole seconds: round here so what we store and print equals the certificate.
  const notAfter = new Date(Math.floor(clampToCa(ca, spec.notAfter).getTime() / 1000) * 1000);
  const notBefore = new Date(Math.floor(spec.notBefore.getTime() / 1000) * 1000);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: subjectFor(spec),
    issuer: ca.issuing.cert.subjectName,
    notBefore,
    notAfter,
    publicKey,
    signingKey: ca.issuing.signingKey,
    signingAlgorithm: RSA_SIGN,
    extensions,
  });
  const certPem = certToPem(cert);
  const node = parseNodeCert(certPem);
  const subject = oneLineSubject(node.subject);
  const stored = normalizeSerial(node.serialNumber);
  if (stored !== serial) throw new Error(`serial round-trip mismatch ${serial} vs ${stored}`);
  await recordCertificate(db, {
    serial,
    kind: spec.kind,
    subject,
    cn: spec.cn,
    unit: spec.unit,
    role: spec.role,
    sans: spec.sans,
    notBefore,
    notAfter,
    fingerprint: sha256Fingerprint(cert.rawData),
    pem: certPem,
    actor,
  });
  return { serial, certPem, subject, notAfter, notBefore };
}

export async function recordCertificate(
  db: Kysely<DB>,
  c: { serial: string; kind: CertKind; subject: string; cn: string; unit?: string; role?: string; sans?: string[]; notBefore: Date; notAfter: Date; fingerprint: string; pem: string; actor: string },
): Promise<void> {
  await db
    .insertInto('certificates')
    .values({
      serial: c.serial,
      kind: c.kind,
      subject: c.subject,
      cn: c.cn,
      unit_code: c.unit ?? null,
      role: c.role ?? null,
      sans: c.sans?.length ? JSON.stringify(c.sans) : null,
      not_before: c.notBefore.getTime(),
      not_after: c.notAfter.getTime(),
      status: 'active',
      revoked_at: null,
      revocation_reason: null,
      fingerprint_sha256: c.fingerprint,
      pem: c.pem,
      created_at: Date.now(),
      created_by: c.actor,
    })
    .execute();
  await bumpRevision(db, 'certs');
}

/** Identities the gateway itself uses: issuing one of these also installs it (key encrypted in the store). */
function identityNameFor(req: IssueRequest): IdentityName | undefined {
  if (req.kind === 'signing') return `signing:${req.unit}`;
  if (req.kind === 'audit') return 'audit';
  if (req.kind === 'central-client') return 'central-client';
  return undefined;
}

function safeFileBase(cn: string): string {
  return cn.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'cert';
}

/** Validity window of a request: explicit dates win, else now−5 min .. now+days. */
function validity(req: { days?: number; notBefore?: Date; notAfter?: Date }, kind: CertKind): { notBefore: Date; notAfter: Date } {
  const days = validateDays(req.days, kind);
  const notBefore = req.notBefore ?? new Date(Date.now() - BACKDATE_MS);
  const notAfter = req.notAfter ?? new Date(Date.now() + days * 86_400_000);
  if (notAfter.getTime() <= notBefore.getTime()) throw new CertError('THOI_HAN_KHONG_HOP_LE', 'Ngày hết hạn phải sau ngày bắt đầu hiệu lực');
  return { notBefore, notAfter };
}

function validateRequest(req: IssueRequest): { cn: string; unit?: string; role?: AdminRole } {
  const cn = validateCn(req.cn);
  const unit = validateUnit(req.unit, req.kind === 'client' || req.kind === 'signing');
  let role: AdminRole | undefined;
  if (req.kind === 'admin') {
    if (!req.role || !ADMIN_ROLES.includes(req.role)) throw new CertError('VAI_TRO_KHONG_HOP_LE', `Vai trò quản trị "${req.role ?? ''}" không hợp lệ (network-admin | auditor)`);
    role = req.role;
  }
  if (req.p12Password !== undefined && req.p12Password.length < 4) throw new CertError('MAT_KHAU_P12_QUA_NGAN', 'Mật khẩu PKCS#12 cần ít nhất 4 ký tự');
  if (req.keyPassword !== undefined && req.keyPassword.length < 4) throw new CertError('MAT_KHAU_KHOA_QUA_NGAN', 'Mật khẩu bảo vệ khóa bí mật cần ít nhất 4 ký tự');
  return { cn, unit, role };
}

/**
 * Issues a certificate with a freshly generated key pair. The unencrypted key is returned in
 * memory (for the one-time hand-over) and written only into `outDir` when the operator asks.
 */
export async function issueCertificate(ctx: AppContext, req: IssueRequest, actor: string): Promise<IssuedCertificate> {
  const operation = req.kind === 'admin' ? 'certs.issue-admin' : req.kind === 'signing' ? 'certs.issue-signing' : 'certs.issue';
  try {
    const { cn, unit, role } = validateRequest(req);
    const { notBefore, notAfter } = validity(req, req.kind);
    const ca = await loadCa(ctx.store.db, ctx.config);
    // Signing identities are EC (see generateEcKey); TLS identities stay RSA-2048, which every
    // legacy .NET and Java client stack accepts.
    const signingOnly = req.kind === 'signing' || req.kind === 'audit';
    if (signingOnly && req.p12Password !== undefined) throw new CertError('P12_KHONG_HO_TRO', 'Chứng thư ký số của đơn vị được giữ trong cổng kết nối; không xuất PKCS#12 cho loại này');
    const { privateKey, publicKey } = signingOnly ? await generateEcKey() : await generateRsaKey(LEAF_BITS);
    const sans = req.kind === 'server' ? (req.sans?.length ? req.sans : [cn]) : req.sans;
    const identityName = identityNameFor({ ...req, unit });
    // node-forge (PKCS#12 only) is loaded when one is asked for, not by every gateway process; and
    // before the transaction, so its first load never holds the store's write lock.
    const p12 = req.p12Password !== undefined ? await import('./p12.js') : undefined;
    // The operator's files are written before the certificate is committed: an output path that
    // cannot be written rolls the issue back, so no active certificate exists that nobody holds.
    const result = await ctx.store.db.transaction().execute(async (trx) => {
      const leaf = await signLeaf(trx, ca, { kind: req.kind, cn, unit, role, sans, notBefore, notAfter, publicKey }, actor);
      if (identityName) {
        const stored = await saveIdentity(trx, ctx.config, identityName, leaf.certPem, privateKey);
        mirrorIdentity(ctx.config.dataDir, stored, ca.chainPem);
      }
      const issued: IssuedCertificate = {
        serial: leaf.serial,
        subject: leaf.subject,
        notAfter: leaf.notAfter.toISOString(),
        certPem: leaf.certPem,
        keyPem: plainPrivateKeyPem(privateKey),
        chainPem: ca.chainPem,
      };
      if (p12 && req.p12Password !== undefined) {
        issued.p12 = p12.buildPkcs12({
          privateKey,
          certPem: leaf.certPem,
          chainPems: [ca.issuing.certPem, ca.root.certPem],
          password: req.p12Password,
          friendlyName: cn,
          cipher: req.p12Cipher,
        });
      }
      if (req.outDir) {
        const keyFilePem = req.keyPassword === undefined ? issued.keyPem : encryptedKeyPem(privateKey, req.keyPassword);
        Object.assign(issued, writeBundle(req.outDir, cn, issued, keyFilePem));
      }
      return issued;
    });
    const signed = { serial: result.serial, subject: result.subject };
    ctx.audit.record({
      kind: 'admin',
      actor,
      operation,
      target: signed.serial,
      outcome: 'ok',
      certSerial: signed.serial,
      certSubject: signed.subject,
      unitCode: unit,
      details: { kind: req.kind, cn, unit, role, notAfter: result.notAfter, p12: req.p12Password !== undefined, outDir: req.outDir },
    });
    return result;
  } catch (err) {
    ctx.audit.record({
      kind: 'admin',
      actor,
      operation,
      outcome: 'failed',
      code: (err as { code?: string }).code ?? 'LOI_HE_THONG',
      details: { kind: req.kind, cn: req.cn, unit: req.unit, role: req.role },
    });
    throw err;
  }
}

/** Encrypted PKCS#8 PEM ("BEGIN ENCRYPTED PRIVATE KEY") under an operator's password: what curl --pass, OpenSSL and Node open. */
function encryptedKeyPem(key: KeyObject, password: string): string {
  return key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: password }) as string;
}

/** Writes the operator's bundle: cert, key (0600; in clear unless keyPassword was given: the operator asked for it), CA chain, optional .p12. */
function writeBundle(outDir: string, cn: string, issued: IssuedCertificate, keyFilePem: string): Pick<IssuedCertificate, 'certFile' | 'keyFile' | 'caFile' | 'p12File'> {
  mkdirSync(outDir, { recursive: true });
  const base = safeFileBase(cn);
  const certFile = path.resolve(outDir, `${base}.cert.pem`);
  const keyFile = path.resolve(outDir, `${base}.key.pem`);
  const caFile = path.resolve(outDir, 'ca-chain.pem');
  const p12File = issued.p12 ? path.resolve(outDir, `${base}.p12`) : undefined;
  const written: string[] = [];
  const write = (file: string, data: string | Buffer, mode: number) => {
    writeFileSync(file, data, { mode });
    written.push(file);
  };
  try {
    write(certFile, issued.certPem, 0o644);
    write(keyFile, keyFilePem, 0o600);
    write(caFile, issued.chainPem, 0o644);
    if (p12File) write(p12File, issued.p12!, 0o600);
  } catch (err) {
    // Half a bundle is worse than none: the issue is rolled back, so are its files.
    for (const f of written) rmSync(f, { force: true });
    throw err;
  }
  return p12File ? { certFile, keyFile, caFile, p12File } : { certFile, keyFile, caFile };
}

export interface SignCsrOptions {
  days?: number;
  unit?: string;
  /** 'client' (default) or 'admin' (then role is required). */
  kind?: 'client' | 'admin';
  role?: AdminRole;
  notBefore?: Date;
  notAfter?: Date;
}

export interface SignedCsr {
  serial: string;
  subject: string;
  notAfter: string;
  certPem: string;
  chainPem: string;
}

/** Signs a PKCS#10 request made on the client; checks its self-signature and key strength first. */
export async function signCsr(ctx: AppContext, csrPem: string, opts: SignCsrOptions, actor: string): Promise<SignedCsr> {
  try {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem.trim());
    } catch {
      throw new CertError('CSR_KHONG_HOP_LE', 'Yêu cầu cấp chứng thư (CSR) không đọc được: cần PEM "BEGIN CERTIFICATE REQUEST" hoặc DER');
    }
    if (!(await csr.verify())) throw new CertError('CSR_KHONG_HOP_LE', 'Chữ ký của CSR không hợp lệ');
    const key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
    const details = key.asymmetricKeyDetails ?? {};
    const strong =
      (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048) ||
      (key.asymmetricKeyType === 'ec' && ['prime256v1', 'secp384r1', 'secp521r1'].includes(details.namedCurve ?? ''));
    if (!strong) throw new CertError('KHOA_CSR_YEU', 'Khóa trong CSR quá yếu hoặc không hỗ trợ (cần RSA ≥ 2048 bit hoặc ECDSA P-256/P-384/P-521)');
    const kind = opts.kind ?? 'client';
    const cn = validateCn(csr.subjectName.getField('CN')[0]);
    const { unit, role } = validateRequest({ kind, cn, unit: opts.unit, role: opts.role });
    const { notBefore, notAfter } = validity(opts, kind);
    const ca = await loadCa(ctx.store.db, ctx.config);
    const signed = await ctx.store.db.transaction().execute((trx) => signLeaf(trx, ca, { kind, cn, unit, role, notBefore, notAfter, publicKey: csr.publicKey }, actor));
    ctx.audit.record({
      kind: 'admin',
      actor,
      operation: 'certs.sign-csr',
      target: signed.serial,
      outcome: 'ok',
      certSerial: signed.serial,
      certSubject: signed.subject,
      unitCode: unit,
      details: { kind, cn, unit, role, notAfter: signed.notAfter.toISOString() },
    });
    return { serial: signed.serial, subject: signed.subject, notAfter: signed.notAfter.toISOString(), certPem: signed.certPem, chainPem: ca.chainPem };
  } catch (err) {
    ctx.audit.record({ kind: 'admin', actor, operation: 'certs.sign-csr', outcome: 'failed', code: (err as { code?: string }).code ?? 'LOI_HE_THONG', details: { unit: opts.unit } });
    throw err;
  }
}
