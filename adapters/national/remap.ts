/**
 * Unit re-mapping after the 1 July 2025 reorganisation: legacy software keeps sending pre-2025
 * unit codes; every record must be re-homed to the current unit tree before it is sent.
 *
 * This file is the pure part, shared by every process that has the data in hand: reading the two
 * documents network admins load (gateway/units/ keeps them in the store and an in-process
 * directory fresh), building an index from them and resolving a code against it.
 * - re-mapping rules, shaped like the contract's unit-remap.sample.json: exact rules
 *   (maCu → maMoi) and level-1 rules (maCap1Cu → maCap1Moi, replacing only the last group of any
 *   code under that body);
 * - the current unit tree (unit.schema.json objects); a unit's maCu lists the codes it replaced.
 *
 * Resolution order for a code: exact rule → a current unit that lists the code in maCu → the code
 * itself when it is a unit of the current tree → level-1 rule → error MA_DON_VI_KHONG_TON_TAI.
 * Rules only apply from their tuNgay (Vietnam date). Results of a rule may themselves be old codes
 * (two reorganisations): resolution follows at most MAX_HOPS steps and refuses cycles.
 *
 * While the tree is EMPTY (never loaded), a code without a rule passes unchanged with a warning
 * CAY_DON_VI_CHUA_NAP: refusing every record of a fresh installation would be worse than sending
 * codes the central database checks again anyway. Operators see the warning per record.
 */
import type { DonVi } from './profile.js';
import { validateUnit, type Issue } from './validate.js';

export type RemapKind = 'exact' | 'level1';

export interface RemapRule {
  kind: RemapKind;
  /** exact: the old full code; level1: the old level-1 group (e.g. H03). */
  maCu: string;
  maMoi: string;
  /** yyyy-MM-dd: the rule applies from this date (Vietnam time). */
  tuNgay: string;
  ghiChu?: string;
}

/** How a code was re-homed. */
export interface AppliedRemap {
  /** exact / level1: a rule; tree: the current tree lists the old code in a unit's maCu. */
  kind: RemapKind | 'tree';
  from: string;
  to: string;
  /** Rule ids used, in order (absent for tree). */
  ruleIds?: number[];
  /** Every code on the way when more than one step was needed. */
  path?: string[];
}

export type RemapResult = { code: string; ruleApplied?: AppliedRemap; warning?: Issue } | { error: Issue };

const CODE = /^[0-9A-Z]+(\.[0-9A-Z]+)*$/;
const GROUP = /^[0-9A-Z]+$/;
const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const MAX_HOPS = 5;

// ---------------------------------------------------------------------------------------------
// The in-memory index

interface IndexedRule {
  id: number;
  maMoi: string;
  tuNgay: string;
}

export interface UnitIndex {
  exact: Map<string, IndexedRule>;
  level1: Map<string, IndexedRule>;
  units: Map<string, DonVi>;
  /** old code → current units that list it in maCu. */
  successors: Map<string, string[]>;
}

export function buildUnitIndex(rules: (RemapRule & { id?: number })[], units: DonVi[]): UnitIndex {
  const index: UnitIndex = { exact: new Map(), level1: new Map(), units: new Map(), successors: new Map() };
  rules.forEach((r, i) => {
    const entry = { id: r.id ?? i + 1, maMoi: r.maMoi, tuNgay: r.tuNgay };
    (r.kind === 'exact' ? index.exact : index.level1).set(r.maCu, entry);
  });
  for (const u of units) {
    index.units.set(u.maDinhDanh, u);
    for (const old of u.maCu ?? []) {
      const list = index.successors.get(old);
      if (list) list.push(u.maDinhDanh);
      else index.successors.set(old, [u.maDinhDanh]);
    }
  }
  return index;
}

function displayDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d}/${m}/${y}`;
}

/**
 * Resolves a code against an index as of `today` (yyyy-MM-dd). Pure; gateway/units/directory.ts
 * wraps it with its cache.
 */
export function resolveUnitCode(index: UnitIndex, code: string, today: string, pointer = ''): RemapResult {
  const issue = (c: string, message: string): Issue => ({ pointer, field: pointer, code: c, message });
  if (typeof code !== 'string' || !CODE.test(code) || code.length > 35) {
    return { error: issue('SAI_DINH_DANG', `Mã đơn vị "${String(code)}" không đúng định dạng mã định danh điện tử`) };
  }
  // Fast path, the common case on the hot path: a live unit of the current tree with no rule.
  const direct = index.units.get(code);
  if (direct && !direct.hieuLucDen && !index.exact.has(code) && !index.successors.has(code)) return { code };
  const treeLoaded = index.units.size > 0;
  const path: string[] = [code];
  const ruleIds: number[] = [];
  let kind: AppliedRemap['kind'] | undefined;
  let current = code;

  for (let hop = 0; hop <= MAX_HOPS; hop++) {
    let next: string | undefined;
    let stepKind: AppliedRemap['kind'] | undefined;
    const exact = index.exact.get(current);
    if (exact && exact.tuNgay <= today) {
      next = exact.maMoi;
      stepKind = 'exact';
      ruleIds.push(exact.id);
    } else {
      const successors = index.successors.get(current);
      const live = index.units.get(current);
      if (successors && successors.length > 1 && !(live && !live.hieuLucDen)) {
        return {
          error: issue(
            'MA_DON_VI_KHONG_XAC_DINH',
            `Mã đơn vị cũ ${current} được nhiều đơn vị hiện hành kế thừa (${successors.join(', ')}); cần quy tắc chuyển đổi mã chính xác`,
          ),
        };
      }
      if (successors && successors.length === 1 && successors[0] !== current && !(live && !live.hieuLucDen)) {
        next = successors[0];
        stepKind = 'tree';
      } else if (live && (!live.hieuLucDen || live.hieuLucDen > today)) {
        next = undefined; // a unit of the current tree: done
      } else {
        const groups = current.split('.');
        const last = groups[groups.length - 1];
        const level1 = index.level1.get(last);
        if (level1 && level1.tuNgay <= today) {
          groups[groups.length - 1] = level1.maMoi;
          next = groups.join('.');
          stepKind = 'level1';
          ruleIds.push(level1.id);
        } else if (live) {
          return {
            error: issue('MA_DON_VI_KHONG_TON_TAI', `Đơn vị ${current} đã hết hiệu lực từ ngày ${displayDate(live.hieuLucDen!)} và không có quy tắc chuyển đổi mã`),
          };
        } else if (!treeLoaded) {
          return {
            code: current,
            ...(kind ? { ruleApplied: applied(kind, code, current, ruleIds, path) } : {}),
            warning: issue('CAY_DON_VI_CHUA_NAP', `Chưa nạp cây đơn vị hiện hành: mã đơn vị ${current} chưa được kiểm tra`),
          };
        } else if (kind) {
          // A rule led here: trust the admin's table, but say the target is not in the tree yet.
          return {
            code: current,
            ruleApplied: applied(kind, code, current, ruleIds, path),
            warning: issue('MA_DON_VI_CHUA_CO_TRONG_CAY', `Mã đơn vị ${code} được chuyển thành ${current} nhưng ${current} chưa có trong cây đơn vị hiện hành`),
          };
        } else {
          return {
            error: issue('MA_DON_VI_KHONG_TON_TAI', `Mã đơn vị ${code} không có trong cây đơn vị hiện hành và không có quy tắc chuyển đổi mã`),
          };
        }
      }
    }
    if (next === undefined || next === current) {
      return kind ? { code: current, ruleApplied: applied(kind, code, current, ruleIds, path) } : { code: current };
    }
    if (path.includes(next)) {
      return { error: issue('MA_DON_VI_KHONG_XAC_DINH', `Quy tắc chuyển đổi mã đơn vị tạo vòng lặp: ${[...path, next].join(' → ')}`) };
    }
    kind ??= stepKind;
    path.push(next);
    current = next;
  }
  return { error: issue('MA_DON_VI_KHONG_XAC_DINH', `Chuyển đổi mã đơn vị ${code} cần quá nhiều bước: ${path.join(' → ')}`) };
}

function applied(kind: AppliedRemap['kind'], from: string, to: string, ruleIds: number[], path: string[]): AppliedRemap {
  const out: AppliedRemap = { kind, from, to };
  if (ruleIds.length) out.ruleIds = [...ruleIds];
  if (path.length > 2) out.path = [...path];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading the documents (validated as a whole; gateway/units/ stores them)

/** A remap or tree file that cannot be loaded; nothing was changed. */
export class UnitDataError extends Error {
  readonly code = 'DU_LIEU_DON_VI_KHONG_HOP_LE';
  constructor(
    message: string,
    readonly issues: Issue[],
  ) {
    super(message);
    this.name = 'UnitDataError';
  }
}

function realDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Validates the contract's remap document ({rules: [...]}, or the bare array) into rules. */
export function parseRemapRules(json: unknown): RemapRule[] {
  const list = Array.isArray(json) ? json : json && typeof json === 'object' ? (json as { rules?: unknown }).rules : undefined;
  const base = Array.isArray(json) ? '' : '/rules';
  if (!Array.isArray(list)) {
    throw new UnitDataError('Tệp quy tắc chuyển đổi mã đơn vị phải có danh sách "rules"', [{ pointer: '/rules', field: '/rules', code: 'THIEU_TRUONG', message: 'Thiếu danh sách "rules"' }]);
  }
  const issues: Issue[] = [];
  const rules: RemapRule[] = [];
  const seen = new Map<string, number>();
  const bad = (pointer: string, code: string, message: string) => issues.push({ pointer, field: pointer, code, message });
  list.forEach((raw, i) => {
    const p = `${base}/${i}`;
    const row = `Quy tắc ${i + 1}`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return bad(p, 'SAI_DINH_DANG', `${row}: phải là một đối tượng`);
    const r = raw as Record<string, unknown>;
    const isExact = 'maCu' in r || 'maMoi' in r;
    const isLevel1 = 'maCap1Cu' in r || 'maCap1Moi' in r;
    if (isExact === isLevel1) return bad(p, 'KHONG_HOP_LE', `${row}: cần đúng một cặp maCu/maMoi hoặc maCap1Cu/maCap1Moi`);
    const [fromKey, toKey, pattern, what] = isExact ? (['maCu', 'maMoi', CODE, 'mã định danh'] as const) : (['maCap1Cu', 'maCap1Moi', GROUP, 'mã cấp 1'] as const);
    const known = new Set([fromKey, toKey, 'tuNgay', 'ghiChu']);
    for (const k of Object.keys(r)) if (!known.has(k)) bad(`${p}/${k}`, 'KHONG_HOP_LE', `${row}: trường "${k}" không được hỗ trợ`);
    const from = r[fromKey];
    const to = r[toKey];
    let ok = true;
    for (const [key, v] of [[fromKey, from], [toKey, to]] as const) {
      if (typeof v !== 'string' || !pattern.test(v) || v.length > 35) {
        ok = false;
        bad(`${p}/${key}`, v === undefined ? 'THIEU_TRUONG' : 'SAI_DINH_DANG', `${row}: ${key} ${v === undefined ? 'bị thiếu' : `"${String(v)}" không đúng định dạng ${what}`}`);
      }
    }
    if (typeof r.tuNgay !== 'string' || !realDate(r.tuNgay)) {
      ok = false;
      bad(`${p}/tuNgay`, r.tuNgay === undefined ? 'THIEU_TRUONG' : 'NGAY_KHONG_HOP_LE', `${row}: tuNgay ${r.tuNgay === undefined ? 'bị thiếu' : `"${String(r.tuNgay)}" không phải ngày hợp lệ (yyyy-MM-dd)`}`);
    }
    if (r.ghiChu !== undefined && (typeof r.ghiChu !== 'string' || r.ghiChu.length > 1000)) {
      ok = false;
      bad(`${p}/ghiChu`, 'SAI_DINH_DANG', `${row}: ghiChu phải là chuỗi ký tự (tối đa 1000 ký tự)`);
    }
    if (!ok) return;
    if (from === to) return bad(`${p}/${toKey}`, 'KHONG_HOP_LE', `${row}: mã mới trùng mã cũ (${String(from)})`);
    const kind: RemapKind = isExact ? 'exact' : 'level1';
    const key = `${kind}:${String(from)}`;
    if (seen.has(key)) return bad(`${p}/${fromKey}`, 'KHONG_HOP_LE', `${row}: mã cũ ${String(from)} đã có ở quy tắc ${seen.get(key)! + 1}`);
    seen.set(key, i);
    const rule: RemapRule = { kind, maCu: from as string, maMoi: to as string, tuNgay: r.tuNgay as string };
    if (typeof r.ghiChu === 'string') rule.ghiChu = r.ghiChu.normalize('NFC');
    rules.push(rule);
  });
  // Cycles among exact rules would never resolve.
  const exact = new Map(rules.filter((r) => r.kind === 'exact').map((r) => [r.maCu, r.maMoi]));
  for (const start of exact.keys()) {
    const chain = [start];
    let cur = exact.get(start);
    while (cur !== undefined && chain.length <= exact.size) {
      if (chain.includes(cur)) {
        if (cur === start) bad(base, 'KHONG_HOP_LE', `Các quy tắc chuyển đổi mã tạo vòng lặp: ${[...chain, cur].join(' → ')}`);
        break;
      }
      chain.push(cur);
      cur = exact.get(cur);
    }
  }
  if (issues.length) throw new UnitDataError(`Tệp quy tắc chuyển đổi mã đơn vị không hợp lệ: ${issues.length} lỗi`, issues);
  return rules;
}

/** Validates a unit tree document: an array of unit.schema.json objects, or {donVi: [...]}. */
export function parseUnitTree(json: unknown): { units: DonVi[]; warnings: Issue[] } {
  const list = Array.isArray(json) ? json : json && typeof json === 'object' ? (json as { donVi?: unknown }).donVi : undefined;
  const base = Array.isArray(json) ? '' : '/donVi';
  if (!Array.isArray(list)) {
    throw new UnitDataError('Tệp cây đơn vị phải là danh sách đơn vị hoặc có trường "donVi"', [{ pointer: '/donVi', field: '/donVi', code: 'THIEU_TRUONG', message: 'Thiếu danh sách "donVi"' }]);
  }
  const issues: Issue[] = [];
  const warnings: Issue[] = [];
  const units: DonVi[] = [];
  const seen = new Map<string, number>();
  list.forEach((raw, i) => {
    const { errors } = validateUnit(raw);
    const prefix = `${base}/${i}`;
    const name = raw && typeof raw === 'object' && typeof (raw as DonVi).maDinhDanh === 'string' ? (raw as DonVi).maDinhDanh : `dòng ${i + 1}`;
    for (const e of errors) issues.push({ ...e, pointer: prefix + e.pointer, field: prefix + e.pointer, message: `Đơn vị ${name}: ${e.message}` });
    if (errors.length) return;
    const u = raw as DonVi;
    if (seen.has(u.maDinhDanh)) {
      issues.push({ pointer: `${prefix}/maDinhDanh`, field: `${prefix}/maDinhDanh`, code: 'KHONG_HOP_LE', message: `Đơn vị ${u.maDinhDanh} xuất hiện hai lần (dòng ${seen.get(u.maDinhDanh)! + 1} và ${i + 1})` });
      return;
    }
    seen.set(u.maDinhDanh, i);
    units.push({ ...u, ten: u.ten.normalize('NFC') });
  });
  // A subtree (getUnitTree of one unit) legitimately names a parent outside the file: warn only.
  for (const u of units) {
    if (u.maDonViCha && !seen.has(u.maDonViCha)) {
      const i = seen.get(u.maDinhDanh)!;
      warnings.push({ pointer: `${base}/${i}/maDonViCha`, field: `${base}/${i}/maDonViCha`, code: 'MA_DON_VI_KHONG_TON_TAI', message: `Đơn vị ${u.maDinhDanh}: đơn vị cấp trên ${u.maDonViCha} không có trong tệp` });
    }
  }
  if (issues.length) throw new UnitDataError(`Tệp cây đơn vị không hợp lệ: ${issues.length} lỗi`, issues);
  return { units, warnings };
}
