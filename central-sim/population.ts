/**
 * The simulator's own National Population Database: what the register holds for a personal id,
 * and how a stored record compares with it (contract 1.1, the daily matching).
 *
 * The register is derived from the records the simulator stores, so that most of them match, with
 * a configurable share of the mismatches real data has: a name typed without or with other
 * diacritics (legacy TCVN3 software, hỏi/ngã confusion), day and month swapped in a birth date, a
 * pre-merger province name kept in an address after the 1 July 2025 merger, and ids the register
 * does not know. Everything here is a pure function of (seed, record), so tests can predict it.
 */
import { createHash } from 'node:crypto';

export type MismatchKind = 'diacritics' | 'dateSwap' | 'oldPlaceName' | 'unknownId';

export const MISMATCH_KINDS: readonly MismatchKind[] = ['diacritics', 'dateSwap', 'oldPlaceName', 'unknownId'];

export interface PopulationOptions {
  /** Seed of the derivation (default 1): the same seed and record always give the same citizen. */
  seed?: number;
  /** Share (0..1) of ids whose register entry differs from the record (default 0.1). */
  mismatchShare?: number;
  /** The kinds of difference to draw from (default: all). A record gets one of the kinds that
   *  apply to it (an address with a merged province, a date whose day can be a month…), or
   *  matches when none does. */
  kinds?: MismatchKind[];
}

/** One citizen as the population register holds them. Addresses are the free text (`diaChi`). */
export interface Citizen {
  soDinhDanh: string;
  hoVaTen: string;
  ngaySinh: string;
  gioiTinh: number;
  queQuan?: string;
  noiThuongTru?: string;
}

export interface ChenhLech {
  truong: string;
  giaTriHoSo?: unknown;
  giaTriDanCu: unknown;
}

export type KetQuaDoiSoat = 'KHOP' | 'KHONG_KHOP' | 'KHONG_TIM_THAY';

/** The fields of a profile record the matching reads. */
interface RecordFields {
  soDinhDanh: string;
  hoVaTen?: unknown;
  ngaySinh?: unknown;
  gioiTinh?: unknown;
  queQuan?: { diaChi?: unknown };
  noiThuongTru?: { diaChi?: unknown };
}

export class PopulationInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PopulationInputError';
  }
}

export function checkPopulationOptions(options: PopulationOptions = {}): Required<PopulationOptions> {
  const seed = options.seed ?? 1;
  const mismatchShare = options.mismatchShare ?? 0.1;
  const kinds = options.kinds ?? [...MISMATCH_KINDS];
  if (!Number.isInteger(seed)) throw new PopulationInputError('population.seed phải là số nguyên');
  if (!(typeof mismatchShare === 'number' && mismatchShare >= 0 && mismatchShare <= 1)) {
    throw new PopulationInputError('population.mismatchShare phải là tỉ lệ từ 0 đến 1');
  }
  for (const k of kinds) {
    if (!MISMATCH_KINDS.includes(k)) throw new PopulationInputError(`Không có kiểu chênh lệch "${k}" (có: ${MISMATCH_KINDS.join(', ')})`);
  }
  return { seed, mismatchShare, kinds };
}

// ---- derivation ---------------------------------------------------------------------------

