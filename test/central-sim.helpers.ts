/**
 * Shared by the central simulator's tests: a real PKI from the certs area (server certificate for
 * the simulator, the gateway's central-client identity, a unit signing certificate), signed
 * sample records, and an mTLS HTTP client (undici, as the delivery uses).
 */
import { createPrivateKey, sign as cryptoSign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Agent, request } from 'undici';
import { ensurePki } from '../certs/pki.js';
import { centralClientIdentity, serverTlsMaterial } from '../certs/material.js';
import { issueCertificate } from '../certs/issue.js';
import { x509, webCrypto } from '../certs/x509.js';
import type { Config } from '../config/config.js';
import { canonicalJson } from '../central-sim/signature.js';
import type { SimTlsMaterial } from '../central-sim/tls.js';
import { CONTRACTS, onCleanup, testContext, testConfig } from './helpers/env.js';

export interface Signer {
  alg: 'RS256' | 'ES256';
  certDerBase64: string;
  privateKey: KeyObject;
}

export interface SimPki {
  config: Config;
  tls: SimTlsMaterial;
  client: { key: string; cert: string; ca: string[] };
  /** A legacy software's client certificate from the same CA (not the gateway's identity). */
  legacyClient: { key: string; cert: string };
  signer: Signer;
}

/** A fresh data directory with the gateway's PKI, as `ndxp start` would create it. */
export async function simPki(): Promise<SimPki> {
  const config = testConfig('sqlite');
  const ctx = await testContext('sqlite', config);
  await ensurePki(ctx);
  const tls = await serverTlsMaterial(ctx, 'central-sim');
  const client = await centralClientIdentity(ctx);
  const issued = await issueCertificate(ctx, { kind: 'signing', cn: 'Sở Nội vụ tỉnh Bắc Giang', unit: '000.00.00.H06' }, 'test');
  const signer: Signer = {
    alg: 'RS256',
    certDerBase64: new X509Certificate(issued.certPem).raw.toString('base64'),
    privateKey: createPrivateKey(issued.keyPem),
  };
  if (signer.privateKey.asymmetricKeyType === 'ec') signer.alg = 'ES256';
  const legacy = await issueCertificate(ctx, { kind: 'client', cn: 'PM-QLCB-A', unit: '000.00.00.H06' }, 'test');
  return { config, tls, client, legacyClient: { key: legacy.keyPem, cert: legacy.certPem }, signer };
}

/**
 * An ES256 signer under a self-made EC CA that no gateway PKI knows: for the untrusted-CA case,
 * and (with the CA given to the simulator) for the ES256 path.
 */
export async function foreignEcSigner(): Promise<{ signer: Signer; caPem: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const notBefore = new Date(Date.now() - 86_400_000);
  const notAfter = new Date(Date.now() + 30 * 86_400_000);
  const caKeys = (await webCrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Foreign test CA',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const leafKeys = (await webCrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=Foreign signer',
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingKey: caKeys.privateKey,
    publicKey: leafKeys.publicKey,
    signingAlgorithm: alg,
  });
  const pkcs8 = await webCrypto.subtle.exportKey('pkcs8', leafKeys.privateKey);
  return {
    signer: { alg: 'ES256', certDerBase64: Buffer.from(leaf.rawData).toString('base64'), privateKey: createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }) },
    caPem: ca.toString('pem'),
  };
}

type CryptoKeyPair = { privateKey: import('node:crypto').webcrypto.CryptoKey; publicKey: import('node:crypto').webcrypto.CryptoKey };

const SAMPLE = JSON.parse(readFileSync(path.join(CONTRACTS, 'vendors/vendor-a-asmx/samples/DongBoHoSo.expected.json'), 'utf8')) as Record<
  string,
  unknown
>;

/** The contract's sample record with its placeholders filled in, unsigned. */
export function unsignedProfile(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { chuKySo: _placeholder, ...rest } = structuredClone(SAMPLE);
  return { ...rest, nguon: { maPhanMem: 'PM-QLCB-A', maDonViGui: '000.00.00.H06', dinhDangGoc: 'vendor-a-asmx' }, ...overrides };
}

/** Signs a record as the contract says: JCS of the record without chuKySo, UTF-8. */
export function signProfile(record: Record<string, unknown>, signer: Signer): Record<string, unknown> {
  const { chuKySo: _old, ...unsigned } = record;
  const data = Buffer.from(canonicalJson(unsigned), 'utf8');
  const giaTri =
    signer.alg === 'RS256'
      ? cryptoSign('sha256', data, signer.privateKey)
      : cryptoSign('sha256', data, { key: signer.privateKey, dsaEncoding: 'ieee-p1363' });
  return {
    ...unsigned,
    chuKySo: { thuatToan: signer.alg, chungThu: signer.certDerBase64, giaTri: giaTri.toString('base64'), thoiDiemKy: new Date().toISOString() },
  };
}

let serial = 0;
/** A signed record for person n at the given version. */
export function profile(signer: Signer, soDinhDanh: string, ngayCapNhat: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return signProfile(unsignedProfile({ soDinhDanh, ngayCapNhat, ...overrides }), signer);
}

export function uniqueKey(prefix = 'k'): string {
  serial += 1;
  return `${prefix}-${process.pid}-${Date.now()}-${serial}-abcdefgh`;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface SimClient {
  call(
    method: string,
    path: string,
    options?: { body?: unknown; rawBody?: string; headers?: Record<string, string>; key?: string | null; timeoutMs?: number },
  ): Promise<Answer>;
  close(): Promise<void>;
}

/** An mTLS client for the simulator; sends the contract's headers unless told otherwise. */
export function simClient(url: string, identity: { key: string; cert: string; ca: string | string[] } | { ca: string | string[] }): SimClient {
  const agent = new Agent({ connect: { ...identity }, keepAliveTimeout: 2000 });
  onCleanup(() => agent.destroy());
  return {
    async call(method, p, options = {}) {
      const headers: Record<string, string> = {
        authorization: 'Bearer test-token',
        'x-ma-don-vi': '000.00.00.H06',
        'x-ma-phan-mem': 'PM-QLCB-A',
        ...(options.body !== undefined || options.rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
      };
      if (method !== 'GET' && options.key !== null) headers['idempotency-key'] = options.key ?? uniqueKey();
      Object.assign(headers, options.headers ?? {});
      for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
      const res = await request(`${url}${p}`, {
        method: method as 'GET',
        headers,
        body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
        dispatcher: agent,
        signal: options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined,
      });
      const text = await res.body.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, headers: res.headers, text, json };
    },
    close: () => agent.close(),
  };
}
