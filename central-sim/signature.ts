/**
 * Verification of a record's `chuKySo` the way the central database does it: the signed bytes are
 * the RFC 8785 (JCS) canonical JSON of the record without `chuKySo`, UTF-8; the signer's
 * certificate travels in the record (base64 DER) and must chain to a trusted CA.
 *
 * This is deliberately an independent implementation rather than an import of the gateway's
 * signer module: the simulator stands in for an outside party, and a canonicalisation bug shared
 * by signer and verifier would pass unnoticed if both used the same code.
 */
import { X509Certificate, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { ChiTietLoi } from './messages.js';

/** RFC 8785 canonical JSON: sorted keys (UTF-16 code units), ECMAScript number and string forms. */
export function canonicalJson(value: unknown): string {
  // String building rather than map/join: this runs on every record of every write.
  switch (typeof value) {
    case 'string':
      // I-JSON (which JCS requires) has no lone surrogates; JSON.stringify would escape them.
      if (!(value as unknown as { isWellFormed(): boolean }).isWellFormed()) throw new TypeError('JCS: chuỗi chứa ký tự thay thế đơn lẻ');
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('JCS: số không hữu hạn');
      return String(value); // Number::toString is exactly the JCS number form (and -0 becomes 0)
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += value[i] === undefined ? 'null' : canonicalJson(value[i]);
        }
        return out + ']';
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const v = obj[key];
        if (v === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += canonicalJson(key) + ':' + canonicalJson(v);
      }
      return out + '}';
    }
    default:
      throw new TypeError(`JCS: kiểu ${typeof value} không biểu diễn được`);
  }
}

export interface SignatureVerifierOptions {
  /** PEM certificates of the CAs allowed to issue signing certificates. Empty: chain not checked. */
  trustedCaPems?: string[];
}

export interface SignatureVerifier {
  /** Problems with the record's signature; empty when it verifies. `unsignedCanonical`: the JCS
   *  of the record without chuKySo, when the caller already has it. */
  check(record: Record<string, unknown>, unsignedCanonical?: string): ChiTietLoi[];
  /** Replaces the trusted CAs (certificate rotation in a long-running simulator). */
  setTrustedCas(pems: string[]): void;
}

interface SignerInfo {
  key: KeyObject;
  keyType: string | undefined;
  namedCurve: string | undefined;
  validFrom: number;
  validTo: number;
  /** Undefined when it chains to a trusted CA, else the reason it does not. */
  chainProblem?: string;
}

const CACHE_LIMIT = 2000;

export function createSignatureVerifier(options: SignatureVerifierOptions = {}): SignatureVerifier {
  let anchors: X509Certificate[] = [];
  // Signing certificates repeat across thousands of records; parsing and chain-checking each once
  // keeps verification at one public-key operation per record.
  const signers = new Map<string, SignerInfo | string>();

  const setTrustedCas = (pems: string[]) => {
    anchors = pems.flatMap(splitPems).map((pem) => new X509Certificate(pem));
    signers.clear();
  };
  setTrustedCas(options.trustedCaPems ?? []);

  const signerFor = (der: string): SignerInfo | string => {
    let info = signers.get(der);
    if (info !== undefined) return info;
    info = loadSigner(der, anchors);
    if (signers.size >= CACHE_LIMIT) signers.delete(signers.keys().next().value as string);
    signers.set(der, info);
    return info;
  };

  const check = (record: Record<string, unknown>, unsignedCanonical?: string): ChiTietLoi[] => {
    const sig = record.chuKySo as { thuatToan?: string; chungThu?: string; giaTri?: string; thoiDiemKy?: string } | undefined;
    if (!sig || typeof sig !== 'object') return [fail('/chuKySo', 'Hồ sơ chưa được ký số')];
    const signer = signerFor(String(sig.chungThu ?? ''));
    if (typeof signer === 'string') return [fail('/chuKySo/chungThu', signer)];
    if (signer.chainProblem) return [fail('/chuKySo/chungThu', signer.chainProblem)];

    const at = sig.thoiDiemKy ? Date.parse(sig.thoiDiemKy) : Date.now();
    if (!(at >= signer.validFrom && at <= signer.validTo)) {
      return [fail('/chuKySo/chungThu', 'Chứng thư ký chưa có hiệu lực hoặc đã hết hạn tại thời điểm ký')];
    }

    let data: Buffer;
    try {
      if (unsignedCanonical === undefined) {
        const { chuKySo: _omit, ...unsigned } = record;
        unsignedCanonical = canonicalJson(unsigned);
      }
      data = Buffer.from(unsignedCanonical, 'utf8');
    } catch {
      return [fail('/chuKySo/giaTri', 'Không chuẩn hóa được nội dung hồ sơ để kiểm tra chữ ký')];
    }
    const signature = Buffer.from(String(sig.giaTri ?? ''), 'base64');
    let ok = false;
    try {
      if (sig.thuatToan === 'RS256') {
        if (signer.keyType !== 'rsa') return [fail('/chuKySo/thuatToan', 'Thuật toán RS256 không khớp với khóa của chứng thư ký')];
        ok = cryptoVerify('sha256', data, signer.key, signature);
      } else if (sig.thuatToan === 'ES256') {
        if (signer.keyType !== 'ec' || signer.namedCurve !== 'prime256v1') {
          return [fail('/chuKySo/thuatToan', 'Thuật toán ES256 không khớp với khóa của chứng thư ký')];
        }
        // JWS-style raw r||s (64 bytes) is the common form; DER is accepted as well.
        const dsaEncoding = signature.length === 64 ? 'ieee-p1363' : 'der';
        ok = cryptoVerify('sha256', data, { key: signer.key, dsaEncoding }, signature);
      } else {
        return [fail('/chuKySo/thuatToan', 'Thuật toán ký không được hỗ trợ')];
      }
    } catch {
      ok = false;
    }
    return ok ? [] : [fail('/chuKySo/giaTri', 'Chữ ký số không khớp với nội dung hồ sơ')];
  };

  return { check, setTrustedCas };
}

function fail(truong: string, moTa: string): ChiTietLoi {
  return { truong, ma: 'CHU_KY_SAI', moTa };
}

function splitPems(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function loadSigner(der: string, anchors: X509Certificate[]): SignerInfo | string {
  let cert: X509Certificate;
  try {
    if (!der) return 'Thiếu chứng thư ký';
    cert = new X509Certificate(Buffer.from(der, 'base64'));
  } catch {
    return 'Không đọc được chứng thư ký (phải là X.509 DER mã hóa base64)';
  }
  const key = createPublicKey(cert.publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    key,
    keyType: key.asymmetricKeyType,
    namedCurve: key.asymmetricKeyDetails?.namedCurve,
    validFrom: Date.parse(cert.validFrom),
    validTo: Date.parse(cert.validTo),
    chainProblem: anchors.length === 0 ? undefined : chainProblem(cert, anchors),
  };
}

/**
 * The signing certificate must be issued (name and signature) by one of the trusted CAs. Any
 * trusted CA is an anchor, so listing the issuing CA is enough; records carry only the
 * end-entity certificate, never intermediates.
 */
function chainProblem(cert: X509Certificate, anchors: X509Certificate[]): string | undefined {
  const issuer = anchors.find((ca) => ca.ca && cert.checkIssued(ca) && cert.verify(ca.publicKey));
  return issuer ? undefined : 'Chứng thư ký không do tổ chức chứng thực tin cậy cấp';
}
