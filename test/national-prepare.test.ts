/**
 * prepareRecords / prepareUnit: re-mapping (unit directory on SQLite and PostgreSQL), provenance,
 * validation with vendor field names, signing. The vendor A draft is built here by hand, as the
 * vendor A front produces it from DongBoHoSo.request.xml; the result must be exactly
 * DongBoHoSo.expected.json plus chuKySo.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, cleanup, testContext } from './helpers/env.js';
import { createUnitDirectory, type UnitDirectory } from '../gateway/units/directory.js';
import { loadRemapRules, loadUnitTree } from '../gateway/units/service.js';
import { prepareRecords, prepareUnit, vendorField, type PrepareEnv } from '../adapters/national/prepare.js';
import { verifyRecord, type RecordSigningIdentity } from '../adapters/national/sign.js';
import type { ParsedRecord, ParsedUnit } from '../adapters/types.js';
import type { HoSoChuaKy } from '../adapters/national/profile.js';
import { GatewayError } from '../core/errors.js';
import { ensurePki } from '../certs/pki.js';
import { issueCertificate } from '../certs/issue.js';
import { signingIdentity } from '../certs/material.js';
import { SAMPLE_REMAP_RULES, SAMPLE_TREE, expectedVendorARecord, makeCa, type TestCa } from './national-helpers.js';

afterAll(cleanup);

const TODAY = '2025-09-01';
const NOW = new Date('2025-08-20T03:20:00Z');

/** What the vendor A front makes of DongBoHoSo.request.xml (codes looked up, dates converted, text repaired). */
function vendorADraft(): Partial<HoSoChuaKy> {
  return {
    soDinhDanh: '024085001234',
    soHieu: 'BG-001234',
    hoVaTen: 'Nguyễn Văn Đức',
    ngaySinh: '1985-03-12',
    gioiTinh: 1,
    danToc: '01',
    tonGiao: '00',
    noiSinh: { diaChi: 'Xã Tân Mỹ, thành phố Bắc Giang, tỉnh Bắc Giang' },
    queQuan: { diaChi: 'Xã Tân Mỹ, thành phố Bắc Giang, tỉnh Bắc Giang' },
    ngayTuyenDung: '2010-09-15',
    donVi: { maDinhDanh: '000.05.31.H03', ten: 'Phòng Tổ chức cán bộ, Sở Nội vụ tỉnh Bắc Giang' },
    chucVu: [{ ten: 'Phó Trưởng phòng', kiemNhiem: false }],
    ngachChucDanh: { ma: '01.003', ten: 'Chuyên viên' },
    luong: { bac: 3, heSo: 3.0, ngayHuong: '2023-01-01' },
    trinhDo: { giaoDucPhoThong: '12/12', chuyenMonCaoNhat: 'Cử nhân Luật', lyLuanChinhTri: 'TRUNG_CAP' },
    dang: { ngayVaoDang: '2012-02-03' },
    quaTrinhCongTac: [
      { tuThang: '2010-09', denThang: '2018-12', noiDung: 'Chuyên viên Phòng Tổ chức cán bộ, Sở Nội vụ tỉnh Bắc Giang' },
      { tuThang: '2019-01', noiDung: 'Phó Trưởng phòng Tổ chức cán bộ, Sở Nội vụ tỉnh Bắc Giang' },
    ],
    khenThuong: [{ hinhThuc: '05', nam: 2021, soQuyetDinh: '1234/QĐ-UBND' }],
    ngayCapNhat: '2025-08-20T10:15:00+07:00',
  };
}

const VENDOR_A_FIELDS: Record<string, string> = {
  '/soDinhDanh': 'SoCMND',
  '/soHieu': 'SoHieuCanBo',
  '/hoVaTen': 'HoTen',
  '/ngaySinh': 'NgaySinh',
  '/danToc': 'DanToc',
  '/donVi/maDinhDanh': 'MaDonVi',
  '/donVi/ten': 'TenDonVi',
  '/ngachChucDanh': 'MaNgach',
  '/luong/bac': 'BacLuong',
  '/luong/heSo': 'HeSoLuong',
  '/quaTrinhCongTac': 'QuaTrinhCongTac',
  '/quaTrinhCongTac/0': 'QuaTrinhCongTac/CongTac[1]',
  '/quaTrinhCongTac/1': 'QuaTrinhCongTac/CongTac[2]',
  '/nguon/maDonViGui': 'XacThuc/MaDonVi',
};

