/**
 * Idempotency keys must never change for a record already queued: stableJson, which they digest,
 * is checked against the array-based form it replaced, on generated values of every JSON shape
 * plus what parsed records never hold but the function accepts (undefined members, sparse
 * arrays, keys that sort differently as numbers and as text).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
