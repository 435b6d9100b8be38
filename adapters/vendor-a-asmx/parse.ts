/**
 * Vendor A's request (SOAP 1.1, document/literal wrapped, ASMX) → IncomingCall. The envelope is
 * read eagerly (it carries the key); the records are mapped only when the pipeline asks, after
 * the key is known (its encoding setting decides the text repair).
 */
import { GatewayError } from '../../core/errors.js';
import type { DonVi } from '../national/profile.js';
import type { IncomingCall, Operation, ParsedUnit, RequestLimits, TextRepair } from '../types.js';
import type { RequestMeta } from '../../core/http.js';
import { IssueCollector } from '../xml/issues.js';
import { contentTypeCharset } from '../xml/decode.js';
import { parseXmlBytes, type XmlElement } from '../xml/parse.js';
import { readSoapEnvelope, soap11Action } from '../xml/soap.js';
import { child, children, childText } from '../xml/tree.js';
import { mapHoSo } from '../legacy-hoso/hoso.js';
import { integer, legacyDate } from '../legacy-hoso/legacy-forms.js';

export const VENDOR_A_NS = 'http://qlcb.vendor-a.vn/';

export type VendorAOperation = 'DongBoHoSo' | 'DongBoDanhSachHoSo' | 'CapNhatDonVi' | 'TraCuuTrangThai';

export const VENDOR_A_OPERATIONS: Readonly<Record<VendorAOperation, Operation>> = {
  DongBoHoSo: 'submitProfiles',
  DongBoDanhSachHoSo: 'submitProfiles',
  CapNhatDonVi: 'upsertUnit',
  TraCuuTrangThai: 'status',
};

function isOperation(name: string): name is VendorAOperation {
  return Object.prototype.hasOwnProperty.call(VENDOR_A_OPERATIONS, name);
}

function trimmed(el: XmlElement | undefined, name: string): string | undefined {
  if (!el) return undefined;
  const v = childText(el, name, VENDOR_A_NS)?.trim();
  return v ? v : undefined;
}

/** The operation a quoted SOAPAction names; undefined when the header is absent or empty. */
function operationFromAction(action: string | undefined): string | undefined {
  if (action === undefined || action === '') return undefined;
  const name = action.startsWith(VENDOR_A_NS) ? action.slice(VENDOR_A_NS.length) : action;
  if (!isOperation(name)) throw new GatewayError('THAO_TAC_KHONG_TON_TAI', { operation: action.slice(0, 120) }, `SOAPAction ${action}`);
  return name;
}

