/**
 * Ready-to-use TLS and signing material from the gateway's PKI, for the listeners (data plane,
 * admin plane, central simulator), the delivery client and the record / audit signers. Private
 * keys are decrypted here, in memory only.
 */
import type { KeyObject } from 'node:crypto';
import type { AppContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import { loadCa } from './ca.js';
import { openIdentity, readIdentity, type IdentityName, type StoredIdentity } from './identities.js';
import { ensureOwnIdentity, ensurePki, ensureServerIdentity, type ServerWhich } from './pki.js';
import { CertError } from './types.js';
import { buildCrls } from './revocation.js';
import { plainPrivateKeyPem, decryptPrivateKey } from './secrets.js';
import { listTrustAnchors } from './trust.js';
import { parseNodeCert } from './x509.js';
import { validateUnit } from './issue.js';

export interface ServerTlsMaterial {
  /** Unencrypted PKCS#8 PEM (memory only). */
  key: string;
  /** Leaf + issuing CA, so clients that only know our root can build the chain. */
  cert: string;
  /** Root + issuing CA + trust anchors: what client certificates may chain to. */
  ca: string[];
  /**
   * CRLs of the issuing CA and the root. Given to OpenSSL, a revoked certificate fails the
   * handshake itself. Absent when foreign trust anchors are configured: Node turns on
   * CRL_CHECK_ALL with any CRL, which would then refuse every certificate of a CA whose CRL we
   * do not hold; the per-connection and per-request serial check covers revocation then.
   */
  crl?: string[];
}

export interface ClientTlsIdentity {
  key: string;
  cert: string;
  ca: string[];
}

export interface SigningIdentity {
  alg: 'RS256' | 'ES256';
  /** The signer's certificate, base64 DER (chuKySo.chungThu). */
  certDerBase64: string;
  privateKey: KeyObject;
  /** Also handy for audit checkpoints and verification. */
  certPem: string;
  serial: string;
}

/**
 * Runs `fn`; when the PKI does not exist yet (a process that needs TLS or signing material
 * before anyone ran `ndxp certs init`), creates it first, as the first `ndxp start` would.
 */
async function withPki<T>(ctx: AppContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof CertError && err.code === 'PKI_CHUA_KHOI_TAO')) throw err;
    await ensurePki(ctx);
    return fn();
  }
}

async function caList(ctx: AppContext): Promise<{ ours: string[]; anchors: string[] }> {
  const ca = await loadCa(ctx.store.db, ctx.config);
  const anchors = (await listTrustAnchors(ctx.store.db)).map((a) => a.pem);
  return { ours: [ca.root.certPem, ca.issuing.certPem], anchors };
}

export async function serverTlsMaterial(ctx: AppContext, which: ServerWhich): Promise<ServerTlsMaterial> {
  const identity = await withPki(ctx, () => ensureServerIdentity(ctx, which));
  const ca = await loadCa(ctx.store.db, ctx.config);
  const { ours, anchors } = await caList(ctx);
  const material: ServerTlsMaterial = {
    key: plainPrivateKeyPem(decryptPrivateKey(identity.encryptedKeyPem, ctx.config)),
    cert: identity.certPem + ca.issuing.certPem,
    ca: [...ours, ...anchors],
  };
  if (anchors.length === 0) {
    // Long validity on purpose: this CRL is rebuilt on every revocation and refreshed daily by
    // the watcher; an expired CRL inside OpenSSL would lock every client out.
    const crls = await buildCrls(ctx.store.db, ctx.config, { validityDays: 365, ca });
    material.crl = [crls.issuingPem, crls.rootPem];
  }
  return material;
}

/** The gateway's client identity for mutual TLS to the central database (created on first use). */
export async function centralClientIdentity(ctx: AppContext): Promise<ClientTlsIdentity> {
  const identity = await withPki(ctx, () => ensureOwnIdentity(ctx, 'central-client'));
  const ca = await loadCa(ctx.store.db, ctx.config);
  const { ours, anchors } = await caList(ctx);
  return {
    key: plainPrivateKeyPem(decryptPrivateKey(identity.encryptedKeyPem, ctx.config)),
    cert: identity.certPem + ca.issuing.certPem,
    ca: [...ours, ...anchors],
  };
}

/** Opens a stored signing identity (a key decryption: callers that sign per record cache it, certs/signer.ts). */
function openSigning(ctx: AppContext, stored: StoredIdentity): SigningIdentity {
  const open = openIdentity(stored, ctx.config);
  const identity: SigningIdentity = {
    alg: open.privateKey.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256',
    certDerBase64: parseNodeCert(stored.certPem).raw.toString('base64'),
    privateKey: open.privateKey,
    certPem: stored.certPem,
    serial: stored.serial,
  };
  return identity;
}

/**
 * The signing identity of one unit (records are signed in the unit's name before delivery).
 * Throws CHUA_CO_CHUNG_THU_KY naming the unit when there is none, or it is revoked or expired.
 */
export async function signingIdentity(ctx: AppContext, unitCode: string): Promise<SigningIdentity> {
  const refuse = (reason: string) => new GatewayError('CHUA_CO_CHUNG_THU_KY', { unit: unitCode }, reason);
  try {
    validateUnit(unitCode, true);
  } catch {
    throw refuse('not a unit code');
  }
  const name: IdentityName = `signing:${unitCode}`;
  const stored = await readIdentity(ctx.store.db, name);
  if (!stored) throw refuse('no signing identity');
  const row = await ctx.store.db.selectFrom('certificates').select(['status', 'not_after']).where('serial', '=', stored.serial).executeTakeFirst();
  if (!row || row.status !== 'active') throw refuse(`signing certificate ${stored.serial} is ${row?.status ?? 'unknown'}`);
  if (Number(row.not_after) < Date.now()) throw refuse(`signing certificate ${stored.serial} expired`);
  return openSigning(ctx, stored);
}

/** The audit trail's checkpoint signing identity, created on first use. */
export async function auditSigningIdentity(ctx: AppContext): Promise<SigningIdentity> {
  const stored = await withPki(ctx, () => ensureOwnIdentity(ctx, 'audit'));
  return openSigning(ctx, stored);
}