/** Provinces merged away on 1 July 2025 (Resolution 202/2025/QH15) and what they are part of now. */
const MERGED_PROVINCES: ReadonlyArray<[oldName: string, current: string]> = [
  ['Hà Giang', 'tỉnh Tuyên Quang'],
  ['Yên Bái', 'tỉnh Lào Cai'],
  ['Bắc Kạn', 'tỉnh Thái Nguyên'],
  ['Vĩnh Phúc', 'tỉnh Phú Thọ'],
  ['Hòa Bình', 'tỉnh Phú Thọ'],
  ['Bắc Giang', 'tỉnh Bắc Ninh'],
  ['Thái Bình', 'tỉnh Hưng Yên'],
  ['Hải Dương', 'thành phố Hải Phòng'],
  ['Hà Nam', 'tỉnh Ninh Bình'],
  ['Nam Định', 'tỉnh Ninh Bình'],
  ['Quảng Bình', 'tỉnh Quảng Trị'],
  ['Thừa Thiên Huế', 'thành phố Huế'],
  ['Quảng Nam', 'thành phố Đà Nẵng'],
  ['Kon Tum', 'tỉnh Quảng Ngãi'],
  ['Bình Định', 'tỉnh Gia Lai'],
  ['Phú Yên', 'tỉnh Đắk Lắk'],
  ['Ninh Thuận', 'tỉnh Khánh Hòa'],
  ['Đắk Nông', 'tỉnh Lâm Đồng'],
  ['Bình Thuận', 'tỉnh Lâm Đồng'],
  ['Bình Phước', 'tỉnh Đồng Nai'],
  ['Bình Dương', 'Thành phố Hồ Chí Minh'],
  ['Bà Rịa - Vũng Tàu', 'Thành phố Hồ Chí Minh'],
  ['Long An', 'tỉnh Tây Ninh'],
  ['Tiền Giang', 'tỉnh Đồng Tháp'],
  ['Bến Tre', 'tỉnh Vĩnh Long'],
  ['Trà Vinh', 'tỉnh Vĩnh Long'],
  ['Sóc Trăng', 'thành phố Cần Thơ'],
  ['Hậu Giang', 'thành phố Cần Thơ'],
  ['Bạc Liêu', 'tỉnh Cà Mau'],
  ['Kiên Giang', 'tỉnh An Giang'],
];

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** "tỉnh <old>" as a whole address segment ("thành phố Bắc Giang", a former district, is not one). */
const MERGED_PATTERNS = MERGED_PROVINCES.map(
  ([oldName, current]) =>
    [new RegExp(`tỉnh\\s+${escapeRegExp(oldName).replace(/ - /g, '\\s*[-–]\\s*')}(?=\\s*(?:,|$))`, 'iu'), current] as const,
);

/** The address as the register writes it since the merger, or undefined when it names no merged province. */
export function currentPlaceName(address: string): string | undefined {
  const text = address.normalize('NFC');
  for (const [pattern, current] of MERGED_PATTERNS) {
    if (pattern.test(text)) return text.replace(pattern, current);
  }
  return undefined;
}

/** The name without any diacritic (as legacy software without Vietnamese fonts wrote it). */
export function withoutDiacritics(name: string): string {
  return name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').normalize('NFC');
}

// Tone marks confused in practice: hỏi ↔ ngã, sắc ↔ nặng, huyền → hỏi.
const TONE_SWAP: Record<string, string> = { '\u0303': '\u0309', '\u0309': '\u0303', '\u0301': '\u0323', '\u0323': '\u0301', '\u0300': '\u0309' };

/** The name with the tone mark of its first toned syllable replaced by a commonly confused one. */
export function withOtherTone(name: string): string | undefined {
  const d = name.normalize('NFD');
  const i = d.search(/[\u0300\u0301\u0303\u0309\u0323]/);
  if (i < 0) return undefined;
  return (d.slice(0, i) + TONE_SWAP[d[i]] + d.slice(i + 1)).normalize('NFC');
}