function parsedRecord(index: number, draft: Partial<HoSoChuaKy>, extra: Partial<ParsedRecord> = {}): ParsedRecord {
  return { recordId: String(draft?.soHieu ?? index), index, draft, fields: VENDOR_A_FIELDS, errors: [], warnings: [], ...extra };
}

describe('vendorField', () => {
  it('takes the longest registered prefix, segment-wise, else the pointer', () => {
    expect(vendorField('/luong/heSo', VENDOR_A_FIELDS)).toBe('HeSoLuong');
    expect(vendorField('/ngachChucDanh/ma', VENDOR_A_FIELDS)).toBe('MaNgach');
    expect(vendorField('/quaTrinhCongTac/1/tuThang', VENDOR_A_FIELDS)).toBe('QuaTrinhCongTac/CongTac[2]');
    expect(vendorField('/quaTrinhCongTac/7/tuThang', VENDOR_A_FIELDS)).toBe('QuaTrinhCongTac');
    expect(vendorField('/soDinhDanhX', VENDOR_A_FIELDS)).toBe('/soDinhDanhX');
    expect(vendorField('/gioiTinh', VENDOR_A_FIELDS)).toBe('/gioiTinh');
    expect(vendorField('/toString', {})).toBe('/toString');
  });
});

describe.each(STORE_KINDS)('prepareRecords on %s', (kind) => {
  let ca: TestCa;
  let identity: RecordSigningIdentity;
  let directory: UnitDirectory;
  let signerCalls: string[];

  beforeAll(async () => {
    ca = await makeCa('NDXP Test CA');
    identity = await ca.issue('RS256');
    const ctx = await testContext(kind);
    await loadRemapRules(ctx, SAMPLE_REMAP_RULES, 'test');
    await loadUnitTree(ctx, SAMPLE_TREE, 'test');
    directory = await createUnitDirectory(ctx);
    return () => directory.stop();
  });

  const env = (over: Partial<PrepareEnv> = {}): PrepareEnv => {
    signerCalls = [];
    return {
      directory,
      signer: (unit) => {
        signerCalls.push(unit);
        return identity;
      },
      softwareId: 'QLCB-A-2012',
      sendingUnit: '000.00.00.H03',
      front: 'vendor-a-asmx',
      today: TODAY,
      now: NOW,
      ...over,
    };
  };

  it('produces exactly DongBoHoSo.expected.json, signed', async () => {
    const draft = vendorADraft();
    const before = structuredClone(draft);
    const [prepared] = await prepareRecords([parsedRecord(0, draft)], env());
    expect(prepared.errors).toEqual([]);
    expect(prepared.warnings).toEqual([]);
    const { chuKySo, ...unsigned } = prepared.record!;
    expect(unsigned).toEqual(expectedVendorARecord('QLCB-A-2012'));
    expect(chuKySo).toMatchObject({ thuatToan: 'RS256', chungThu: identity.certDerBase64, thoiDiemKy: '2025-08-20T10:20:00+07:00' });
    expect(verifyRecord(prepared.record, { trustedCaPems: [ca.pem] })).toMatchObject({ ok: true });
    expect(signerCalls).toEqual(['000.00.00.H06']);
    expect(draft).toEqual(before); // the front's draft is not touched
  });

  it('answers the contract messages with vendor field names, and keeps good records of the batch', async () => {
    const bad = vendorADraft();
    bad.soDinhDanh = '121234567';
    bad.luong = { bac: 3, heSo: 3.1 };
    const results = await prepareRecords([parsedRecord(0, vendorADraft()), parsedRecord(1, bad), parsedRecord(2, vendorADraft())], env());
    expect(results.map((r) => r.record !== undefined)).toEqual([true, false, true]);
    expect(results[1].errors).toEqual([
      { pointer: '/soDinhDanh', field: 'SoCMND', code: 'SAI_DINH_DANG', message: 'Số định danh cá nhân phải gồm 12 chữ số (nhận được 9 chữ số)' },
      { pointer: '/luong/heSo', field: 'HeSoLuong', code: 'KHONG_HOP_LE', message: 'Hệ số 3,10 không thuộc bảng lương A1 của ngạch 01.003' },
    ]);
    expect(results.map((r) => r.parsed.index)).toEqual([0, 1, 2]);
    expect(signerCalls).toEqual(['000.00.00.H06', '000.00.00.H06']); // once per signed record (certs/signer.ts caches); per batch
  });

  it('re-maps work-history units and refuses unknown units, naming the vendor field', async () => {
    const draft = vendorADraft();
    draft.quaTrinhCongTac![0].maDinhDanhDonVi = '000.07.12.H03';
    draft.quaTrinhCongTac![1].maDinhDanhDonVi = '000.05.31.H06';
    const [ok] = await prepareRecords([parsedRecord(0, draft)], env());
    expect(ok.record?.quaTrinhCongTac?.map((q) => q.maDinhDanhDonVi)).toEqual(['000.07.12.H06', '000.05.31.H06']);

    const unknown = vendorADraft();
    unknown.donVi = { maDinhDanh: '123.45.67.H99' };
    unknown.quaTrinhCongTac![1].maDinhDanhDonVi = '999.99.99.H99';
    const [res] = await prepareRecords([parsedRecord(0, unknown)], env());
    expect(res.record).toBeUndefined();
    expect(res.errors.map((e) => [e.field, e.code])).toEqual([
      ['MaDonVi', 'MA_DON_VI_KHONG_TON_TAI'],
      ['QuaTrinhCongTac/CongTac[2]', 'MA_DON_VI_KHONG_TON_TAI'],
    ]);
    expect(res.errors[0].message).toBe('Mã đơn vị 123.45.67.H99 không có trong cây đơn vị hiện hành và không có quy tắc chuyển đổi mã');
  });

  it('an unknown sending unit fails every record of the call', async () => {
    const results = await prepareRecords([parsedRecord(0, vendorADraft()), parsedRecord(1, vendorADraft())], env({ sendingUnit: '777.00.00.H77' }));
    for (const r of results) {
      expect(r.record).toBeUndefined();
      expect(r.errors).toEqual([expect.objectContaining({ field: 'XacThuc/MaDonVi', code: 'MA_DON_VI_KHONG_TON_TAI' })]);
    }
  });

  it('reports parse errors once and validation errors besides, never signing', async () => {
    const draft = vendorADraft();
    delete draft.danToc;
    draft.luong = { bac: 3, heSo: 3.1 };
    const parseError = { pointer: '/danToc', field: 'DanToc', code: 'MA_KHONG_TON_TAI', message: 'Dân tộc "Klingon" không có trong danh mục' };
    const [res] = await prepareRecords([parsedRecord(0, draft, { errors: [parseError] })], env());
    expect(res.record).toBeUndefined();
    expect(res.errors).toEqual([parseError, expect.objectContaining({ field: 'HeSoLuong', code: 'KHONG_HOP_LE' })]);
    expect(signerCalls).toEqual([]);
  });

  it('a unit without a signing certificate gets a clear per-record error', async () => {
    const [res] = await prepareRecords(
      [parsedRecord(0, vendorADraft())],
      env({
        signer: (unit) => {
          throw new GatewayError('CHUA_CO_CHUNG_THU_KY', { unit });
        },
      }),
    );
    expect(res.record).toBeUndefined();
    expect(res.errors).toEqual([
      { pointer: '/nguon/maDonViGui', field: 'XacThuc/MaDonVi', code: 'CHUA_CO_CHUNG_THU_KY', message: expect.stringContaining('000.00.00.H06') },
    ]);
  });

  it('composes NFD text, drops undefined members, signs with ES256 too', async () => {
    const draft = vendorADraft();
    draft.hoVaTen = 'Nguyễn Văn Đức'.normalize('NFD');
    draft.tenGoiKhac = undefined;
    const es = await ca.issue('ES256');
    const [res] = await prepareRecords([parsedRecord(0, draft)], env({ signer: () => es }));
    expect(res.record?.hoVaTen).toBe('Nguyễn Văn Đức');
    expect('tenGoiKhac' in res.record!).toBe(false);
    expect(verifyRecord(res.record, { trustedCaPems: [ca.pem] })).toMatchObject({ ok: true, alg: 'ES256' });
  });

  it('a broken draft costs only its own record', async () => {
    const results = await prepareRecords([parsedRecord(0, null as never), parsedRecord(1, vendorADraft())], env());
    expect(results[0].record).toBeUndefined();
    expect(results[0].errors.length).toBeGreaterThan(0);
    expect(results[1].record).toBeDefined();
  });

  it('works with the certs area signing identity (signingIdentity) and its CA', async () => {
    const ctx = await testContext(kind);
    await ensurePki(ctx);
    await loadRemapRules(ctx, SAMPLE_REMAP_RULES, 'test');
    await loadUnitTree(ctx, SAMPLE_TREE, 'test');
    const dir = await createUnitDirectory(ctx);
    try {
      const issued = await issueCertificate(ctx, { kind: 'signing', cn: 'ky-so-H06', unit: '000.00.00.H06' }, 'test');
      // Signed "now": the certificate was issued a moment ago (the other tests sign in 2025).
      const [res] = await prepareRecords([parsedRecord(0, vendorADraft())], env({ directory: dir, now: new Date(), signer: (unit) => signingIdentity(ctx, unit) }));
      expect(res.errors).toEqual([]);
      const chain = (issued as { chainPem?: string }).chainPem ?? issued.certPem;
      expect(verifyRecord(res.record, { trustedCaPems: [chain] })).toMatchObject({ ok: true });
      // A unit with no signing certificate: the certs area's refusal, per record.
      const [none] = await prepareRecords([parsedRecord(0, vendorADraft())], env({ directory: dir, sendingUnit: '000.07.12.H06', signer: (unit) => signingIdentity(ctx, unit) }));
      expect(none.errors[0]).toMatchObject({ code: 'CHUA_CO_CHUNG_THU_KY' });
    } finally {
      dir.stop();
    }
  });
});

