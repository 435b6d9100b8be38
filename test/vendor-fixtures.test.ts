import { describe, expect, it } from 'vitest';
import { vendorA } from '../adapters/vendor-a-asmx/index.js';
import { vendorB } from '../adapters/vendor-b-jaxws/index.js';
import { vendorC } from '../adapters/vendor-c-xmlpost/index.js';
import { dongBoDanhSachHoSoRequest, dongBoHoSoRequest, soapActionHeaders } from '../adapters/vendor-a-asmx/fixtures/requests.js';
import { SUBMIT_RECORDS_HEADERS, submitRecordsRequest } from '../adapters/vendor-b-jaxws/fixtures/requests.js';
import iconv from 'iconv-lite';
import { hoSoCanBoBytes, toWindows1258Form, vendorCHeaders } from '../adapters/vendor-c-xmlpost/fixtures/requests.js';
import { textRepair } from '../adapters/text/index.js';
import { limits, meta, sample } from './vendor-helpers.js';

const repair = textRepair('unicode');

describe('request fixtures (used by benchmarks) stay acceptable to their fronts', () => {
  it('vendor A', () => {
    const one = vendorA.readRequest(Buffer.from(dongBoHoSoRequest({ key: 'k.s' })), meta('/QLCBService.asmx', soapActionHeaders('DongBoHoSo')), limits());
    expect(one.records!(repair)[0].errors).toEqual([]);
    const many = vendorA.readRequest(Buffer.from(dongBoDanhSachHoSoRequest({ key: 'k.s', records: 25 })), meta('/QLCBService.asmx', soapActionHeaders('DongBoDanhSachHoSo')), limits());
    const recs = many.records!(repair);
    expect(recs).toHaveLength(25);
    expect(new Set(recs.map((r) => r.draft.soDinhDanh)).size).toBe(25);
    expect(recs.every((r) => r.errors.length === 0)).toBe(true);
  });

  it('vendor B, escaped and CDATA', () => {
    for (const cdata of [false, true]) {
      const call = vendorB.readRequest(Buffer.from(submitRecordsRequest({ records: 30, key: 'k.s', softwareId: 'S', cdata })), meta('/hrm/sync/v2', SUBMIT_RECORDS_HEADERS), limits());
      const recs = call.records!(repair);
      expect(recs).toHaveLength(30);
      expect(recs.every((r) => r.errors.length === 0 && r.draft.soDinhDanh?.length === 12)).toBe(true);
    }
  });

  it('vendor C', () => {
    const call = vendorC.readRequest(hoSoCanBoBytes(), meta('/vendor-c/hoso', vendorCHeaders('k.s')), limits());
    expect(call.records!(repair)[0]).toMatchObject({ errors: [], draft: { hoVaTen: 'Phạm Thị Thủy' } });
  });

  it('vendor C fixtures write Windows-1258 exactly as the contract sample does', () => {
    const bytes = sample('vendor-c-xmlpost', 'samples/hoso.request.xml');
    const text = iconv.decode(bytes, 'windows-1258').normalize('NFC');
    expect(iconv.encode(toWindows1258Form(text), 'windows-1258').equals(bytes)).toBe(true);
  });
});
