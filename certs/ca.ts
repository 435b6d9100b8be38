/**
 * The issuing CA as a signer: its certificate, a WebCrypto signing key and the chain to hand
 * out. Cached per store; the cache is checked against the stored serial on every use so an
 * `ndxp certs init --force` on another instance is picked up.
 */
import type { Kysely } from 'kysely';
import type { Config } from '../config/config.js';
import type { DB } from '../core/store/schema.js';
import { openIdentity, readIdentity } from './identities.js';
import { toSigningKey, x509, type CryptoKey } from './x509.js';
import { CertError } from './types.js';

export interface CaSigner {
  serial: string;
  cert: x509.X509Certificate;
  certPem: string;
  signingKey: CryptoKey;
  /** Subject key identifier (hex) for AuthorityKeyIdentifier of what it signs. */
  keyId?: string;
}

export interface CaPair {
  root: CaSigner;
  issuing: CaSigner;
  /** Issuing CA then root, PEM: what a client needs to verify our server, and what goes into bundles. */
  chainPem: string;
}

const cache = new WeakMap<object, { key: string; pair: CaPair }>();

async function signer(db: Kysely<DB>, config: Pick<Config, 'masterKey' | 'dataDir'>, name: 'root-ca' | 'issuing-ca'): Promise<CaSigner | undefined> {
  const stored = await readIdentity(db, name);
  if (!stored) return undefined;
  const open = openIdentity(stored, config);
  const ski = open.cert.getExtension(x509.SubjectKeyIdentifierExtension);
  return { serial: stored.serial, cert: open.cert, certPem: stored.certPem, signingKey: await toSigningKey(open.privateKey), keyId: ski?.keyId };
}

/** Loads root + issuing CA, or throws PKI_CHUA_KHOI_TAO when `ndxp certs init` has not run. */
export async function loadCa(db: Kysely<DB>, config: Pick<Config, 'masterKey' | 'dataDir'>, cacheOwner: object = db): Promise<CaPair> {
  const rows = await db.selectFrom('pki_identities').select(['name', 'serial']).where('name', 'in', ['root-ca', 'issuing-ca']).execute();
  const key = rows.map((r) => `${r.name}=${r.serial}`).sort().join(';');
  const cached = cache.get(cacheOwner);
  if (cached && cached.key === key) return cached.pair;
  const root = await signer(db, config, 'root-ca');
  const issuing = await signer(db, config, 'issuing-ca');
  if (!root || !issuing) throw new CertError('PKI_CHUA_KHOI_TAO', 'Chưa khởi tạo CA của cổng; chạy "ndxp certs init" (hoặc "ndxp start" lần đầu)');
  const pair = { root, issuing, chainPem: issuing.certPem + root.certPem };
  cache.set(cacheOwner, { key, pair });
  return pair;
}