describe.each(STORE_KINDS)('prepareUnit on %s', (kind) => {
  let directory: UnitDirectory;
  beforeAll(async () => {
    const ctx = await testContext(kind);
    await loadRemapRules(ctx, SAMPLE_REMAP_RULES, 'test');
    await loadUnitTree(ctx, SAMPLE_TREE, 'test');
    directory = await createUnitDirectory(ctx);
    return () => directory.stop();
  });
  const parsedUnit = (draft: Record<string, unknown>): ParsedUnit => ({ recordId: String(draft.maDinhDanh), draft, fields: { '/maDonViCha': 'MaDonViCha', '/maDinhDanh': 'MaDonVi' }, errors: [], warnings: [] });

  it('re-homes the parent and validates', async () => {
    const res = await prepareUnit(parsedUnit({ maDinhDanh: '000.05.40.H06', ten: 'Phòng mới', maDonViCha: '000.05.31.H03', cap: 3, hieuLucTu: '2025-08-01' }), { directory, today: TODAY });
    expect(res.errors).toEqual([]);
    expect(res.unit).toEqual({ maDinhDanh: '000.05.40.H06', ten: 'Phòng mới', maDonViCha: '000.05.31.H06', cap: 3, hieuLucTu: '2025-08-01' });
  });

  it('refuses an old (replaced) code and a missing parent, naming vendor fields', async () => {
    const res = await prepareUnit(parsedUnit({ maDinhDanh: '000.05.31.H03', ten: 'Sở Nội vụ', cap: 2, hieuLucTu: '2020-01-01' }), { directory, today: TODAY });
    expect(res.unit).toBeUndefined();
    expect(res.errors.map((e) => [e.field, e.code])).toEqual([
      ['MaDonVi', 'MA_DON_VI_DA_THAY_DOI'],
      ['MaDonViCha', 'THIEU_TRUONG'],
    ]);
  });
});
