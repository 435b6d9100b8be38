/**
 * Test material for the national area: a throw-away CA issuing RS256 / ES256 signing identities
 * (@peculiar/x509 over Node's WebCrypto), and the vendor A sample record.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KeyObject, webcrypto } from 'node:crypto';
import { x509, webCrypto } from '../certs/x509.js';
import type { RecordSigningIdentity } from '../adapters/national/sign.js';
import { CONTRACTS } from './helpers/env.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface TestCa {
  pem: string;
  issue(alg: 'RS256' | 'ES256', opts?: { notBefore?: Date; notAfter?: Date; unit?: string }): Promise<RecordSigningIdentity & { ecPublic?: CryptoKey }>;
}

export async function makeCa(name: string): Promise<TestCa> {
  const keys = (await webCrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as CryptoKeyPair;
  // Valid since 2020: tests sign "in" 2025.
  const notBefore = new Date('2020-01-01T00:00:00Z');
  const notAfter = new Date(Date.now() + 365 * 86_400_000);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}`,
    notBefore,
    notAfter,
    keys: keys as never,
    signingAlgorithm: RSA,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  let serial = 2;
  return {
    pem: ca.toString('pem'),
    async issue(alg, opts = {}) {
      const leafKeys = (await webCrypto.subtle.generateKey(alg === 'ES256' ? EC : RSA, true, ['sign', 'verify'])) as CryptoKeyPair;
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: (serial++).toString(16).padStart(2, '0'),
        subject: `CN=ky-so-${alg}, OU=${opts.unit ?? '000.00.00.H06'}`,
        issuer: ca.subject,
        notBefore: opts.notBefore ?? notBefore,
        notAfter: opts.notAfter ?? notAfter,
        publicKey: leafKeys.publicKey as never,
        signingKey: keys.privateKey as never,
        signingAlgorithm: RSA,
        extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true)],
      });
      return {
        alg,
        certDerBase64: Buffer.from(cert.rawData).toString('base64'),
        privateKey: KeyObject.from(leafKeys.privateKey as never),
        ecPublic: alg === 'ES256' ? (leafKeys.publicKey as CryptoKey) : undefined,
      };
    },
  };
}

/** DongBoHoSo.expected.json with the software id filled in and without the chuKySo placeholder. */
export function expectedVendorARecord(softwareId = 'QLCB-A-2012'): Record<string, any> {
  const r = JSON.parse(readFileSync(path.join(CONTRACTS, 'vendors/vendor-a-asmx/samples/DongBoHoSo.expected.json'), 'utf8'));
  delete r.chuKySo;
  r.nguon.maPhanMem = softwareId;
  return r;
}

export const SAMPLE_REMAP_RULES = JSON.parse(readFileSync(path.join(CONTRACTS, 'national/unit-remap.sample.json'), 'utf8'));

/** The post-2025 units the samples end up in. */
export const SAMPLE_TREE = {
  donVi: [
    { maDinhDanh: '000.00.00.H06', ten: 'UBND tỉnh Bắc Ninh', cap: 1, hieuLucTu: '2025-07-01', maCu: ['000.00.00.H03'] },
    { maDinhDanh: '000.05.31.H06', ten: 'Sở Nội vụ tỉnh Bắc Ninh', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01', maCu: ['000.05.31.H03'] },
    { maDinhDanh: '000.07.12.H06', ten: 'Sở Tài chính tỉnh Bắc Ninh', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01' },
  ],
};

/** A tree with every resolution case: old codes in maCu, one old code two successors claim, a closed unit. */
export const REMAP_TEST_TREE = {
  donVi: [
    { maDinhDanh: '000.00.00.H06', ten: 'UBND tỉnh Bắc Ninh', cap: 1, hieuLucTu: '2025-07-01', maCu: ['000.00.00.H03'] },
    { maDinhDanh: '000.05.31.H06', ten: 'Sở Nội vụ tỉnh Bắc Ninh', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01' },
    { maDinhDanh: '000.07.12.H06', ten: 'Sở Tài chính', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01' },
    { maDinhDanh: '001.02.03.H06', ten: 'Xã Tân Mỹ', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01', maCu: ['001.02.03.H03', '001.02.04.H03'] },
    { maDinhDanh: '002.02.03.H06', ten: 'Phường Bắc', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01', maCu: ['009.09.09.H09'] },
    { maDinhDanh: '003.02.03.H06', ten: 'Phường Nam', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01', maCu: ['009.09.09.H09'] },
    { maDinhDanh: '000.09.01.H06', ten: 'Ban đã giải thể', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01', hieuLucDen: '2025-08-01' },
  ],
};
