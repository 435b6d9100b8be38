/**
 * Record signatures (profile.schema.json $defs/chuKySo): the signed bytes are the RFC 8785 (JCS)
 * canonical JSON of the whole record without its chuKySo member, UTF-8 encoded, signed with the
 * sending unit's certificate issued by the gateway's CA.
 *
 * - RS256: RSASSA-PKCS1-v1_5 with SHA-256.
 * - ES256: ECDSA P-256 with SHA-256; the signature is the JOSE form (RFC 7518 §3.4): the raw
 *   32-byte r followed by the 32-byte s (64 bytes), NOT the ASN.1 DER SEQUENCE OpenSSL emits by
 *   default — that is what every JOSE/JWS verifier (and the central database) expects.
 * giaTri is base64 (standard alphabet, padded); chungThu the signer's certificate, base64 DER.
 */
import { sign as cryptoSign, verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';
import type { ChuKySo, HoSo, HoSoChuaKy } from './profile.js';

export type SignatureAlg = 'RS256' | 'ES256';

/** What certs/material.ts `signingIdentity(ctx, unit)` returns (extra members are ignored). */
export interface RecordSigningIdentity {
  alg: SignatureAlg;
  certDerBase64: string;
  privateKey: KeyObject;
}

// ---------------------------------------------------------------------------------------------
// RFC 8785 canonical JSON

/** Thrown for values JCS cannot represent (NaN, Infinity, lone surrogates, non-JSON types). */
export class CanonicalJsonError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'CanonicalJsonError';
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function serializeString(s: string): string {
  // RFC 8785 §3.2.2.2: JSON.stringify's escaping (ES2019+: \b \t \n \f \r \" \\, other controls
  // as lowercase \u00xx, everything else literal). Lone surrogates are not valid I-JSON.
  if (LONE_SURROGATE.test(s)) throw new CanonicalJsonError('string contains a lone surrogate');
  return JSON.stringify(s);
}

function serializeNumber(n: number): string {
  // RFC 8785 §3.2.2.3: ECMAScript Number.prototype.toString, which JSON.stringify applies to
  // finite numbers (-0 becomes 0).
  if (!Number.isFinite(n)) throw new CanonicalJsonError(`number ${n} has no JSON representation`);
  return JSON.stringify(n);
}

/** Sorts by UTF-16 code units (RFC 8785 §3.2.3), which is what a plain comparison of JS strings does. */
function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function serialize(value: unknown, out: string[], depth: number): void {
  if (depth > 1000) throw new CanonicalJsonError('value nested too deeply');
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      out.push(serializeNumber(value));
      return;
    case 'string':
      out.push(serializeString(value));
      return;
    case 'object': {
      if (Array.isArray(value)) {
        out.push('[');
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out.push(',');
          const v = value[i];
          if (v === undefined || typeof v === 'function' || typeof v === 'symbol') throw new CanonicalJsonError(`array element ${i} is not a JSON value`);
          serialize(v, out, depth + 1);
        }
        out.push(']');
        return;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new CanonicalJsonError(`${proto?.constructor?.name ?? 'object'} is not a plain JSON object`);
      const obj = value as Record<string, unknown>;
      // Members whose value is undefined are absent, as in JSON.stringify.
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort(compareUtf16);
      out.push('{');
      keys.forEach((k, i) => {
        if (i > 0) out.push(',');
        out.push(serializeString(k), ':');
        serialize(obj[k], out, depth + 1);
      });
      out.push('}');
      return;
    }
    default:
      throw new CanonicalJsonError(`${typeof value} is not a JSON value`);
  }
}

/** RFC 8785 (JSON Canonicalization Scheme) serialisation of a JSON value. */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  serialize(value, out, 0);
  return out.join('');
}

/** The bytes a record's signature covers: canonical JSON of the record without chuKySo, UTF-8. */
export function signedBytes(record: HoSoChuaKy | HoSo | Record<string, unknown>): Buffer {
  const { chuKySo: _omit, ...rest } = record as Record<string, unknown>;
  return Buffer.from(canonicalJson(rest), 'utf8');
}