/** YYYY-MM-DD with day and month swapped, when the day could be a month and differs from it. */
export function swappedDate(date: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return undefined;
  const day = Number(m[3]);
  if (day < 1 || day > 12 || m[2] === m[3]) return undefined;
  return `${m[1]}-${m[3]}-${m[2]}`;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The citizen exactly as the record describes them. */
function citizenOf(record: RecordFields): Citizen {
  const c: Citizen = {
    soDinhDanh: record.soDinhDanh,
    hoVaTen: text(record.hoVaTen) ?? '',
    ngaySinh: text(record.ngaySinh) ?? '',
    gioiTinh: typeof record.gioiTinh === 'number' ? record.gioiTinh : 0,
  };
  const queQuan = text(record.queQuan?.diaChi);
  const noiThuongTru = text(record.noiThuongTru?.diaChi);
  if (queQuan !== undefined) c.queQuan = queQuan;
  if (noiThuongTru !== undefined) c.noiThuongTru = noiThuongTru;
  return c;
}

/** Applies one kind of mismatch to the citizen, or undefined when it does not apply to this record. */
function mismatched(c: Citizen, kind: MismatchKind, variant: number): Citizen | null | undefined {
  switch (kind) {
    case 'unknownId':
      return null;
    case 'diacritics': {
      const stripped = withoutDiacritics(c.hoVaTen);
      if (stripped === c.hoVaTen) return undefined;
      const other = variant % 2 === 1 ? withOtherTone(c.hoVaTen) : undefined;
      return { ...c, hoVaTen: other ?? stripped };
    }
    case 'dateSwap': {
      const swapped = swappedDate(c.ngaySinh);
      return swapped ? { ...c, ngaySinh: swapped } : undefined;
    }
    case 'oldPlaceName': {
      // The register was updated to the new place names; the record still has the old one.
      const noiThuongTru = c.noiThuongTru && currentPlaceName(c.noiThuongTru);
      if (noiThuongTru) return { ...c, noiThuongTru };
      const queQuan = c.queQuan && currentPlaceName(c.queQuan);
      return queQuan ? { ...c, queQuan } : undefined;
    }
  }
}

/**
 * The register's entry for the record's person: the record's own values, or (for a share of ids
 * chosen by the seed) one kind of realistic difference. Whether an id differs depends only on seed
 * and id; which kind on the kinds that apply to the record.
 */
export function deriveCitizen(record: RecordFields, options: PopulationOptions = {}): { congDan: Citizen | null; kieuLech?: MismatchKind } {
  const { seed, mismatchShare, kinds } = checkPopulationOptions(options);
  const base = citizenOf(record);
  const h = createHash('sha256').update(`${seed}\n${record.soDinhDanh}`).digest();
  const draw = h.readUInt32BE(0) / 2 ** 32;
  if (draw >= mismatchShare) return { congDan: base };
  const applicable: [MismatchKind, Citizen | null][] = [];
  for (const kind of kinds) {
    const c = mismatched(base, kind, h[8]);
    if (c !== undefined) applicable.push([kind, c]);
  }
  if (applicable.length === 0) return { congDan: base };
  const [kieuLech, congDan] = applicable[h.readUInt32BE(4) % applicable.length];
  return { congDan, kieuLech };
}

// ---- matching -----------------------------------------------------------------------------

/** Text compared as people read it: NFC, spacing and letter case do not matter; diacritics do. */
const sameText = (a: string, b: string) => {
  const norm = (s: string) => s.normalize('NFC').trim().replace(/\s+/g, ' ').toLocaleLowerCase('vi');
  return norm(a) === norm(b);
};

/**
 * The outcome of matching one record against the register. A field the register holds no value
 * for is not compared; a field the register holds and the record lacks is a difference (without
 * giaTriHoSo), as the contract describes.
 */
export function matchRecord(record: RecordFields, congDan: Citizen | null): { ketQua: KetQuaDoiSoat; chenhLech?: ChenhLech[] } {
  if (!congDan) return { ketQua: 'KHONG_TIM_THAY' };
  const chenhLech: ChenhLech[] = [];
  const compare = (truong: string, hoSo: unknown, danCu: unknown, same: (a: never, b: never) => boolean) => {
    if (danCu === undefined || danCu === null) return;
    if (hoSo !== undefined && hoSo !== null && typeof hoSo === typeof danCu && same(hoSo as never, danCu as never)) return;
    chenhLech.push(hoSo === undefined ? { truong, giaTriDanCu: danCu } : { truong, giaTriHoSo: hoSo, giaTriDanCu: danCu });
  };
  const exact = (a: unknown, b: unknown) => a === b;
  compare('/hoVaTen', record.hoVaTen, congDan.hoVaTen, sameText);
  compare('/ngaySinh', record.ngaySinh, congDan.ngaySinh, exact);
  compare('/gioiTinh', record.gioiTinh, congDan.gioiTinh, exact);
  compare('/queQuan/diaChi', record.queQuan?.diaChi, congDan.queQuan, sameText);
  compare('/noiThuongTru/diaChi', record.noiThuongTru?.diaChi, congDan.noiThuongTru, sameText);
  return chenhLech.length === 0 ? { ketQua: 'KHOP' } : { ketQua: 'KHONG_KHOP', chenhLech };
}

// ---- control API input --------------------------------------------------------------------

export interface PopulationChange {
  set: Citizen[];
  remove: string[];
}

const ID = /^[0-9]{12}$/;
const DATE = /^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$/;

/** Validates `{"congDan": [...]}` and/or `{"xoa": [...]}`; throws PopulationInputError naming the member. */
export function parsePopulationChange(input: unknown): PopulationChange {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new PopulationInputError('Nội dung phải là {"congDan": [...]} hoặc {"xoa": [...]}');
  }
  const body = input as Record<string, unknown>;
  for (const k of Object.keys(body)) if (k !== 'congDan' && k !== 'xoa') throw new PopulationInputError(`Trường ${k} không có (có: congDan, xoa)`);
  if (body.congDan === undefined && body.xoa === undefined) throw new PopulationInputError('Cần congDan hoặc xoa');
  const set: Citizen[] = [];
  if (body.congDan !== undefined) {
    if (!Array.isArray(body.congDan)) throw new PopulationInputError('congDan phải là danh sách công dân');
    body.congDan.forEach((raw, i) => set.push(parseCitizen(raw, `congDan[${i}]`)));
  }
  const remove: string[] = [];
  if (body.xoa !== undefined) {
    if (!Array.isArray(body.xoa)) throw new PopulationInputError('xoa phải là danh sách số định danh');
    body.xoa.forEach((id, i) => {
      if (typeof id !== 'string' || !ID.test(id)) throw new PopulationInputError(`xoa[${i}] phải là số định danh 12 chữ số`);
      remove.push(id);
    });
  }
  return { set, remove };
}

