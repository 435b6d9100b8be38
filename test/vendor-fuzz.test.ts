/**
 * Property-based fuzzing of every front: arbitrary bytes, arbitrary strings and mutated samples go
 * through readRequest and the record / unit mapping. Only GatewayError may ever escape, every
 * refusal renders as a well-formed answer in the caller's protocol, and every accepted call's
 * answer (with the mapping's own findings as results) is well-formed XML too.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fronts } from '../adapters/registry.js';
import { textRepair } from '../adapters/text/index.js';
import type { OperationResult, VendorFront } from '../adapters/types.js';
import { parseXmlString } from '../adapters/xml/parse.js';
import { GatewayError } from '../core/errors.js';
import { limits, meta, sample } from './vendor-helpers.js';

const NOW = new Date('2025-08-21T01:00:00Z');
const LIMITS = limits({ now: () => NOW, xmlMaxElements: 5000, maxRecordsPerCall: 50 });
const CHECK_LIMITS = limits();

const bSample = sample('vendor-b-jaxws', 'samples/submitRecords.request.xml')
  .toString('utf8')
  .replace('{{NOW}}', NOW.toISOString())
  .replace('{{NOW+5min}}', new Date(NOW.getTime() + 300_000).toISOString());

const TARGETS: { front: VendorFront; headers: Record<string, string>; samples: Buffer[] }[] = [
  {
    front: fronts.find((f) => f.id === 'vendor-a-asmx')!,
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"http://qlcb.vendor-a.vn/DongBoHoSo"' },
    samples: [sample('vendor-a-asmx', 'samples/DongBoHoSo.request.xml'), sample('vendor-a-asmx', 'samples/DongBoHoSo.tcvn3.request.xml')],
  },
  {
    front: fronts.find((f) => f.id === 'vendor-b-jaxws')!,
    headers: { 'content-type': 'application/soap+xml; charset=UTF-8' },
    samples: [Buffer.from(bSample)],
  },
  {
    front: fronts.find((f) => f.id === 'vendor-c-xmlpost')!,
    headers: { 'content-type': 'text/xml', 'x-connection-key': 'k.s' },
    samples: [sample('vendor-c-xmlpost', 'samples/hoso.request.xml')],
  },
];

function wellFormed(body: string | Buffer): void {
  parseXmlString(typeof body === 'string' ? body : body.toString('utf8'), CHECK_LIMITS);
}

/** Runs one input through a front the way the pipeline would; throws anything that is not a GatewayError. */
function exercise(front: VendorFront, body: Buffer, headers: Record<string, string>): void {
  try {
    const call = front.readRequest(body, meta(front.paths[0], headers), LIMITS);
    for (const enc of ['unicode', 'tcvn3'] as const) {
      const repair = textRepair(enc);
      let result: OperationResult;
      if (call.records) {
        const recs = call.records(repair);
        result = {
          operation: call.operation,
          correlation: call.correlation,
          results: recs.map((r) => ({ recordId: r.recordId, index: r.index, status: r.errors.length ? 'INVALID' : 'SYNCED', trackingId: 'T', errors: r.errors, warnings: r.warnings })),
        };
      } else if (call.unit) {
        const u = call.unit(repair);
        result = { operation: call.operation, results: [{ recordId: u.recordId, index: 0, status: u.errors.length ? 'INVALID' : 'SYNCED', errors: u.errors, warnings: u.warnings }] };
      } else {
        result = { operation: call.operation, results: (call.trackingIds ?? []).map((id, index) => ({ recordId: id, index, status: 'QUEUED', trackingId: id, errors: [], warnings: [] })) };
      }
      wellFormed(front.renderResult(call, result).body);
    }
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    const answer = front.renderError(err);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    wellFormed(answer.body);
  }
}

type Mutation = { kind: 'delete' | 'insert' | 'replace' | 'duplicate'; at: number; len: number; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('delete', 'insert', 'replace', 'duplicate'),
  at: fc.nat(),
  len: fc.nat({ max: 64 }),
  bytes: fc.oneof(
    fc.uint8Array({ maxLength: 16 }),
    fc.constantFrom('<', '>', '&', '"', '</a>', '<!DOCTYPE x>', '&lt;', ']]>', '<![CDATA[', '\u0000', '00/00/0000', '9999').map((s) => new Uint8Array(Buffer.from(s))),
  ),
});

function mutate(src: Buffer, ms: Mutation[]): Buffer {
  let b = src;
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    const end = Math.min(b.length, at + m.len);
    switch (m.kind) {
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(end)]);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      case 'replace':
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(end)]);
        break;
      case 'duplicate':
        b = Buffer.concat([b.subarray(0, end), b.subarray(at, end), b.subarray(end)]);
        break;
    }
  }
  return b;
}

/** Replaces the text of the n-th text node with an (escaped) arbitrary string: exercises the mapping, not the parser. */
function replaceText(src: Buffer, n: number, text: string): Buffer {
  const s = src.toString('latin1');
  const slots = [...s.matchAll(/>([^<>]*)</g)];
  if (slots.length === 0) return src;
  const m = slots[n % slots.length];
  const start = m.index! + 1;
  const escaped = Buffer.from(text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'), 'utf8').toString('latin1');
  return Buffer.from(s.slice(0, start) + escaped + s.slice(start + m[1].length), 'latin1');
}

const RUNS = 150;

describe.each(TARGETS)('fuzzing $front.id', ({ front, headers, samples }) => {
  it('arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => exercise(front, Buffer.from(bytes), headers)), { numRuns: RUNS });
  });

  it('arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 512 }), (s) => exercise(front, Buffer.from(s), headers)), { numRuns: RUNS });
  });

  it('mutated samples', () => {
    fc.assert(
      fc.property(fc.nat({ max: samples.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 }), (i, ms) => exercise(front, mutate(samples[i], ms), headers)),
      { numRuns: RUNS },
    );
  });

  it('samples with arbitrary field values', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: samples.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom('00/00/0000', '31/02/2020', '3,1,4', '1e9', 'Nữ', ' ', '99/99/9999 99:99:99', '-1'))), { minLength: 1, maxLength: 8 }),
        (i, edits) => exercise(front, edits.reduce((b, [n, t]) => replaceText(b, n, t), samples[i]), headers),
      ),
      { numRuns: RUNS },
    );
  });
});
