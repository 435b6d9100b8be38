/** Property-based checks (fast-check) of the national area's pure parts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../adapters/national/sign.js';
import { validateProfile, validateUnit } from '../adapters/national/validate.js';
import { parseRemapRules, parseUnitTree, UnitDataError } from '../adapters/national/remap.js';
import { TCVN3_TABLE, tcvn3ToUnicode, textRepair } from '../adapters/text/index.js';
import { ethnicCode, religionCode, awardCode, disciplineCode } from '../adapters/national/codelists.js';
import { expectedVendorARecord } from './national-helpers.js';

// JSON values without lone surrogates (I-JSON) and without -0 (which JSON cannot round-trip).
const jsonValue = fc.jsonValue({ noUnicodeString: false }).filter((v) => {
  const text = JSON.stringify(v);
  return !/[\uD800-\uDFFF]/.test(text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
});

function shuffleKeys(v: unknown, seed: number): unknown {
  if (Array.isArray(v)) return v.map((x, i) => shuffleKeys(x, seed + i));
  if (v && typeof v === 'object') {
    const entries = Object.entries(v);
    entries.sort((a, b) => ((a[0].length * 31 + seed) % 7) - ((b[0].length * 17 + seed) % 5));
    return Object.fromEntries(entries.map(([k, x]) => [k, shuffleKeys(x, seed + 1)]));
  }
  return v;
}

describe('canonicalJson properties', () => {
  it('is valid JSON of the same value, independent of member order, and a fixed point', () => {
    fc.assert(
      fc.property(jsonValue, fc.integer(), (v, seed) => {
        const c = canonicalJson(v);
        expect(JSON.parse(c)).toEqual(JSON.parse(JSON.stringify(v)));
        expect(canonicalJson(shuffleKeys(v, seed))).toBe(c);
        expect(canonicalJson(JSON.parse(c))).toBe(c);
      }),
      { numRuns: 300 },
    );
  });
});

describe('TCVN3 properties', () => {
  const reverse = new Map([...TCVN3_TABLE].map(([b, ch]) => [ch, String.fromCharCode(b)]));
  const vietnamese = fc.array(fc.constantFrom(...TCVN3_TABLE.values(), ...'abcdeghiklmnopqrstuvxy ,.0123456789/-'), { maxLength: 40 }).map((a) => a.join(''));

  it('TCVN3 encoding of Vietnamese text converts back to the same NFC text', () => {
    fc.assert(
      fc.property(vietnamese, (text) => {
        const tcvn = [...text].map((ch) => reverse.get(ch) ?? ch).join('');
        expect(tcvn3ToUnicode(tcvn)).toBe(text);
        expect(textRepair('tcvn3')(tcvn)).toBe(text.normalize('NFC'));
      }),
    );
  });

  it('unicode repair is NFC and idempotent for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const r = textRepair('unicode')(s);
        expect(r).toBe(s.normalize('NFC'));
        expect(textRepair('unicode')(r)).toBe(r);
      }),
    );
  });
});

describe('never throws on hostile input', () => {
  it('validators, parsers and look-ups answer any JSON with issues, not exceptions', () => {
    const base = expectedVendorARecord();
    fc.assert(
      fc.property(jsonValue, fc.constantFrom(...Object.keys(base)), (v, key) => {
        expect(validateProfile(v, { today: '2025-09-01' }).errors.length).toBeGreaterThanOrEqual(0);
        const mutated = { ...base, [key]: v };
        const res = validateProfile(mutated, { today: '2025-09-01' });
        for (const e of res.errors) {
          expect(typeof e.pointer).toBe('string');
          expect(e.message.length).toBeGreaterThan(0);
        }
        validateUnit(v);
        for (const parse of [parseRemapRules, parseUnitTree]) {
          try {
            parse(v);
          } catch (err) {
            expect(err).toBeInstanceOf(UnitDataError);
          }
        }
        if (typeof v === 'string') for (const f of [ethnicCode, religionCode, awardCode, disciplineCode]) f(v);
      }),
      { numRuns: 300 },
    );
  });
});