function parseCitizen(raw: unknown, at: string): Citizen {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new PopulationInputError(`${at} phải là một đối tượng`);
  const c = raw as Record<string, unknown>;
  const known = ['soDinhDanh', 'hoVaTen', 'ngaySinh', 'gioiTinh', 'queQuan', 'noiThuongTru'];
  for (const k of Object.keys(c)) if (!known.includes(k)) throw new PopulationInputError(`${at}.${k} không có (có: ${known.join(', ')})`);
  if (typeof c.soDinhDanh !== 'string' || !ID.test(c.soDinhDanh)) throw new PopulationInputError(`${at}.soDinhDanh phải là số định danh 12 chữ số`);
  if (typeof c.hoVaTen !== 'string' || c.hoVaTen.trim() === '') throw new PopulationInputError(`${at}.hoVaTen phải là họ và tên`);
  if (typeof c.ngaySinh !== 'string' || !DATE.test(c.ngaySinh)) throw new PopulationInputError(`${at}.ngaySinh phải có dạng YYYY-MM-DD`);
  if (c.gioiTinh !== 0 && c.gioiTinh !== 1 && c.gioiTinh !== 2) throw new PopulationInputError(`${at}.gioiTinh phải là 0, 1 hoặc 2`);
  const citizen: Citizen = { soDinhDanh: c.soDinhDanh, hoVaTen: c.hoVaTen.normalize('NFC'), ngaySinh: c.ngaySinh, gioiTinh: c.gioiTinh };
  for (const field of ['queQuan', 'noiThuongTru'] as const) {
    const v = c[field];
    if (v === undefined || v === null) continue;
    // The text, or the record's own shape {diaChi}.
    const address = typeof v === 'object' && !Array.isArray(v) ? (v as { diaChi?: unknown }).diaChi : v;
    if (typeof address !== 'string') throw new PopulationInputError(`${at}.${field} phải là địa chỉ (chuỗi hoặc {diaChi})`);
    citizen[field] = address.normalize('NFC');
  }
  return citizen;
}
