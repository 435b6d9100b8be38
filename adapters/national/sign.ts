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

/** String.prototype.isWellFormed (ES2024, in Node 20 and later), else the same test by regex. */
const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s) => (s as string & { isWellFormed(): boolean }).isWellFormed()
    : (s) => !LONE_SURROGATE.test(s);

function serializeString(s: string): string {
  // RFC 8785 §3.2.2.2: JSON.stringify's escaping (ES2019+: \b \t \n \f \r \" \\, other controls
  // as lowercase \u00xx, everything else literal). Lone surrogates are not valid I-JSON.
  if (!isWellFormed(s)) throw new CanonicalJsonError('string contains a lone surrogate');
  return JSON.stringify(s);
}

function serializeNumber(n: number): string {
  // RFC 8785 §3.2.2.3: ECMAScript Number.prototype.toString, which JSON.stringify applies to
  // finite numbers (-0 becomes 0).
  if (!Number.isFinite(n)) throw new CanonicalJsonError(`number ${n} has no JSON representation`);
  return JSON.stringify(n);
}

/**
 * The members of a plain object in RFC 8785 order (UTF-16 code units, §3.2.3, which is what a
 * comparison of JS strings gives); members whose value is undefined are absent, as in
 * JSON.stringify. Throws for anything that is not a plain JSON object. Sorted in place by
 * insertion for the few members a record's objects have: Array.prototype.sort allocated its
 * work arrays for every object of every record (≈ 10 kB per record).
 */
function memberKeys(value: object): string[] {
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw new CanonicalJsonError(`${proto?.constructor?.name ?? 'object'} is not a plain JSON object`);
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  let n = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (obj[k] !== undefined) keys[n++] = k;
  }
  keys.length = n;
  if (n > 32) return keys.sort();
  for (let i = 1; i < n; i++) {
    const k = keys[i];
    let j = i - 1;
    while (j >= 0 && keys[j] > k) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/** `"name":` for member names, which repeat in every record: kept rather than written again. */
const memberNames = new Map<string, string>();

function memberName(k: string): string {
  let quoted = memberNames.get(k);
  if (quoted === undefined) {
    quoted = serializeString(k) + ':';
    // Bounded: names come from records, and a hostile record could carry many.
    if (memberNames.size < 4096 && k.length <= 64) memberNames.set(k, quoted);
  }
  return quoted;
}

// Built by string concatenation, not an array of parts joined at the end: every record is
// serialised like this once for its signature.
function serialize(value: unknown, depth: number): string {
  if (depth > 1000) throw new CanonicalJsonError('value nested too deeply');
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return serializeNumber(value);
    case 'string':
      return serializeString(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          if (v === undefined || typeof v === 'function' || typeof v === 'symbol') throw new CanonicalJsonError(`array element ${i} is not a JSON value`);
          out += (i > 0 ? ',' : '') + serialize(v, depth + 1);
        }
        return out + ']';
      }
      const obj = value as Record<string, unknown>;
      const keys = memberKeys(obj);
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        out += (i > 0 ? ',' : '') + memberName(k) + serialize(obj[k], depth + 1);
      }
      return out + '}';
    }
    default:
      throw new CanonicalJsonError(`${typeof value} is not a JSON value`);
  }
}

/** RFC 8785 (JSON Canonicalization Scheme) serialisation of a JSON value. */
export function canonicalJson(value: unknown): string {
  return serialize(value, 0);
}

/** The bytes a record's signature covers: canonical JSON of the record without chuKySo, UTF-8. */
export function signedBytes(record: HoSoChuaKy | HoSo | Record<string, unknown>): Buffer {
  const { chuKySo: _omit, ...rest } = record as Record<string, unknown>;
  return Buffer.from(canonicalJson(rest), 'utf8');
}

/**
 * The canonical JSON of a record without chuKySo (what is signed), and where in it the member
 * `"chuKySo":…` goes once the record is signed: the index at which it is inserted (after a
 * comma, unless it becomes the first member).
 */
function unsignedCanonical(rest: Record<string, unknown>): { text: string; signatureAt: number; first: boolean } {
  const keys = memberKeys(rest);
  let text = '{';
  let signatureAt = 1;
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    text += (i > 0 ? ',' : '') + memberName(k) + serialize(rest[k], 1);
    if (k < 'chuKySo') {
      signatureAt = text.length;
      first = false;
    }
  }
  return { text: text + '}', signatureAt, first };
}

/**
 * The canonical JSON of each record this process signed, chuKySo included, computed from the
 * text that was signed instead of walking the record again. Kept only as long as the record
 * object lives; a signed record is never changed afterwards (its signature covers it).
 */
const signedRecordTexts = new WeakMap<HoSo, string>();

/**
 * The RFC 8785 canonical JSON of `record` (chuKySo included) when this module signed that very
 * object, else undefined. For such a record it is the text of gateway/delivery/idempotency.ts
 * stableJson (keys sorted the same way, the same escaping and number forms), which the
 * idempotency key digests: the key is the same, one serialisation less per record.
 */
export function signedRecordJson(record: unknown): string | undefined {
  return typeof record === 'object' && record !== null ? signedRecordTexts.get(record as HoSo) : undefined;
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

function withSignature(rest: HoSoChuaKy, identity: RecordSigningIdentity, signature: Buffer, now: Date, canonical: ReturnType<typeof unsignedCanonical>): HoSo {
  const chuKySo: ChuKySo = {
    thuatToan: identity.alg,
    chungThu: identity.certDerBase64,
    giaTri: signature.toString('base64'),
    thoiDiemKy: rfc3339Vietnam(now),
  };
  const signed = { ...rest, chuKySo } as HoSo;
  let member: string;
  try {
    member = `"chuKySo":${canonicalJson(chuKySo)}`;
  } catch {
    return signed; // a certificate text JCS cannot hold: nothing kept, the key walks the record
  }
  const { text, signatureAt, first } = canonical;
  const whole = first
    ? `{${member}${text.length > 2 ? ',' : ''}${text.slice(1)}`
    : `${text.slice(0, signatureAt)},${member}${text.slice(signatureAt)}`;
  signedRecordTexts.set(signed, whole);
  return signed;
}

/**
 * Signs a record: returns a new record with `chuKySo` (members in the record's order, chuKySo
 * last). Any chuKySo already present is replaced, never signed over.
 */
export function signRecord(unsigned: HoSoChuaKy, identity: RecordSigningIdentity, now: Date = new Date()): HoSo {
  checkKey(identity.alg, identity.privateKey, 'private key');
  const { chuKySo: _old, ...rest } = unsigned as HoSoChuaKy & { chuKySo?: unknown };
  const canonical = unsignedCanonical(rest);
  return withSignature(rest, identity, rawSign(identity.alg, Buffer.from(canonical.text, 'utf8'), identity.privateKey), now, canonical);
}

/**
 * signRecord with the private-key operation off the event loop (libuv thread pool), so a batch
 * of records signs in parallel and the gateway keeps answering meanwhile. Same result.
 */
export async function signRecordAsync(unsigned: HoSoChuaKy, identity: RecordSigningIdentity, now: Date = new Date()): Promise<HoSo> {
  checkKey(identity.alg, identity.privateKey, 'private key');
  const { chuKySo: _old, ...rest } = unsigned as HoSoChuaKy & { chuKySo?: unknown };
  const canonical = unsignedCanonical(rest);
  return withSignature(rest, identity, await rawSignAsync(identity.alg, Buffer.from(canonical.text, 'utf8'), identity.privateKey), now, canonical);
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
