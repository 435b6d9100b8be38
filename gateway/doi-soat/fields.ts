/**
 * How each party names a field the population matching compares. The centre names it by JSON
 * Pointer into the national record (`/hoVaTen`); a clerk knows it by the name on their own
 * software's screen and contract: vendor A (and vendor C, which posts vendor A's HoSo) `HoTen`,
 * vendor B `personal/fullName`, the JSON front the national member itself. Labels are for the
 * unit's HR staff (Excel report, CLI).
 */
import { HOSO_FIELDS } from '../../adapters/legacy-hoso/hoso.js';

/** Vietnamese label of each compared field. */
export const FIELD_LABELS: Readonly<Record<string, string>> = Object.freeze({
  '/hoVaTen': 'Họ và tên',
  '/ngaySinh': 'Ngày sinh',
  '/gioiTinh': 'Giới tính',
  '/queQuan/diaChi': 'Quê quán',
  '/noiThuongTru/diaChi': 'Nơi thường trú',
  '/soDinhDanh': 'Số định danh cá nhân',
});

/**
 * Vendor B's names of the person's members (adapters/vendor-b-jaxws/employee.ts maps them per
 * record as `employee[i]/<name>`; a status answer names the field without the position).
 * test/doi-soat.test.ts checks these against what vendor B's mapping registers.
 */
export const VENDOR_B_FIELDS: Readonly<Record<string, string>> = Object.freeze({
  '/hoVaTen': 'personal/fullName',
  '/ngaySinh': 'personal/dob',
  '/gioiTinh': 'personal/sex',
  '/soDinhDanh': 'personal/nationalId',
});

const BY_FRONT: Record<string, Readonly<Record<string, string>>> = {
  'vendor-a-asmx': HOSO_FIELDS,
  'vendor-c-xmlpost': HOSO_FIELDS,
  'vendor-b-jaxws': VENDOR_B_FIELDS,
};

/** Longest pointer prefix with a name in the map (`/queQuan/diaChi` → the name of `/queQuan`). */
function lookup(map: Readonly<Record<string, string>>, pointer: string): string | undefined {
  for (let p = pointer; p; p = p.slice(0, p.lastIndexOf('/'))) if (map[p]) return map[p];
  return undefined;
}

/** The field as the caller's front names it; the JSON front (and an unknown front) uses the national name (`queQuan.diaChi`). */
export function vendorFieldName(front: string | null | undefined, pointer: string): string {
  const map = front ? BY_FRONT[front] : undefined;
  return (map && lookup(map, pointer)) ?? pointer.replace(/^\//, '').replace(/\//g, '.');
}

export function fieldLabel(pointer: string): string {
  return FIELD_LABELS[pointer] ?? pointer;
}

/** A value from a record or the register as a clerk reads it: dates dd/MM/yyyy, sex in words. */
export function displayValue(pointer: string, value: unknown): string {
  if (value === undefined || value === null || value === '') return '';
  const text = typeof value === 'string' ? value : typeof value === 'object' && value && 'diaChi' in value ? String((value as { diaChi: unknown }).diaChi) : JSON.stringify(value);
  if (pointer === '/ngaySinh') return viDate(text);
  if (pointer === '/gioiTinh') return ({ '1': 'Nam', '2': 'Nữ', '0': 'Không xác định' } as Record<string, string>)[text] ?? text;
  return text;
}

/** yyyy-MM-dd (or yyyy-MM, yyyy) → dd/MM/yyyy (MM/yyyy, yyyy); anything else unchanged. */
export function viDate(text: string): string {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(text);
  if (!m) return text;
  if (m[3]) return `${m[3]}/${m[2]}/${m[1]}`;
  if (m[2]) return `${m[2]}/${m[1]}`;
  return m[1];
}