// ---------------------------------------------------------------------------------------------
// Signing

/** RFC 3339 in Vietnam time (+07:00), as the rest of the record writes instants. */
export function rfc3339Vietnam(at: Date): string {
  const local = new Date(at.getTime() + 7 * 3600 * 1000).toISOString(); // yyyy-MM-ddTHH:mm:ss.sssZ
  return `${local.slice(0, 19)}+07:00`;
}

function checkKey(alg: SignatureAlg, key: KeyObject, what: string): void {
  if (alg === 'RS256') {
    if (key.asymmetricKeyType !== 'rsa') throw new TypeError(`RS256 needs an RSA ${what} (got ${key.asymmetricKeyType})`);
    return;
  }
  if (alg === 'ES256') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (key.asymmetricKeyType !== 'ec' || (curve !== 'prime256v1' && curve !== 'P-256')) {
      throw new TypeError(`ES256 needs a P-256 EC ${what} (got ${key.asymmetricKeyType} ${curve ?? ''})`);
    }
    return;
  }
  throw new TypeError(`unsupported signature algorithm ${String(alg)}`);
}

function rawSign(alg: SignatureAlg, data: Buffer, key: KeyObject): Buffer {
  return alg === 'ES256' ? cryptoSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }) : cryptoSign('sha256', data, key);
}

/** The same signature computed on libuv's thread pool: an RSA-3072 signature costs milliseconds. */
function rawSignAsync(alg: SignatureAlg, data: Buffer, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, sig: Buffer) => (err ? reject(err) : resolve(sig));
    if (alg === 'ES256') cryptoSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, done);
    else cryptoSign('sha256', data, key, done);
  });
}

function withSignature(rest: HoSoChuaKy, identity: RecordSigningIdentity, signature: Buffer, now: Date): HoSo {
  const chuKySo: ChuKySo = {
    thuatToan: identity.alg,
    chungThu: identity.certDerBase64,
    giaTri: signature.toString('base64'),
    thoiDiemKy: rfc3339Vietnam(now),
  };
  return { ...rest, chuKySo } as HoSo;
}

/**
 * Signs a record: returns a new record with `chuKySo` (members in the record's order, chuKySo
 * last). Any chuKySo already present is replaced, never signed over.
 */
export function signRecord(unsigned: HoSoChuaKy, identity: RecordSigningIdentity, now: Date = new Date()): HoSo {
  checkKey(identity.alg, identity.privateKey, 'private key');
  const { chuKySo: _old, ...rest } = unsigned as HoSoChuaKy & { chuKySo?: unknown };
  return withSignature(rest, identity, rawSign(identity.alg, signedBytes(rest), identity.privateKey), now);
}

/**
 * signRecord with the private-key operation off the event loop (libuv thread pool), so a batch
 * of records signs in parallel and the gateway keeps answering meanwhile. Same result.
 */
export async function signRecordAsync(unsigned: HoSoChuaKy, identity: RecordSigningIdentity, now: Date = new Date()): Promise<HoSo> {
  checkKey(identity.alg, identity.privateKey, 'private key');
  const { chuKySo: _old, ...rest } = unsigned as HoSoChuaKy & { chuKySo?: unknown };
  return withSignature(rest, identity, await rawSignAsync(identity.alg, signedBytes(rest), identity.privateKey), now);
}

// ---------------------------------------------------------------------------------------------
// Verification

export interface VerifyOptions {
  /** PEM certificates trusted as issuers (the gateway's root and issuing CA, trust anchors). */
  trustedCaPems?: string[];
  /** Check the certificate's validity at this instant; default: thoiDiemKy, else now. */
  at?: Date;
}

export type VerifyResult =
  | { ok: true; alg: SignatureAlg; subject: string; serial: string; issuer: string }
  | { ok: false; code: string; reason: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function fail(code: string, reason: string): VerifyResult {
  return { ok: false, code, reason };
}

function parsePems(pems: string[]): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const text of pems) {
    for (const m of text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)) out.push(new X509Certificate(m[0]));
  }
  return out;
}

