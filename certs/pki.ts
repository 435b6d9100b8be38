/**
 * The gateway's own PKI: a root CA, an issuing CA under it (everything else is signed by the
 * issuing CA, so the root key is used only to sign the issuing CA and its CRL), the server
 * certificates of the data plane / admin plane / central simulator, and the gateway's client
 * identity towards the central database. Created on the first `ndxp start` (ensurePki) or by
 * `ndxp certs init` (initPki); kept in the store so all instances share them; mirrored under
 * <dataDir>/pki/.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { withWriteLock } from '../core/store/db.js';
import type { DB } from '../core/store/schema.js';
import type { AppContext } from '../core/context.js';
import { splitHostPort } from '../config/config.js';
import { loadCa, type CaPair } from './ca.js';
import { saveIdentity, readIdentity, mirrorIdentity, pkiDir, writeIfChanged, type IdentityName, type StoredIdentity } from './identities.js';
import { signLeaf, recordCertificate, ORGANIZATION, DEFAULT_DAYS } from './issue.js';
import { newSerial } from '../core/serial.js';
import { CA_BITS, LEAF_BITS, RSA_SIGN, certToPem, dn, generateRsaKey, generateEcKey, isIpAddress, oneLineSubject, parseNodeCert, sha256Fingerprint, toPublicCryptoKey, toSigningKey, x509 } from './x509.js';
import path from 'node:path';
import { bumpRevision } from '../core/store/revisions.js';
import { masterKeyFile } from '../core/secrets.js';

export type ServerWhich = 'dataplane' | 'admin' | 'central-sim';

const ROOT_YEARS = 20;
const ISSUING_YEARS = 10;
/** Server certificates and the central-client identity are renewed automatically this long before expiry. */
const RENEW_BEFORE_MS = 30 * 86_400_000;
const PKI_LOCK = 'ndxp-pki';

export interface PkiSummary {
  created: boolean;
  rootSerial: string;
  rootSubject: string;
  issuingSerial: string;
  issuingSubject: string;
  issuingNotAfter: string;
  serverSerial: string;
  serverNames: string[];
  centralClientSerial: string;
  files: { dir: string; rootCa: string; issuingCa: string; caChain: string; serverCert: string };
  /** Where the master key protecting the private keys comes from; with 'file', back that file up with the store. */
  masterKey: { source: 'config' | 'file'; file?: string };
}

/** SANs a server certificate must carry. */
export function requiredServerNames(ctx: AppContext, which: ServerWhich): string[] {
  const names = new Set<string>();
  const addHost = (hostPort: string) => {
    const { host } = splitHostPort(hostPort);
    if (host && host !== '0.0.0.0' && host !== '::') names.add(host);
  };
  if (which === 'dataplane') {
    ctx.config.tls.serverNames.forEach((n) => names.add(n));
  } else if (which === 'admin') {
    ctx.config.tls.serverNames.forEach((n) => names.add(n));
    addHost(ctx.config.adminListen);
    names.add('localhost');
  } else {
    addHost(ctx.config.centralListen);
    try {
      names.add(new URL(ctx.config.centralUrl).hostname.replace(/^\[|\]$/g, ''));
    } catch {
      /* validated by config */
    }
    names.add('localhost');
  }
  names.add('127.0.0.1');
  return [...names];
}

async function createCa(db: Kysely<DB>, ctx: AppContext, actor: string): Promise<CaPair> {
  const tag = `${new Date().toISOString().slice(0, 10)} ${randomBytes(3).toString('hex')}`;
  const now = Date.now();
  const rootKeys = await generateRsaKey(CA_BITS);
  const rootPublic = await toPublicCryptoKey(rootKeys.publicKey);
  const rootSigning = await toSigningKey(rootKeys.privateKey);
  const rootSerial = newSerial();
  const rootName = dn([['CN', `ndxp-gateway Root CA ${tag}`], ['O', ORGANIZATION]]);
  const F = x509.KeyUsageFlags;
  const rootSki = await x509.SubjectKeyIdentifierExtension.create(rootPublic);
  const root = await x509.X509CertificateGenerator.create({
    serialNumber: rootSerial,
    subject: rootName,
    issuer: rootName,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + ROOT_YEARS * 365 * 86_400_000),
    publicKey: rootPublic,
    signingKey: rootSigning,
    signingAlgorithm: RSA_SIGN,
    extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(F.keyCertSign | F.cRLSign, true), rootSki],
  });
  const issuingKeys = await generateRsaKey(CA_BITS);
  const issuingPublic = await toPublicCryptoKey(issuingKeys.publicKey);
  const issuingSerial = newSerial();
  const issuing = await x509.X509CertificateGenerator.create({
    serialNumber: issuingSerial,
    subject: dn([['CN', `ndxp-gateway Issuing CA ${tag}`], ['O', ORGANIZATION]]),
    issuer: root.subjectName,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + ISSUING_YEARS * 365 * 86_400_000),
    publicKey: issuingPublic,
    signingKey: rootSigning,
    signingAlgorithm: RSA_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(F.keyCertSign | F.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(issuingPublic),
      new x509.AuthorityKeyIdentifierExtension(rootSki.keyId),
    ],
  });
  for (const [cert, name] of [
    [root, 'root-ca'],
    [issuing, 'issuing-ca'],
  ] as const) {
    const pem = certToPem(cert);
    const node = parseNodeCert(pem);
    await recordCertificate(db, {
      serial: name === 'root-ca' ? rootSerial : issuingSerial,
      kind: 'ca',
      subject: oneLineSubject(node.subject),
      cn: cert.subjectName.getField('CN')[0] ?? name,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      fingerprint: sha256Fingerprint(cert.rawData),
      pem,
      actor,
    });
    await saveIdentity(db, ctx.config, name, pem, name === 'root-ca' ? rootKeys.privateKey : issuingKeys.privateKey);
  }
  await bumpRevision(db, 'trust');
  return loadCa(db, ctx.config, ctx.store.db);
}