export function readVendorARequest(body: Buffer, meta: RequestMeta, limits: RequestLimits): IncomingCall {
  if (meta.method !== 'POST') throw new GatewayError('PHUONG_THUC_KHONG_HO_TRO', { method: meta.method, path: meta.path });
  // ASMX routes on SOAPAction before it reads the body; a wrong action is refused first.
  const actionOp = operationFromAction(soap11Action(meta.headers));
  const root = parseXmlBytes(body, limits, { charset: contentTypeCharset(meta.headers['content-type']) });
  const env = readSoapEnvelope(root, '1.1', { understood: [{ local: 'XacThuc', uri: VENDOR_A_NS }] });
  const op = env.operation;
  if (op.uri !== VENDOR_A_NS || !isOperation(op.local)) {
    throw new GatewayError('THAO_TAC_KHONG_TON_TAI', { operation: op.local.slice(0, 120) }, `body element {${op.uri}}${op.local}`);
  }
  if (actionOp !== undefined && actionOp !== op.local) {
    throw new GatewayError(
      'SOAP_KHONG_HOP_LE',
      { detail: `SOAPAction ${actionOp} không khớp với thao tác ${op.local} trong Body` },
      'SOAPAction / body mismatch',
    );
  }
  const xacThuc = env.header ? child(env.header, 'XacThuc', VENDOR_A_NS) : undefined;
  const key = trimmed(xacThuc, 'MaKetNoi');
  if (key === undefined) {
    throw new GatewayError('KHOA_KET_NOI_KHONG_HOP_LE', {}, xacThuc ? 'empty XacThuc/MaKetNoi' : 'no XacThuc header');
  }
  const credentials = { key, unitCode: trimmed(xacThuc, 'MaDonVi') };
  const name = op.local;
  const base = { vendorOperation: name, operation: VENDOR_A_OPERATIONS[name], credentials };

  switch (name) {
    case 'DongBoHoSo': {
      const hoSo = child(op, 'hoSo', VENDOR_A_NS);
      if (!hoSo) throw missing('hoSo', name);
      return { ...base, records: (repair: TextRepair) => [mapHoSo(hoSo, 0, repair)] };
    }
    case 'DongBoDanhSachHoSo': {
      const list = child(op, 'danhSach', VENDOR_A_NS);
      const items = list ? children(list, 'HoSo', VENDOR_A_NS) : [];
      if (items.length === 0) throw missing('danhSach/HoSo', name);
      if (items.length > limits.maxRecordsPerCall) {
        throw new GatewayError('QUA_NHIEU_BAN_GHI', { limit: limits.maxRecordsPerCall, count: items.length });
      }
      return { ...base, records: (repair: TextRepair) => items.map((el, i) => mapHoSo(el, i, repair)) };
    }
    case 'CapNhatDonVi': {
      const donVi = child(op, 'donVi', VENDOR_A_NS);
      if (!donVi) throw missing('donVi', name);
      return { ...base, unit: (repair: TextRepair) => mapDonVi(donVi, repair) };
    }
    case 'TraCuuTrangThai': {
      const id = trimmed(op, 'maTheoDoi');
      if (id === undefined) throw missing('maTheoDoi', name);
      return { ...base, trackingIds: [id], trackingField: 'maTheoDoi' };
    }
  }
}

function missing(element: string, operation: string): GatewayError {
  return new GatewayError('SOAP_KHONG_HOP_LE', { detail: `thao tác ${operation} thiếu phần tử ${element}` }, `missing ${element}`);
}

export const DONVI_FIELDS: Readonly<Record<string, string>> = Object.freeze({
  '/maDinhDanh': 'MaDonVi',
  '/ten': 'TenDonVi',
  '/maDonViCha': 'MaDonViCha',
  '/cap': 'Cap',
  '/hieuLucTu': 'NgayHieuLuc',
});

/** CapNhatDonVi's `donVi` → draft national unit. */
export function mapDonVi(el: XmlElement, repair: TextRepair): ParsedUnit {
  const issues = new IssueCollector();
  const get = (name: string) => {
    const c = child(el, name);
    if (!c) return undefined;
    const v = repair(c.text).trim();
    return v.length ? v : undefined;
  };
  const draft: Partial<DonVi> = {};
  const ma = get('MaDonVi');
  if (ma !== undefined) draft.maDinhDanh = ma;
  const ten = get('TenDonVi');
  if (ten !== undefined) draft.ten = ten;
  const cha = get('MaDonViCha');
  if (cha !== undefined) draft.maDonViCha = cha;
  const cap = get('Cap');
  if (cap !== undefined) {
    const r = integer(cap, 2);
    if ('value' in r) draft.cap = r.value;
    else issues.error('/cap', 'Cap', 'SAI_DINH_DANG', `Cấp đơn vị ${r.reason}`);
  }
  const hieuLuc = get('NgayHieuLuc');
  if (hieuLuc !== undefined) {
    const r = legacyDate(hieuLuc, false);
    if ('value' in r) draft.hieuLucTu = r.value;
    else issues.error('/hieuLucTu', 'NgayHieuLuc', 'SAI_DINH_DANG', `Ngày hiệu lực ${r.reason}`);
  }
  return { recordId: ma ?? 'donVi', draft, fields: { ...DONVI_FIELDS }, errors: issues.errors, warnings: issues.warnings };
}
