import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTRACTS } from './helpers/env.js';
import { webCrypto } from '../certs/x509.js';
import { makeCa, type TestCa } from './national-helpers.js';
import { canonicalJson, CanonicalJsonError, signRecord, signRecordAsync, signedBytes, verifyRecord, rfc3339Vietnam } from '../adapters/national/sign.js';
import type { HoSoChuaKy } from '../adapters/national/profile.js';
import { validateProfile } from '../adapters/national/validate.js';

describe('canonicalJson: RFC 8785 examples', () => {
  it('§3.2.2 sample: literals, numbers, string escaping', () => {
    // The RFC's input, written as JSON text so number literals go through JSON.parse as they would on the wire.
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        ' "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('§3.2.3 sorting by UTF-16 code units', () => {
    const input = JSON.parse(
      '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One",' +
        ' "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}',
    );
    const out = canonicalJson(input);
    expect(out).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
    // The RFC lists the keys' UTF-8 forms in this order.
    // (Read from the text: Object.keys would put the integer-like "1" first.)
    const keys = [...out.matchAll(/"((?:[^"\\]|\\.)*)":"/g)].map((m) => Buffer.from(JSON.parse(`"${m[1]}"`), 'utf8').toString('hex'));
    expect(keys).toEqual(['0d', '31', 'c280', 'c3b6', 'e282ac', 'f09f9880', 'efacb3']);
  });

  it('§3.2.4 UTF-8 and locale-independent order', () => {
    const input = { 'péché': 'is wrong according to French', peach: 'This sorting order', sin: 'ignore locale', 'pêche': 'but canonicalization MUST' };
    expect(canonicalJson(input)).toBe(
      '{"peach":"This sorting order","péché":"is wrong according to French","pêche":"but canonicalization MUST","sin":"ignore locale"}',
    );
  });

  it('Appendix B number serialisation', () => {
    const cases: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [hex, expected] of cases) {
      const n = Buffer.from(hex, 'hex').readDoubleBE(0);
      expect(canonicalJson(n), hex).toBe(expected);
    }
    for (const hex of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000']) {
      expect(() => canonicalJson(Buffer.from(hex, 'hex').readDoubleBE(0)), hex).toThrow(CanonicalJsonError);
    }
  });

  it('refuses what I-JSON cannot carry, drops undefined members, handles nesting', () => {
    expect(() => canonicalJson({ a: '\ud800' })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ ['\udc00']: 1 })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson([undefined])).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ d: new Date(0) })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson(10n)).toThrow(CanonicalJsonError);
    expect(canonicalJson({ b: undefined, a: [{ z: 1, y: [] }, {}], c: -0 })).toBe('{"a":[{"y":[],"z":1},{}],"c":0}');
    expect(canonicalJson('Nguyễn')).toBe('"Nguyễn"');
    // Objects with many members are ordered like small ones (a different sort path).
    const many = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${(i * 37) % 70}`, i]));
    const sortedKeys = Object.keys(many).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(canonicalJson(many)).toBe(`{${sortedKeys.map((k) => `"${k}":${many[k]}`).join(',')}}`);
    expect(canonicalJson({ b: 1, a: 2, B: 3, 'đ': 4, 'é': 5, '10': 6, '9': 7 })).toBe('{"10":6,"9":7,"B":3,"a":2,"b":1,"é":5,"đ":4}');
  });
});

// ---------------------------------------------------------------------------------------------

function sampleRecord(): HoSoChuaKy {
  const r = JSON.parse(readFileSync(path.join(CONTRACTS, 'vendors/vendor-a-asmx/samples/DongBoHoSo.expected.json'), 'utf8'));
  delete r.chuKySo;
  r.nguon.maPhanMem = 'QLCB-A-2012';
  return r;
}

describe('signRecord / verifyRecord', () => {
  let ca: TestCa;
  let other: TestCa;
  beforeAll(async () => {
    [ca, other] = await Promise.all([makeCa('NDXP Test CA'), makeCa('Someone Else CA')]);
  });
  const NOW = new Date('2025-08-20T03:20:00Z');

  for (const alg of ['RS256', 'ES256'] as const) {
    it(`${alg}: signs the canonical bytes; the record verifies, validates, and survives reordering`, async () => {
      const identity = await ca.issue(alg);
      const signed = signRecord(sampleRecord(), identity, NOW);
      expect(Object.keys(signed).at(-1)).toBe('chuKySo');
      expect(signed.chuKySo).toMatchObject({ thuatToan: alg, chungThu: identity.certDerBase64, thoiDiemKy: '2025-08-20T10:20:00+07:00' });
      if (alg === 'ES256') expect(Buffer.from(signed.chuKySo.giaTri, 'base64')).toHaveLength(64);
      expect(validateProfile(signed, { today: '2025-09-01', signed: true })).toEqual({ errors: [], warnings: [] });

      expect(verifyRecord(signed)).toMatchObject({ ok: true, alg });
      expect(verifyRecord(signed, { trustedCaPems: [ca.pem] })).toMatchObject({ ok: true, subject: expect.stringContaining(`ky-so-${alg}`) });

      // JSON member order on the wire does not matter: the signature covers the canonical form.
      const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(signed).reverse())));
      expect(verifyRecord(reordered).ok).toBe(true);

      const tampered = structuredClone(signed);
      tampered.luong.heSo = 3.33;
      expect(verifyRecord(tampered)).toMatchObject({ ok: false, code: 'CHU_KY_KHONG_DUNG' });
      expect(verifyRecord(signed, { trustedCaPems: [other.pem] })).toMatchObject({ ok: false, code: 'CHUNG_THU_KHONG_TIN_CAY' });
    });
  }

  it('ES256 signatures are JOSE r||s, checkable by WebCrypto over the JCS bytes', async () => {
    const identity = await ca.issue('ES256');
    const signed = signRecord(sampleRecord(), identity, NOW);
    const ok = await webCrypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      identity.ecPublic!,
      Buffer.from(signed.chuKySo.giaTri, 'base64'),
      Buffer.from(canonicalJson(sampleRecord()), 'utf8'),
    );
    expect(ok).toBe(true);
  });

  it('replaces an existing chuKySo instead of signing over it', async () => {
    const identity = await ca.issue('RS256');
    const once = signRecord(sampleRecord(), identity, NOW);
    const twice = signRecord(once as unknown as HoSoChuaKy, identity, new Date('2025-08-21T00:00:00Z'));
    expect(verifyRecord(twice).ok).toBe(true);
    expect(signedBytes(twice).equals(signedBytes(once))).toBe(true);
  });

  it('refuses keys that do not match the algorithm', async () => {
    const rsa = await ca.issue('RS256');
    expect(() => signRecord(sampleRecord(), { ...rsa, alg: 'ES256' }, NOW)).toThrow(/ES256/);
  });

  it('reports expired certificates, missing or malformed signatures', async () => {
    const expired = await ca.issue('RS256', { notBefore: new Date('2024-01-01T00:00:00Z'), notAfter: new Date('2025-01-01T00:00:00Z') });
    const signed = signRecord(sampleRecord(), expired, NOW);
    expect(verifyRecord(signed)).toMatchObject({ ok: false, code: 'CHUNG_THU_HET_HIEU_LUC' });
    expect(verifyRecord(signed, { at: new Date('2024-06-01T00:00:00Z') }).ok).toBe(true);
    expect(verifyRecord(sampleRecord())).toMatchObject({ ok: false, code: 'THIEU_CHU_KY' });
    expect(verifyRecord({ ...signed, chuKySo: { ...signed.chuKySo, thuatToan: 'HS256' } })).toMatchObject({ ok: false });
    expect(verifyRecord({ ...signed, chuKySo: { ...signed.chuKySo, chungThu: 'AAAA' } })).toMatchObject({ ok: false, code: 'CHUNG_THU_KHONG_HOP_LE' });
    expect(verifyRecord(null)).toMatchObject({ ok: false });
  });

  it('writes thoiDiemKy as RFC 3339 in Vietnam time', () => {
    expect(rfc3339Vietnam(new Date('2025-12-31T20:00:00.500Z'))).toBe('2026-01-01T03:00:00+07:00');
  });
});

describe('signRecordAsync', () => {
  it('gives the same record as signRecord (deterministic RSA), verified', async () => {
    const ca = await makeCa('Async CA');
    const identity = await ca.issue('RS256');
    const now = new Date('2025-08-20T03:20:00Z');
    const a = await signRecordAsync(sampleRecord(), identity, now);
    expect(a).toEqual(signRecord(sampleRecord(), identity, now));
    const es = await ca.issue('ES256');
    expect(verifyRecord(await signRecordAsync(sampleRecord(), es, now))).toMatchObject({ ok: true, alg: 'ES256' });
  });
});