async function isRevoked(db: Kysely<DB>, serial: string): Promise<boolean> {
  const row = await db.selectFrom('certificates').select('status').where('serial', '=', serial).executeTakeFirst();
  return row?.status === 'revoked';
}

async function needsRenewal(db: Kysely<DB>, stored: StoredIdentity | undefined, ca: CaPair, sans?: string[]): Promise<boolean> {
  if (!stored) return true;
  if (await isRevoked(db, stored.serial)) return true;
  const cert = parseNodeCert(stored.certPem);
  if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return true;
  // Issued by a CA that has since been replaced (init --force): no client would trust it.
  if (!cert.checkIssued(parseNodeCert(ca.issuing.certPem))) return true;
  if (sans) {
    // Node's own matching (IPv6 spellings, case) rather than comparing SAN strings.
    const covered = (n: string) => (isIpAddress(n) ? cert.checkIP(n) !== undefined : cert.checkHost(n, { subject: 'never' }) !== undefined);
    if (!sans.every(covered)) return true;
  }
  return false;
}

/** Issues (or renews) one of the gateway's own leaf identities, inside the PKI lock. */
async function ensureLeafIdentity(
  db: Kysely<DB>,
  ctx: AppContext,
  ca: CaPair,
  name: IdentityName,
  spec: { kind: 'server' | 'central-client' | 'audit'; cn: string; sans?: string[]; bits: number },
  actor: string,
): Promise<StoredIdentity> {
  const current = await readIdentity(db, name);
  if (!(await needsRenewal(db, current, ca, spec.sans))) return current!;
  const keys = spec.kind === 'audit' ? await generateEcKey() : await generateRsaKey(spec.bits);
  const now = Date.now();
  const leaf = await signLeaf(
    db,
    ca,
    { kind: spec.kind, cn: spec.cn, sans: spec.sans, notBefore: new Date(now - 5 * 60_000), notAfter: new Date(now + DEFAULT_DAYS[spec.kind] * 86_400_000), publicKey: keys.publicKey },
    actor,
  );
  if (current) {
    await db
      .updateTable('certificates')
      .set({ status: 'revoked', revoked_at: now, revocation_reason: 'superseded' })
      .where('serial', '=', current.serial)
      .where('status', '=', 'active')
      .execute();
  }
  const stored = await saveIdentity(db, ctx.config, name, leaf.certPem, keys.privateKey);
  ctx.log.info('Đã cấp chứng thư cho thành phần của cổng', { identity: name, serial: leaf.serial, notAfter: leaf.notAfter.toISOString(), replaced: current?.serial });
  return stored;
}

/** Makes sure the server identity for `which` exists, covers the configured names and is not near expiry. */
export async function ensureServerIdentity(ctx: AppContext, which: ServerWhich, actor = 'system:pki'): Promise<StoredIdentity> {
  const name: IdentityName = `server:${which}`;
  const sans = requiredServerNames(ctx, which);
  const ca = await loadCa(ctx.store.db, ctx.config);
  const current = await readIdentity(ctx.store.db, name);
  if (!(await needsRenewal(ctx.store.db, current, ca, sans))) return current!;
  const stored = await withWriteLock(ctx.store, PKI_LOCK, (trx) => ensureLeafIdentity(trx, ctx, ca, name, { kind: 'server', cn: sans[0], sans, bits: LEAF_BITS }, actor));
  mirrorIdentity(ctx.config.dataDir, stored, ca.chainPem);
  return stored;
}

