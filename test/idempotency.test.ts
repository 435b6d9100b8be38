/**
 * Idempotency keys must never change for a record already queued: stableJson, which they digest,
 * is checked against the array-based form it replaced, on generated values of every JSON shape
 * plus what parsed records never hold but the function accepts (undefined members, sparse
 * arrays, keys that sort differently as numbers and as text).
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signRecord, signedRecordJson } from '../adapters/national/sign.js';
import type { HoSoChuaKy } from '../adapters/national/profile.js';
import { recordIdempotencyKey, stableJson } from '../gateway/delivery/idempotency.js';

/** The form keys were first computed with (until December 2026). */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : reference(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
}

describe('stableJson', () => {
  it('writes the same text as the form idempotency keys were first computed with', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, withSparseArray: true, withUnicodeString: true }), (value) => {
        expect(stableJson(value)).toBe(reference(value));
      }),
      { numRuns: 2000 },
    );
    const sparse = [1, , 3, undefined]; // eslint-disable-line no-sparse-arrays
    const odd = { b: [sparse, { z: undefined, y: () => 1 }], '10': 1, '9': 2, a: 'Nguyễn "Văn" A\n', 'đ': 1, 'Z': null };
    expect(stableJson(odd)).toBe(reference(odd));
    expect(stableJson(odd)).toBe('{"10":1,"9":2,"Z":null,"a":"Nguyễn \\"Văn\\" A\\n","b":[[1,,3,null],{"y":null}],"đ":1}');
  });

  it('keeps the idempotency key of a record the same', () => {
    const record = { soDinhDanh: '024085001234', hoVaTen: 'Nguyễn Văn A', ngayCapNhat: '2026-11-01T08:00:00+07:00', quaTrinh: [{ tuNgay: '2020-01-01', chucVu: 'Chuyên viên' }] };
    // sha256 over the reference text, as the gateway computed it before
    const digest = createHash('sha256').update(reference(record)).digest();
    const expected = createHash('sha256').update(`ndxp/1\nprofile\n${record.soDinhDanh}\n${record.ngayCapNhat}\n`).update(digest).digest('base64url');
    expect(recordIdempotencyKey('profile', record.soDinhDanh, record.ngayCapNhat, record)).toBe(expected);
  });
});

describe('the key of a record the gateway has just signed', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const identity = { alg: 'ES256' as const, certDerBase64: 'MIIBkTCB+wIJAKHBfpegPjMCMA0GCSqGSIb3DQEBBQUAMBExDzANBgNVBAMMBnVudXNlZDAeFw0', privateKey };
  // I-JSON members (no lone surrogates: such a record cannot be signed), names sorting before and after chuKySo.
  const member = fc.jsonValue({ maxDepth: 3 }).filter((v) => !/[\uD800-\uDFFF]/.test(JSON.stringify(v).replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '')));
  const name = fc.oneof(fc.constantFrom('soDinhDanh', 'hoVaTen', 'chucVu', 'chuKy', 'chuKySoX', 'a', 'Z', '10', 'đ', 'ngayCapNhat'), fc.string({ maxLength: 8 }));
  const record = fc.dictionary(name.filter((k) => k !== 'chuKySo' && k !== '__proto__'), member, { maxKeys: 40 });

  it('digests the same text as a walk of the record (its RFC 8785 form, chuKySo included), so the key is the same', () => {
    fc.assert(
      fc.property(record, (r) => {
        const signed = signRecord(r as unknown as HoSoChuaKy, identity, new Date('2026-11-01T01:00:00Z'));
        expect(signedRecordJson(signed)).toBe(stableJson(signed));
        const copy = JSON.parse(JSON.stringify(signed));
        expect(signedRecordJson(copy)).toBeUndefined();
        expect(recordIdempotencyKey('profile', 'x', 'v', signed)).toBe(recordIdempotencyKey('profile', 'x', 'v', copy));
        // …which is the form keys were first computed with.
        const digest = createHash('sha256').update(reference(copy)).digest();
        expect(recordIdempotencyKey('profile', 'x', 'v', signed)).toBe(createHash('sha256').update('ndxp/1\nprofile\nx\nv\n').update(digest).digest('base64url'));
      }),
      { numRuns: 400 },
    );
    for (const r of [{}, { a: 1 }, { zz: 1 }, { chuKy: 1, chuc: 2 }]) {
      const signed = signRecord(r as unknown as HoSoChuaKy, identity);
      expect(signedRecordJson(signed)).toBe(stableJson(signed));
    }
  });
});