/**
 * Verifies a signed record: recomputes the canonical bytes without chuKySo and checks giaTri with
 * the public key of the embedded certificate, and that the certificate was valid when the record
 * was signed; with `trustedCaPems`, also that it was issued (signature checked) by one of those CA
 * certificates. Never throws; reasons are Vietnamese.
 */
export function verifyRecord(record: unknown, options: VerifyOptions = {}): VerifyResult {
  if (!record || typeof record !== 'object' || Array.isArray(record)) return fail('CHU_KY_KHONG_HOP_LE', 'Hồ sơ không phải là một đối tượng JSON');
  const sig = (record as { chuKySo?: unknown }).chuKySo as Partial<ChuKySo> | undefined;
  if (!sig || typeof sig !== 'object') return fail('THIEU_CHU_KY', 'Hồ sơ chưa có chữ ký số (chuKySo)');
  const alg = sig.thuatToan;
  if (alg !== 'RS256' && alg !== 'ES256') return fail('CHU_KY_KHONG_HOP_LE', `Thuật toán ký không được hỗ trợ: ${String(alg)}`);
  if (typeof sig.chungThu !== 'string' || !BASE64.test(sig.chungThu) || typeof sig.giaTri !== 'string' || !BASE64.test(sig.giaTri)) {
    return fail('CHU_KY_KHONG_HOP_LE', 'Chứng thư hoặc giá trị chữ ký không phải base64');
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(sig.chungThu, 'base64'));
  } catch {
    return fail('CHUNG_THU_KHONG_HOP_LE', 'Chứng thư ký không đọc được (không phải X.509 DER)');
  }
  try {
    checkKey(alg, cert.publicKey, 'certificate');
  } catch {
    return fail('CHU_KY_KHONG_HOP_LE', `Khóa công khai của chứng thư không dùng được với thuật toán ${alg}`);
  }
  let data: Buffer;
  try {
    data = signedBytes(record as Record<string, unknown>);
  } catch (err) {
    return fail('CHU_KY_KHONG_HOP_LE', `Hồ sơ không chuẩn hóa được theo RFC 8785: ${(err as Error).message}`);
  }
  const signature = Buffer.from(sig.giaTri, 'base64');
  const valid =
    alg === 'ES256'
      ? signature.length === 64 && cryptoVerify('sha256', data, { key: cert.publicKey, dsaEncoding: 'ieee-p1363' }, signature)
      : cryptoVerify('sha256', data, cert.publicKey, signature);
  if (!valid) return fail('CHU_KY_KHONG_DUNG', 'Chữ ký số không khớp nội dung hồ sơ (hồ sơ đã bị thay đổi hoặc ký bằng khóa khác)');

  const at = options.at ?? (typeof sig.thoiDiemKy === 'string' && Number.isFinite(Date.parse(sig.thoiDiemKy)) ? new Date(sig.thoiDiemKy) : new Date());
  if (at < new Date(cert.validFrom) || at > new Date(cert.validTo)) {
    return fail('CHUNG_THU_HET_HIEU_LUC', `Chứng thư ký không có hiệu lực tại thời điểm ${at.toISOString()}`);
  }
  if (options.trustedCaPems) {
    let cas: X509Certificate[];
    try {
      cas = parsePems(options.trustedCaPems);
    } catch {
      return fail('CHUNG_THU_KHONG_HOP_LE', 'Danh sách chứng thư tin cậy không đọc được');
    }
    // Every listed CA is trusted in its own right (a list with only the issuing CA works too), so
    // one verified hop from the signer to a listed CA certificate is the whole check.
    const trusted = cas.some((ca) => ca.ca && cert.checkIssued(ca) && cert.verify(ca.publicKey));
    if (!trusted) return fail('CHUNG_THU_KHONG_TIN_CAY', 'Chứng thư ký không do tổ chức chứng thực tin cậy cấp');
  }
  return { ok: true, alg, subject: cert.subject, serial: cert.serialNumber, issuer: cert.issuer };
}
