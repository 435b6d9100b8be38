/**
 * What the load generators send. A body is described by a small serialisable spec so that the
 * load generator process builds it (per request, with its own personal ids) without the runner's
 * help: every write is a NEW record at the simulator (idempotent replays of the same record would
 * be unrealistically cheap there).
 */
import { dongBoHoSoRequest, hoSoXml, soapActionHeaders } from '../../adapters/vendor-a-asmx/fixtures/requests.js';
import { codeList } from '../../adapters/national/codelists.js';
import { submitRecordsRequest, SUBMIT_RECORDS_HEADERS } from '../../adapters/vendor-b-jaxws/fixtures/requests.js';

export type BodySpec =
  | { kind: 'get'; path: string; headers?: Record<string, string> }
  | { kind: 'vendor-a'; key: string; unitCode: string; idBase: number; large?: boolean }
  | { kind: 'vendor-b'; key: string; softwareId: string; unitCode: string; records: number; idBase: number };

export interface BuiltRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Records each request of this spec carries (for records/s). */
export function recordsPerRequest(spec: BodySpec): number {
  return spec.kind === 'vendor-b' ? spec.records : spec.kind === 'vendor-a' ? 1 : 0;
}

// A long but valid working history: consecutive months, each entry's text within the schema's
// 1000-character limit, until the request reaches ~100 kB (Vietnamese text is ~1.3 bytes/char).
const LONG_TEXT_UNIT =
  'Chuyên viên Phòng Tổ chức cán bộ, Sở Nội vụ tỉnh Bắc Giang; tham mưu công tác tuyển dụng, sử dụng, quản lý công chức, viên chức; ' +
  'theo dõi, tổng hợp báo cáo về số lượng, chất lượng đội ngũ; thẩm định hồ sơ nâng lương, nâng ngạch, bổ nhiệm, điều động, luân chuyển. ';

function longHistory(targetBytes: number, baseBytes: number): string {
  let out = '';
  let size = baseBytes;
  for (let i = 0; size < targetBytes && i < 199; i++) {
    const month = (i % 12) + 1;
    const year = 2010 + Math.floor(i / 12);
    const mm = `${String(month).padStart(2, '0')}/${year}`;
    let text = `Giai đoạn ${i + 1}: `;
    while (text.length + LONG_TEXT_UNIT.length < 980) text += LONG_TEXT_UNIT;
    const entry = `<CongTac><TuThang>${mm}</TuThang><DenThang>${mm}</DenThang><NoiDung>${text.trim()}</NoiDung></CongTac>`;
    out += entry;
    size += Buffer.byteLength(entry);
  }
  return out;
}

let largeHistory: string | undefined;

/** Vendor A DongBoHoSo carrying one ~100 kB record. */
export function largeVendorARequest(key: string, unitCode: string, personalId: string): string {
  const base = dongBoHoSoRequest({ key, unitCode, personalId });
  const start = base.indexOf('<QuaTrinhCongTac>') + '<QuaTrinhCongTac>'.length;
  const end = base.indexOf('</QuaTrinhCongTac>');
  largeHistory ??= longHistory(100 * 1024, Buffer.byteLength(base));
  return base.slice(0, start) + largeHistory + base.slice(end);
}

// Province codes a personal id may start with: each gives a million ids of the sample's birth year
// and gender (C=0, YY=85), so ids never repeat within a run (they wrapped after 1,000,000 before,
// and the later scenarios replayed earlier records: "applied 0").
const PROVINCES = Object.keys(codeList('tinh-cccd')).sort();
export const personalIdA = (n: number) => `${PROVINCES[Math.floor(n / 1_000_000) % PROVINCES.length]}085${String(n % 1_000_000).padStart(6, '0')}`;

/** A builder of successive requests for one load generator process. */
export function requestBuilder(spec: BodySpec): () => BuiltRequest {
  switch (spec.kind) {
    case 'get':
      return () => ({ method: 'GET', path: spec.path, headers: { ...spec.headers } });
    case 'vendor-a': {
      let n = spec.idBase;
      const headers = { ...soapActionHeaders('DongBoHoSo') };
      return () => {
        const id = personalIdA(n++);
        const body = spec.large ? largeVendorARequest(spec.key, spec.unitCode, id) : dongBoHoSoRequest({ key: spec.key, unitCode: spec.unitCode, personalId: id });
        return { method: 'POST', path: '/QLCBService.asmx', headers, body };
      };
    }
    case 'vendor-b': {
      let n = spec.idBase;
      const headers = { ...SUBMIT_RECORDS_HEADERS };
      return () => {
        const first = 1_190_000_000 + n;
        n += spec.records;
        const body = submitRecordsRequest({ records: spec.records, key: spec.key, softwareId: spec.softwareId, orgCode: spec.unitCode, firstPersonalId: first, batchId: `BENCH-${first}` });
        return { method: 'POST', path: '/hrm/sync/v2', headers, body };
      };
    }
  }
}

/** Size of one request body of this spec, bytes. */
export function bodyBytes(spec: BodySpec): number {
  const r = requestBuilder(spec)();
  return r.body ? Buffer.byteLength(r.body) : 0;
}

export { hoSoXml };
