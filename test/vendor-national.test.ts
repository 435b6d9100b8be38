/**
 * The vendor fronts together with the real shared preparation (re-mapping, nguon, validation,
 * signing from adapters/national): every contract sample becomes the expected national record,
 * and an invalid record comes back in the vendor's own terms exactly as the contract shows.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { vendorA } from '../adapters/vendor-a-asmx/index.js';
import { vendorB } from '../adapters/vendor-b-jaxws/index.js';
import { vendorC } from '../adapters/vendor-c-xmlpost/index.js';
import { textRepair } from '../adapters/text/index.js';
import { prepareRecords, type PrepareEnv } from '../adapters/national/prepare.js';
import { buildUnitIndex, parseRemapRules, parseUnitTree, resolveUnitCode } from '../adapters/national/remap.js';
import { verifyRecord, type RecordSigningIdentity } from '../adapters/national/sign.js';
import type { IncomingCall, RecordResult, VendorFront } from '../adapters/types.js';
import { SAMPLE_REMAP_RULES, SAMPLE_TREE, expectedVendorARecord, makeCa, type TestCa } from './national-helpers.js';
import { fillPlaceholders, limits, meta, sample, xmlShape } from './vendor-helpers.js';

const TODAY = '2025-09-01';
const NOW = new Date('2025-08-21T01:00:00Z');

let ca: TestCa;
let identity: RecordSigningIdentity;
beforeAll(async () => {
  ca = await makeCa('NDXP Vendor Test CA');
  identity = await ca.issue('RS256');
});

const index = buildUnitIndex(parseRemapRules(SAMPLE_REMAP_RULES), parseUnitTree(SAMPLE_TREE).units);

function env(front: VendorFront, call: IncomingCall, softwareId: string): PrepareEnv {
  return {
    directory: { remap: (code, pointer) => resolveUnitCode(index, code, TODAY, pointer) },
    signer: () => identity,
    softwareId,
    sendingUnit: call.credentials.unitCode ?? '',
    front: front.id,
    today: TODAY,
    now: NOW,
  };
}

function read(front: VendorFront, body: Buffer, headers: Record<string, string>): IncomingCall {
  return front.readRequest(body, meta(front.paths[0], headers), limits({ now: () => NOW }));
}

const A_HEADERS = { soapaction: '"http://qlcb.vendor-a.vn/DongBoHoSo"' };

describe('vendor samples through the shared preparation', () => {
  it.each([
    ['DongBoHoSo.request.xml', 'unicode'],
    ['DongBoHoSo.tcvn3.request.xml', 'tcvn3'],
  ] as const)('vendor A %s (%s) becomes exactly DongBoHoSo.expected.json, signed', async (file, encoding) => {
    const call = read(vendorA, sample('vendor-a-asmx', `samples/${file}`), A_HEADERS);
    const [prepared] = await prepareRecords(call.records!(textRepair(encoding)), env(vendorA, call, 'QLCB-A-2012'));
    expect(prepared.errors).toEqual([]);
    const { chuKySo, ...unsigned } = prepared.record!;
    expect(unsigned).toEqual(expectedVendorARecord('QLCB-A-2012'));
    expect(chuKySo.thuatToan).toBe('RS256');
    expect(verifyRecord(prepared.record, { trustedCaPems: [ca.pem] })).toMatchObject({ ok: true });
  });

  it('vendor A: an old 9-digit SoCMND and an off-table HeSoLuong answer exactly like DongBoHoSo.invalid.response.xml', async () => {
    const body = sample('vendor-a-asmx', 'samples/DongBoHoSo.request.xml')
      .toString('utf8')
      .replace('<SoCMND>024085001234</SoCMND>', '<SoCMND>024085001</SoCMND>')
      .replace('<HeSoLuong>3,00</HeSoLuong>', '<HeSoLuong>3,10</HeSoLuong>');
    const call = read(vendorA, Buffer.from(body), A_HEADERS);
    const [prepared] = await prepareRecords(call.records!(textRepair('unicode')), env(vendorA, call, 'QLCB-A-2012'));
    expect(prepared.record).toBeUndefined();
    const result: RecordResult = { recordId: 'BG-001234', index: 0, status: 'INVALID', trackingId: 'TD-1', errors: prepared.errors, warnings: prepared.warnings };
    const answer = vendorA.renderResult(call, { operation: 'submitProfiles', results: [result] });
    const actual = xmlShape(answer.body as string);
    expect(actual).toEqual(fillPlaceholders(xmlShape(sample('vendor-a-asmx', 'samples/DongBoHoSo.invalid.response.xml')), actual));
  });

  it('vendor A: an unknown sending unit is reported against XacThuc/MaDonVi', async () => {
    const body = sample('vendor-a-asmx', 'samples/DongBoHoSo.request.xml').toString('utf8').replace('<MaDonVi>000.00.00.H03</MaDonVi>\n    </XacThuc>', '<MaDonVi>999.99.99.Z99</MaDonVi>\n    </XacThuc>');
    const call = read(vendorA, Buffer.from(body), A_HEADERS);
    expect(call.credentials.unitCode).toBe('999.99.99.Z99');
    const [prepared] = await prepareRecords(call.records!(textRepair('unicode')), env(vendorA, call, 'QLCB-A-2012'));
    expect(prepared.record).toBeUndefined();
    expect(prepared.errors.map((e) => e.field)).toContain('XacThuc/MaDonVi');
  });

  it('vendor B: both sample employees become valid signed records in the current unit tree', async () => {
    const xml = sample('vendor-b-jaxws', 'samples/submitRecords.request.xml')
      .toString('utf8')
      .replace('{{NOW}}', NOW.toISOString())
      .replace('{{NOW+5min}}', new Date(NOW.getTime() + 300_000).toISOString());
    const call = read(vendorB, Buffer.from(xml), {});
    const prepared = await prepareRecords(call.records!(textRepair('unicode')), env(vendorB, call, 'HRM-B'));
    expect(prepared.map((p) => p.errors)).toEqual([[], []]);
    const [first, second] = prepared.map((p) => p.record!);
    expect(first.donVi.maDinhDanh).toBe('000.05.31.H06');
    expect(first.quaTrinhCongTac?.[0].maDinhDanhDonVi).toBe('000.05.31.H06');
    expect(first.nguon).toEqual({ maPhanMem: 'HRM-B', maDonViGui: '000.00.00.H06', dinhDangGoc: 'vendor-b-jaxws' });
    expect(second).toMatchObject({ hoVaTen: 'Lò Văn Pánh', ngaySinh: '1988', donVi: { maDinhDanh: '000.00.00.H06' } });
    for (const r of [first, second]) expect(verifyRecord(r, { trustedCaPems: [ca.pem] })).toMatchObject({ ok: true });
  });

  it('vendor B: a bad employee is reported at its payload path and does not block the good one', async () => {
    const xml = sample('vendor-b-jaxws', 'samples/submitRecords.request.xml')
      .toString('utf8')
      .replace('{{NOW}}', NOW.toISOString())
      .replace('{{NOW+5min}}', new Date(NOW.getTime() + 300_000).toISOString())
      .replace('014088009876', '014088009');
    const call = read(vendorB, Buffer.from(xml), {});
    const prepared = await prepareRecords(call.records!(textRepair('unicode')), env(vendorB, call, 'HRM-B'));
    expect(prepared[0].record).toBeDefined();
    expect(prepared[1].errors.map((e) => e.field)).toEqual(['employee[2]/personal/nationalId']);
  });

  it('vendor C: the Windows-1258 sample becomes a valid signed record re-homed to the province', async () => {
    const call = read(vendorC, sample('vendor-c-xmlpost', 'samples/hoso.request.xml'), { 'x-connection-key': 'k.s', 'x-ma-don-vi': '000.12.00.H03' });
    const [prepared] = await prepareRecords(call.records!(textRepair('unicode')), env(vendorC, call, 'VB6-C'));
    expect(prepared.errors).toEqual([]);
    expect(prepared.record).toMatchObject({ hoVaTen: 'Phạm Thị Thủy', donVi: { maDinhDanh: '000.00.00.H06' }, nguon: { maDonViGui: '000.00.00.H06', dinhDangGoc: 'vendor-c-xmlpost' } });
  });
});
