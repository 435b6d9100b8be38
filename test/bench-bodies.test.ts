/**
 * The benchmark's write scenarios must send NEW records (issue 12, "honest benchmarks"): the
 * personal ids a run generates never repeat, however many load generator jobs it starts (each
 * takes a span of 200,000 ids), and every id is one the validator takes without a warning.
 */
import { describe, expect, it } from 'vitest';
import { personalIdA, requestBuilder } from '../bench/lib/bodies.js';
import { cccdProvince } from '../adapters/national/codelists.js';

describe('bench record ids', () => {
  it('vendor A personal ids do not repeat across a full run of jobs', () => {
    const seen = new Set<string>();
    // A full `npm run bench` starts ~40 vendor A jobs of 200,000 ids each: sample each span's edges.
    for (let job = 0; job < 60; job++) {
      for (const k of [0, 1, 199_999]) {
        const id = personalIdA(job * 200_000 + k);
        expect(seen.has(id), `id ${id} repeats`).toBe(false);
        seen.add(id);
        expect(id).toMatch(/^\d{12}$/);
        expect(cccdProvince(id.slice(0, 3))).toBeDefined();
        expect(id.slice(3, 6)).toBe('085'); // the sample's birth year 1985, C=0: no mismatch warning
      }
    }
  });

  it('two vendor A jobs a million ids apart send different records', () => {
    const key = 'K.S';
    const a = requestBuilder({ kind: 'vendor-a', key, unitCode: '000.00.00.H03', idBase: 0 })();
    const b = requestBuilder({ kind: 'vendor-a', key, unitCode: '000.00.00.H03', idBase: 1_000_000 })();
    const id = (body: string | undefined) => /<SoCMND>(\d+)<\/SoCMND>/.exec(body ?? '')?.[1];
    expect(id(a.body)).toBeDefined();
    expect(id(a.body)).not.toBe(id(b.body));
  });
});
