/**
 * The two read paths contract 1.1 adds: a unit's inventory (`GET /api/v1/units/{maDinhDanh}/profiles`)
 * and the published matching results (`GET /api/v1/doi-soat`), both for the unit and all its
 * descendants, both paged.
 *
 * The inventory's cursor is opaque to clients and carries the snapshot the first page was taken
 * at (the newest record row then), so that `tong` is the same on every page and records created
 * while a client pages through do not appear half-way. Matching results are append-only, so
 * paging by the last `maKetQua` seen is stable by construction.
 */
import { loi } from './messages.js';
import { formatMaKetQua, parseMaKetQua } from './matching.js';
import type { SimStore } from './store.js';

export interface Answer {
  status: number;
  body: unknown;
}

const MAX_LIMIT = 5000;
const DEFAULT_LIMIT = 1000;
const RESULT_CODES = new Set(['KHOP', 'KHONG_KHOP', 'KHONG_TIM_THAY']);

const badParameter = (truong: string, moTa: string, ma = 'KHONG_HOP_LE'): Answer => ({
  status: 400,
  body: loi('THAM_SO_KHONG_HOP_LE', [{ truong, ma, moTa }]),
});

function pageLimit(query: URLSearchParams): number | Answer {
  const raw = query.get('limit');
  if (raw === null) return DEFAULT_LIMIT;
  const n = /^[0-9]{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_LIMIT)) return badParameter('limit', `limit phải là số nguyên từ 1 đến ${MAX_LIMIT}`);
  return n;
}

interface InventoryCursor {
  /** The unit the inventory is for. */
  u: string;
  /** The last soDinhDanh already listed. */
  a: string;
  /** The snapshot: the newest record row when the first page was read. */
  s: number;
}

const encodeCursor = (c: InventoryCursor) => Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');

function decodeCursor(raw: string, unit: string): InventoryCursor | undefined {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<InventoryCursor>;
    if (c.u === unit && typeof c.a === 'string' && /^[0-9]{12}$/.test(c.a) && Number.isSafeInteger(c.s) && c.s! >= 0) return c as InventoryCursor;
  } catch {
    /* not one of ours */
  }
  return undefined;
}

/** One page of the inventory of `unit` and its descendants, in soDinhDanh order. */
export function listUnitProfiles(store: SimStore, unit: string, query: URLSearchParams): Answer {
  const limit = pageLimit(query);
  if (typeof limit !== 'number') return limit;
  const rawCursor = query.get('cursor');
  let cursor: InventoryCursor | undefined;
  if (rawCursor !== null) {
    cursor = decodeCursor(rawCursor, unit);
    if (!cursor) return badParameter('cursor', 'cursor không phải giá trị do trang trước trả về cho đơn vị này');
  }
  const units = store.subtreeCodes(unit);
  const snapshot = cursor?.s ?? store.profileSnapshot();
  const tong = store.inventoryCount(units, snapshot);
  // A unit is known when it is in the tree or a record names it (records may arrive before units).
  if (tong === 0 && !store.getUnit(unit)) {
    return { status: 404, body: loi('KHONG_TIM_THAY', [{ truong: '/maDinhDanh', ma: 'KHONG_TIM_THAY', moTa: `Không có đơn vị ${unit}` }]) };
  }
  const rows = store.inventory(units, cursor?.a ?? '', snapshot, limit + 1);
  const page = rows.slice(0, limit);
  return {
    status: 200,
    body: {
      hoSo: page.map((l) => ({
        soDinhDanh: l.soDinhDanh,
        phienBan: l.phienBan,
        bam: l.bam,
        maDonVi: l.maDonVi,
        ...(l.ketQuaDoiSoat ? { ketQuaDoiSoat: l.ketQuaDoiSoat } : {}),
      })),
      tong,
      tiepTheo: rows.length > limit ? encodeCursor({ u: unit, a: page[page.length - 1].soDinhDanh, s: snapshot }) : null,
    },
  };
}

/** One page of the matching results of `maDonVi` and its descendants, strictly after `since`. */
export function listMatchingResults(store: SimStore, query: URLSearchParams): Answer {
  const maDonVi = query.get('maDonVi')?.trim();
  if (!maDonVi) return badParameter('maDonVi', 'Thiếu tham số maDonVi (mã đơn vị cần xem kết quả đối soát)', 'THIEU_TRUONG');
  const since = query.get('since');
  let afterSeq = 0;
  if (since !== null) {
    const seq = parseMaKetQua(since);
    if (seq === undefined) return badParameter('since', 'since phải là một maKetQua đã nhận được');
    afterSeq = seq;
  }
  const ketQua = query.get('ketQua');
  if (ketQua !== null && !RESULT_CODES.has(ketQua)) return badParameter('ketQua', 'ketQua phải là KHOP, KHONG_KHOP hoặc KHONG_TIM_THAY');
  const limit = pageLimit(query);
  if (typeof limit !== 'number') return limit;
  const rows = store.matchingResults(store.subtreeCodes(maDonVi), afterSeq, ketQua, limit + 1);
  return {
    status: 200,
    body: {
      ketQua: rows.slice(0, limit).map((r) => ({
        maKetQua: formatMaKetQua(r.seq),
        soDinhDanh: r.soDinhDanh,
        maDonVi: r.maDonVi,
        ngayDoiSoat: r.ngayDoiSoat,
        phienBan: r.phienBan,
        ketQua: r.ketQua,
        ...(r.chenhLech ? { chenhLech: JSON.parse(r.chenhLech) as unknown } : {}),
      })),
      conNua: rows.length > limit,
    },
  };
}