/** The gateway's client identity for mTLS to the central database (and the audit signing identity), created on first use. */
export async function ensureOwnIdentity(ctx: AppContext, which: 'central-client' | 'audit', actor = 'system:pki'): Promise<StoredIdentity> {
  const ca = await loadCa(ctx.store.db, ctx.config);
  const current = await readIdentity(ctx.store.db, which);
  if (!(await needsRenewal(ctx.store.db, current, ca))) return current!;
  const cn = which === 'central-client' ? `ndxp-gateway ${ctx.config.tls.serverNames[0] ?? 'gateway'}` : 'ndxp-gateway audit trail';
  const stored = await withWriteLock(ctx.store, PKI_LOCK, (trx) => ensureLeafIdentity(trx, ctx, ca, which, { kind: which, cn, bits: which === 'audit' ? CA_BITS : LEAF_BITS }, actor));
  mirrorIdentity(ctx.config.dataDir, stored, ca.chainPem);
  return stored;
}

function mirrorCa(ctx: AppContext, ca: CaPair): PkiSummary['files'] {
  const dir = pkiDir(ctx.config.dataDir);
  const files = {
    dir,
    rootCa: path.join(dir, 'root-ca.pem'),
    issuingCa: path.join(dir, 'issuing-ca.pem'),
    caChain: path.join(dir, 'ca-chain.pem'),
    serverCert: path.join(dir, 'server-dataplane.cert.pem'),
  };
  writeIfChanged(files.rootCa, ca.root.certPem, 0o644);
  writeIfChanged(files.issuingCa, ca.issuing.certPem, 0o644);
  writeIfChanged(files.caChain, ca.chainPem, 0o644);
  return files;
}

async function pkiExists(db: Kysely<DB>): Promise<boolean> {
  const rows = await db.selectFrom('pki_identities').select('name').where('name', 'in', ['root-ca', 'issuing-ca']).execute();
  return rows.length === 2;
}

/**
 * Creates the PKI when absent (or replaces it with force), then the data-plane server
 * certificate and the central-client identity. With force, every certificate of the old CA
 * stops being trusted: clients need new certificates.
 */
export async function initPki(ctx: AppContext, options: { force?: boolean; actor?: string } = {}): Promise<PkiSummary> {
  const actor = options.actor ?? 'system:pki';
  let created = false;
  try {
    await withWriteLock(ctx.store, PKI_LOCK, async (trx) => {
      if ((await pkiExists(trx)) && !options.force) return;
      if (options.force) {
        const old = await trx.selectFrom('pki_identities').select('serial').where('name', 'in', ['root-ca', 'issuing-ca']).execute();
        if (old.length) {
          await trx
            .updateTable('certificates')
            .set({ status: 'revoked', revoked_at: Date.now(), revocation_reason: 'superseded' })
            .where('serial', 'in', old.map((o) => o.serial))
            .execute();
        }
      }
      await createCa(trx, ctx, actor);
      created = true;
    });
    const ca = await loadCa(ctx.store.db, ctx.config);
    const files = mirrorCa(ctx, ca);
    const server = await ensureServerIdentity(ctx, 'dataplane', actor);
    const central = await ensureOwnIdentity(ctx, 'central-client', actor);
    if (created) {
      ctx.log.info('Đã tạo CA', { root: ca.root.serial, issuing: ca.issuing.serial, force: !!options.force });
      ctx.audit.record({ kind: 'admin', actor, operation: 'certs.init', target: ca.issuing.serial, outcome: 'ok', details: { root: ca.root.serial, issuing: ca.issuing.serial, force: !!options.force } });
    }
    return {
      created,
      rootSerial: ca.root.serial,
      rootSubject: oneLineSubject(parseNodeCert(ca.root.certPem).subject),
      issuingSerial: ca.issuing.serial,
      issuingSubject: oneLineSubject(parseNodeCert(ca.issuing.certPem).subject),
      issuingNotAfter: ca.issuing.cert.notAfter.toISOString(),
      serverSerial: server.serial,
      serverNames: requiredServerNames(ctx, 'dataplane'),
      centralClientSerial: central.serial,
      files,
      masterKey: ctx.config.masterKey ? { source: 'config' } : { source: 'file', file: masterKeyFile(ctx.config.dataDir) },
    };
  } catch (err) {
    if (options.force || options.actor) {
      ctx.audit.record({ kind: 'admin', actor, operation: 'certs.init', outcome: 'failed', code: (err as { code?: string }).code ?? 'LOI_HE_THONG' });
    }
    throw err;
  }
}

/** Idempotent first-start initialisation (called by `ndxp start`). */
export async function ensurePki(ctx: AppContext): Promise<void> {
  await initPki(ctx);
}
