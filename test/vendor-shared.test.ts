import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { vendorA } from '../adapters/vendor-a-asmx/index.js';
import { vendorC } from '../adapters/vendor-c-xmlpost/index.js';
import { RECORD_STATUS_TEXT } from '../adapters/record-status.js';
import type { IncomingCall, RecordStatus } from '../adapters/types.js';
import { parseXmlString } from '../adapters/xml/parse.js';
import { REPO } from './helpers/env.js';
import { limits } from './vendor-helpers.js';

const ADAPTERS = path.join(REPO, 'adapters');
const FRONT = /^(vendor-[^/]+|json|excel)$/;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Text of the first element with this local name, anywhere in the document. */
function textOf(xml: string, local: string): string | undefined {
  const walk = (el: ReturnType<typeof parseXmlString>): string | undefined => {
    if (el.local === local) return el.text;
    for (const c of el.children) {
      const t = walk(c);
      if (t !== undefined) return t;
    }
    return undefined;
  };
  return walk(parseXmlString(xml, limits()));
}

describe('what the fronts share', () => {
  it('no vendor front imports another front: what two share lives in a shared folder (legacy-hoso/, xml/, text/, national/)', () => {
    const fronts = readdirSync(ADAPTERS, { withFileTypes: true }).filter((e) => e.isDirectory() && FRONT.test(e.name)).map((e) => e.name);
    expect(fronts).toEqual(expect.arrayContaining(['vendor-a-asmx', 'vendor-b-jaxws', 'vendor-c-xmlpost', 'json']));
    const offenders: string[] = [];
    for (const front of fronts) {
      for (const file of tsFiles(path.join(ADAPTERS, front))) {
        for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
          const target = path.relative(ADAPTERS, path.resolve(path.dirname(file), m[1])).split(path.sep)[0];
          if (FRONT.test(target) && target !== front) offenders.push(`${path.relative(REPO, file)} → ${m[1]}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('vendors A and C word every record status from the one table, the pipeline\'s wording', () => {
    // The pipeline's words for a queued record (what clerks already read in production).
    expect(RECORD_STATUS_TEXT.QUEUED).toBe('Đã tiếp nhận, đang chờ đồng bộ lên CSDL quốc gia');
    const callA = { vendorOperation: 'DongBoHoSo', operation: 'submitProfiles', credentials: {} } as IncomingCall;
    const callC = { vendorOperation: 'hoso', operation: 'submitProfiles', credentials: {} } as IncomingCall;
    for (const status of ['SYNCED', 'QUEUED', 'STALE', 'ERROR'] as RecordStatus[]) {
      const result = { operation: 'submitProfiles' as const, results: [{ recordId: 'R1', index: 0, status, trackingId: 'T1', errors: [], warnings: [] }] };
      expect(textOf(vendorA.renderResult(callA, result).body as string, 'ThongBao')).toBe(RECORD_STATUS_TEXT[status]);
      expect(textOf(vendorC.renderResult(callC, result).body as string, 'ThongBao')).toBe(RECORD_STATUS_TEXT[status]);
    }
    // No result at all (never expected): both say the same gateway error.
    const none = { operation: 'submitProfiles' as const, results: [] };
    expect(textOf(vendorA.renderResult(callA, none).body as string, 'ThongBao')).toBe(RECORD_STATUS_TEXT.ERROR);
    expect(textOf(vendorC.renderResult(callC, none).body as string, 'ThongBao')).toBe(RECORD_STATUS_TEXT.ERROR);
    // A message the pipeline set wins over the table.
    const own = { operation: 'submitProfiles' as const, results: [{ recordId: 'R1', index: 0, status: 'ERROR' as const, errors: [], warnings: [], message: 'Không đồng bộ được sau 5 lần thử' }] };
    expect(textOf(vendorC.renderResult(callC, own).body as string, 'ThongBao')).toBe('Không đồng bộ được sau 5 lần thử');
  });
});
